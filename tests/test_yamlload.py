"""YAML loading with lines: values as PyYAML builds them, lines found on demand."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.yamlload import PathKey, iter_documents, load_text


def _eager_lines(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    """Reference: the line of every path, recorded while walking the whole tree."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = yaml.safe_load(yaml.serialize(key_node))
            k = key if isinstance(key, str | int) else str(key)
            _eager_lines(value_node, (*path, k), lines)
            lines[(*path, k)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _eager_lines(child, (*path, index), lines)


def _paths(value: Any, path: PathKey = ()) -> list[PathKey]:
    out = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*path, index))
    return out


_KEYS = st.one_of(st.text("abcxyz-_", min_size=1, max_size=6), st.integers(0, 99))
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=12), st.floats(allow_nan=False)
)
_TREES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_TREES, st.booleans())
def test_values_and_lines_match_pyyaml_and_an_eager_walk(tree: Any, flow: bool) -> None:
    text = yaml.safe_dump({"root": tree}, default_flow_style=flow, sort_keys=False)
    (doc,) = iter_documents(text, "t.yaml")
    assert doc.value == yaml.safe_load(text)
    expected: dict[PathKey, int] = {}
    _eager_lines(yaml.compose(text), (), expected)
    for path in _paths(doc.value):
        assert doc.line_of(path) == expected[path], path


def test_line_of_a_missing_path_is_its_nearest_ancestor() -> None:
    doc = load_text("a:\n  b:\n    - x\n    - y\n", "t.yaml")
    assert doc.line_of(("a", "b", 1)) == 4
    assert doc.line_of(("a", "b", 7)) == 2
    assert doc.line_of(("a", "nope", "deeper")) == 1
    assert doc.line_of(()) == 1


def test_merged_entries_point_at_the_merging_mapping() -> None:
    text = "base: &b\n  image: redis:7\nsvc:\n  <<: *b\n  name: cache\n"
    doc = load_text(text, "t.yaml")
    assert doc.value["svc"] == {"image": "redis:7", "name": "cache"}
    assert doc.line_of(("svc", "name")) == 5
    assert doc.line_of(("svc", "image")) == 3


def test_dates_stay_text_and_duplicate_keys_are_errors() -> None:
    assert load_text("expires: 2027-01-31\n", "t.yaml").value == {"expires": "2027-01-31"}
    with pytest.raises(InputError) as info:
        load_text("a: 1\nb: 2\na: 3\n", "t.yaml")
    assert info.value.line == 3
