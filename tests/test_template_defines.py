"""Helper ``define`` blocks are found as a full reading of every action finds them."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.sources.helm.template import iter_defines

_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.DOTALL)
_COMMENT = re.compile(r"^\s*/\*.*\*/\s*$", re.DOTALL)


def every_word(text: str) -> Iterator[tuple[str, str]]:
    """The reading before: every action split whole, comments set aside first."""
    depth, name, start = 0, None, 0
    for match in _ACTION.finditer(text):
        words = match.group(2).split()
        if not words or _COMMENT.match(match.group(2)):
            continue
        if words[0] in ("if", "with", "range", "define", "block"):
            if depth == 0 and words[0] == "define" and len(words) > 1:
                name, start = words[1].strip('"'), match.end()
            depth += 1
        elif words[0] == "end":
            depth -= 1
            if depth == 0 and name is not None:
                yield name, text[start : match.start()]
                name = None
            depth = max(depth, 0)


PIECES = st.sampled_from(
    ['{{ define "a" }}', '{{- define "b" -}}', "{{ end }}", "{{- end }}", "{{ if .x }}",
     '{{/* define "c" */}}', "{{- /* end */ -}}", "{{ range . }}", "{{", "}}", "x",
     " ", "\n", '{{ include "a" . }}', "{{ with .y }}", "{{}}", "{{ define }}", "/*", "*/"]
)  # fmt: skip


@settings(max_examples=800)
@given(st.lists(PIECES, max_size=16).map("".join))
def test_defines_as_every_word_finds_them(text: str) -> None:
    assert list(iter_defines(text)) == list(every_word(text))
