"""The lines a Helm template scan acts on are found by search, as a line walk finds them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.sources.kubernetes import _template_lines

PIECES = st.sampled_from(
    ["\n", "\r\n", "\r", "\x0c", "\u2028", "---", "kind", "kind: Deployment", "image",
     "  image: redis:7", "{{ .Values.image }}", " ", "x", "-", "k", "imag", "e"]
)  # fmt: skip


def walked(text: str) -> list[tuple[int, str]]:
    return [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.startswith(("---", "kind")) or "image" in line
    ]


@settings(max_examples=1500)
@given(st.lists(PIECES, max_size=24).map("".join))
def test_the_lines_found_are_the_lines_walked(text: str) -> None:
    assert list(_template_lines(text)) == walked(text)


def test_line_numbers_hold_across_a_long_template() -> None:
    text = "kind: Deployment\n" + "a: b\n" * 1000 + "  image: redis:7\n---\nkind: Secret\n"
    assert list(_template_lines(text)) == [
        (1, "kind: Deployment"),
        (1002, "  image: redis:7"),
        (1003, "---"),
        (1004, "kind: Secret"),
    ]
