"""YAML loading with lines: values as PyYAML builds them, lines found on demand."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import yamlload
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


# --- hostile input: aliases, odd scalars, depth, control characters ----------------------


def _alias_bomb(levels: int, fan_out: int = 9) -> str:
    """A Pod whose annotations hold ``levels`` lists, each aliasing the previous one."""
    lines = [f"    a0: &a0 [{', '.join(['x'] * fan_out)}]"]
    for i in range(1, levels + 1):
        lines.append(f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan_out)}]")
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: cache\n  annotations:\n"
        + "\n".join(lines)
        + "\nspec:\n  containers:\n    - name: redis\n      image: redis:7.2.4\n"
    )


def test_an_alias_bomb_is_refused_at_its_line_without_expanding_it() -> None:
    text = _alias_bomb(7)  # 9**7 leaves once expanded; a few hundred bytes written
    assert len(text) < 700
    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        load_text(text, "pod.yaml")
    assert time.perf_counter() - start < 5  # expanding it took half a minute and a GB
    assert f"alias expansion exceeds {yamlload.MAX_ALIAS_NODES:,} nodes" in info.value.message
    assert info.value.path == "pod.yaml"
    assert info.value.line in range(11, 14)  # the list whose aliases cross the limit
    assert info.value.hint and yamlload.ALIAS_LIMIT_VARIABLE in info.value.hint


def test_an_aliased_node_is_built_once_and_shared() -> None:
    doc = load_text("a: &x {k: [1, 2]}\nb: *x\nc: [*x, *x]\n", "t.yaml")
    assert doc.value["b"] is doc.value["a"]
    assert doc.value["c"][0] is doc.value["a"] and doc.value["c"][1] is doc.value["a"]
    assert doc.value == yaml.safe_load("a: &x {k: [1, 2]}\nb: *x\nc: [*x, *x]\n")
    assert doc.line_of(("c", 1, "k")) == 1  # the aliased node's own line


@pytest.mark.parametrize(("levels", "refused"), [(1, False), (2, True)])
def test_the_alias_limit_counts_every_node_an_alias_adds(
    monkeypatch: pytest.MonkeyPatch, levels: int, refused: bool
) -> None:
    # a0 is 4 nodes (a list of 3 scalars); a1's three aliases of it add 12 nodes, and
    # a2's three aliases of a1 (1 + 12 nodes) 39 more: a limit of 20 lets a1 through only.
    monkeypatch.setenv(yamlload.ALIAS_LIMIT_VARIABLE, "20")
    text = _alias_bomb(levels, fan_out=3)
    if refused:
        with pytest.raises(InputError, match="alias expansion exceeds 20 nodes"):
            load_text(text, "pod.yaml")
    else:
        assert load_text(text, "pod.yaml").value == yaml.safe_load(text)


def test_an_invalid_alias_limit_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(yamlload.ALIAS_LIMIT_VARIABLE, "lots")
    with pytest.raises(InputError, match=yamlload.ALIAS_LIMIT_VARIABLE):
        load_text("a: &x [1]\nb: *x\n", "t.yaml")


def test_an_alias_inside_its_own_anchor_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        load_text("a: 1\nb: &x\n  - 1\n  - *x\n", "t.yaml")
    assert "contains itself" in info.value.message and info.value.line == 2


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("2024-13-45", "2024-13-45"),  # resolves as a timestamp; no such month
        ("2024-02-30", "2024-02-30"),  # no such day
        ("2024-02-29 25:61:00", "2024-02-29 25:61:00"),
        ("1" * 5000, "1" * 5000),  # over Python's int-from-text digit limit
        ("-" + "9" * 4301, "-" + "9" * 4301),
        ("1" * 4400 + ":30", "1" * 4400 + ":30"),  # sexagesimal, first part too long
        ("!!int twelve", "twelve"),
        ("!!float many", "many"),
        ("!!bool maybe", "maybe"),
        ("!!binary aGVsbG8=", "aGVsbG8="),  # bytes are no JSON value: kept as written
        ("!!timestamp 2024-99-99", "2024-99-99"),
        ("0x1F", 31),
        ("1_000", 1000),
        ("1.0e+400", float("inf")),
        ("<<", "<<"),  # the merge key's text, as a value
        ("[<<, =]", ["<<", "="]),
        ("1e400", "1e400"),  # YAML 1.1 floats need a dot
    ],
)
def test_a_scalar_that_cannot_be_built_as_its_type_stays_as_written(
    written: str, value: object
) -> None:
    doc = load_text(f"a:\n  built: {written}\n", "t.yaml")
    assert doc.value == {"a": {"built": value}}
    assert doc.line_of(("a", "built")) == 2


def test_huge_integer_keys_are_text_in_values_and_lines() -> None:
    key = "7" * 5000
    doc = load_text(f"a:\n  ? {key}\n  : x\n", "t.yaml")  # explicit: plain keys stop at 1024
    assert doc.value == {"a": {key: "x"}}
    assert doc.line_of(("a", key)) == 2


@pytest.mark.parametrize("style", ["block", "flow", "sequence"])
def test_nesting_deeper_than_the_limit_is_an_input_error_at_its_line(style: str) -> None:
    depth = yamlload.MAX_DEPTH + 1
    if style == "block":
        text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"
    elif style == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join("  " * i + "-\n" for i in range(depth)) + "  " * depth + "- 1\n"
    with pytest.raises(InputError) as info:
        load_text(text, "deep.yaml")
    assert f"nests too deeply (more than {yamlload.MAX_DEPTH} levels)" in info.value.message
    assert info.value.line is not None


def test_nesting_up_to_the_limit_loads() -> None:
    depth = yamlload.MAX_DEPTH - 1
    text = "a: " + "[" * depth + "1" + "]" * depth + "\n"
    value: Any = load_text(text, "deep.yaml").value["a"]
    for _ in range(depth - 1):
        (value,) = value
    assert value == [1]


@pytest.mark.parametrize(("char", "name"), [("\x00", "#x0000"), ("\x01", "#x0001")])
def test_a_control_character_is_reported_by_line_and_column(char: str, name: str) -> None:
    text = "a: é\nb: ünï\nc: 'x" + char + "y'\n"  # multi-byte text before it
    with pytest.raises(InputError) as info:
        load_text(text, "t.yaml")
    assert info.value.line == 3
    assert f"character {name}" in info.value.message
    assert "column 6" in info.value.message
    assert "position" not in info.value.message


def test_the_loader_skips_path_resolvers_because_it_has_none() -> None:
    """``_Loader`` ignores the composer's enter/leave calls; that is only right while no
    path resolver is registered on it (PyYAML's ``add_path_resolver``)."""
    assert not yamlload._Loader.yaml_path_resolvers
    assert yamlload._Loader.descend_resolver is not yaml.SafeLoader.descend_resolver
