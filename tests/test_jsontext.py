"""The fast JSON writer writes exactly what the standard library writes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import jsontext
from policycheck.data import schema
from policycheck.knowledge import Use
from policycheck.policy import Verdict

# Every character, lone surrogates included (the fast writer refuses those: the
# standard library must then write them, with the same result).
TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
    | st.sampled_from([*Verdict, *Use])
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(TEXT | st.integers(), inner, max_size=4)
    ),
    max_leaves=25,
)


def stdlib(doc: object) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@settings(max_examples=400)
@given(DOCS)
def test_same_text_as_the_standard_library(doc: object) -> None:
    assert jsontext.pretty(doc) == stdlib(doc)


@pytest.mark.parametrize("number", [1e-05, 2.5e-07, 1e16, 1.5e16, 1e22, 0.1, 3.55, -0.0, 1.0])
def test_floats_orjson_writes_otherwise(number: float) -> None:
    doc = {"scores": [number, {"x": number}]}
    assert jsontext.pretty(doc) == stdlib(doc)


def test_a_document_without_fractions_is_not_written_by_the_standard_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The speed is the point: a report (strings, integers, lists) takes the fast path."""

    def refuse(*_args: object, **_kwargs: object) -> str:
        raise AssertionError("the standard library wrote a document the fast path takes")

    doc = {"findings": [{"engine": "redis", "line": 3, "rules": ["a", "b"], "x": None}] * 3}
    expected = stdlib(doc)
    monkeypatch.setattr(jsontext.json, "dumps", refuse)
    assert jsontext.pretty(doc) == expected


def test_the_report_schema_admits_no_float() -> None:
    """The JSON report skips looking for floats (``integers_only``): its schema must
    keep saying why that is safe."""
    text = json.dumps(schema("report"))
    assert '"number"' not in text
    assert '"integer"' in text


@settings(max_examples=300)
@given(DOCS)
def test_the_bytes_are_the_text_in_utf8(doc: object) -> None:
    """Where the text can be written at all (a lone surrogate cannot be UTF-8), the
    bytes a file receives are the text's, so a file and stdout hold the same report."""
    text = jsontext.pretty(doc)
    try:
        expected = text.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            jsontext.pretty_bytes(doc)
        return
    assert jsontext.pretty_bytes(doc) == expected
