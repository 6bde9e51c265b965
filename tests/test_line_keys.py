"""``starts_a_line`` answers as the ``(?m)^`` patterns it replaced."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.sources import kubernetes
from policycheck.sources.helm import values
from policycheck.sources.interface import starts_a_line

PIECES = st.sampled_from(
    ["apiVersion", "kind", ":", " ", "\t", "-", '"', "'", "\n", "\r\n", "x", "#", "sub",
     "apiVersion: v1", "kind: Pod", "  - kind:", '"kind" :', "\n---\n"]
)  # fmt: skip
HEADS = st.lists(PIECES, max_size=14).map(lambda parts: "".join(parts).encode())

KUBERNETES = (
    re.compile(rb"""(?m)^[ \t-]*["']?apiVersion["']?[ \t]*:"""),
    re.compile(rb"""(?m)^[ \t-]*["']?kind["']?[ \t]*:"""),
)
VALUES = (re.compile(rb"(?m)^apiVersion\s*:"), re.compile(rb"(?m)^kind\s*:"))


@settings(max_examples=600)
@given(HEADS)
def test_kubernetes_keys_as_the_line_patterns(head: bytes) -> None:
    assert starts_a_line(head, kubernetes._HEAD_API_VERSION, kubernetes._HEAD_LEAD) == (
        KUBERNETES[0].search(head) is not None
    )
    assert starts_a_line(head, kubernetes._HEAD_KIND, kubernetes._HEAD_LEAD) == (
        KUBERNETES[1].search(head) is not None
    )


@settings(max_examples=600)
@given(HEADS)
def test_values_manifest_keys_as_the_line_patterns(head: bytes) -> None:
    for mine, theirs in zip(values._MANIFEST_HEAD, VALUES, strict=True):
        assert starts_a_line(head, mine) == (theirs.search(head) is not None)
