"""The tree-sitter HCL2 reader gives python-hcl2's values, and python-hcl2 is the oracle.

The Terraform source was written against python-hcl2's output; ``terraform.hcl`` now parses with
tree-sitter for speed, so these tests hold it to python-hcl2 on generated Terraform
(a property test), on one example per construct, and on malformed files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.sources.terraform import hcl as tf_hcl
from policycheck.sources.terraform.hcl import HclFile, _parser, parse_hcl

_OPTIONS = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


def _oracle(text: str) -> dict[str, Any]:
    result: dict[str, Any] = hcl2.loads(text, serialization_options=_OPTIONS)
    return result


def _same_as_oracle(text: str) -> dict[str, Any]:
    ours = parse_hcl(text, "t.tf")
    expected = _oracle(text)
    assert ours == expected
    # == treats 1 and 1.0 (and True and 1) alike: the types must match too
    assert _types(ours) == _types(expected)
    return ours


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    return type(value).__name__


# -- one example per construct ---------------------------------------------------------

EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "literal strings, numbers, bools, null": (
        'a = "7.0"\nb = 6\nc = 7.10\nd = true\ne = false\nf = null\ng = -3\nh = -1.5\n',
        {"a": "7.0", "b": 6, "c": 7.1, "d": True, "e": False, "f": None, "g": -3, "h": -1.5},
    ),
    "references": (
        "a = var.engine_version\nb = local.v\nc = data.aws_x.y.z\nd = module.m.out\n",
        {
            "a": "${var.engine_version}",
            "b": "${local.v}",
            "c": "${data.aws_x.y.z}",
            "d": "${module.m.out}",
        },
    ),
    "bare identifier": ("type = string\n", {"type": "string"}),
    "templates": (
        'a = "${var.prefix}-7.0"\nb = "${ var.major }.${local.minor}"\nc = "x${1}"\n',
        {"a": "${var.prefix}-7.0", "b": "${var.major}.${local.minor}", "c": "x${1}"},
    ),
    "escapes": (
        'a = "q\\"\\n\\t\\\\ \\u00e9 \\U0001F600"\nb = "$${kept} %%{kept}"\n',
        {"a": 'q"\n\t\\ é 😀', "b": "$${kept} %%{kept}"},
    ),
    "strings inside expressions keep quotes and escapes": (
        'a = lookup(var.m, "k\\n", "${var.d}")\n',
        {"a": '${lookup(var.m, "k\\n", "${var.d}")}'},
    ),
    "function calls": (
        "a = max(1, 2.5, var.x)\nb = f()\nc = concat(var.l...)\nd = provider::p::f(1)\n",
        {
            "a": "${max(1, 2.5, var.x)}",
            "b": "${f()}",
            "c": "${concat(var.l ...)}",
            "d": "${provider::p::f(1)}",
        },
    ),
    "conditionals and operators": (
        'a = var.x ? "7.0" : local.y\nb = 1 + 2 * var.n\nc = !var.on\nd = -var.n\n'
        'e = var.a == "x" && var.b != null || false\n',
        {
            "a": '${var.x ? "7.0" : local.y}',
            "b": "${1 + 2 * var.n}",
            "c": "${!var.on}",
            "d": "${-var.n}",
            "e": '${var.a == "x" && var.b != null || false}',
        },
    ),
    "parentheses (python-hcl2 formats the value inside with str())": (
        'a = (1 + 2)\nb = (var.x).y\nc = ("s")\nd = -(1)\ne = ([1, 2])\n',
        {"a": "${(1 + 2)}", "b": "${(var.x).y}", "c": "${(s)}", "d": "${-(1)}", "e": "${([1, 2])}"},
    ),
    "indexes and splats": (
        "a = var.l[0].name\nb = var.l[*].id\nc = var.l.*.id\nd = var.l.0\ne = var.m[var.k]\n",
        {
            "a": "${var.l[0].name}",
            "b": "${var.l[*].id}",
            "c": "${var.l.*.id}",
            "d": "${var.l.0}",
            "e": "${var.m[var.k]}",
        },
    ),
    "tuples and objects": (
        'a = [1, "b", [true], {k = 1}]\nb = {\n  x = 1\n  "y" = 2\n  z: 3,\n  4 = 5\n}\n'
        'c = {(var.k) = 1, "${var.j}" = 2}\nd = []\ne = {}\n',
        {
            "a": [1, "b", [True], {"k": 1}],
            "b": {"x": 1, "y": 2, "z": 3, "4": 5},
            "c": {"${(var.k)}": 1, "${var.j}": 2},
            "d": [],
            "e": {},
        },
    ),
    "collections inside expressions": (
        'a = length([1, "b", {k = "v"}])\n',
        {"a": '${length([1, "b", {k = "v"}])}'},
    ),
    "for expressions": (
        'a = [for x in var.l : upper(x) if x != ""]\n'
        "b = {for k, v in var.m : k => v... if v != null}\n",
        {
            "a": '${[for x in var.l : upper(x) if x != ""]}',
            "b": "${{for k, v in var.m : k => v... if v != null}}",
        },
    ),
    "template directives": (
        'a = "%{ if var.x }yes%{ else }no%{ endif }"\n'
        'b = "x %{~ for i in var.l ~}${i},%{ endfor }"\n',
        {
            "a": "%{ if var.x }yes%{ else }no%{ endif }",
            "b": "x %{~ for i in var.l ~}${i},%{ endfor }",
        },
    ),
    "heredocs": (
        "a = <<EOT\n  hello ${var.x}\nEOT\nb = <<-EOT\n    hi\n  EOT\nc = f(<<E\nraw\nE\n)\n",
        {
            "a": "<<EOT\n  hello ${var.x}\nEOT",
            "b": "<<-EOT\n    hi\n  EOT",
            "c": "${f(<<E\nraw\nE)}",
        },
    ),
    "scientific notation stays as written": ("a = 1.5e3\n", {"a": "${1.5e3}"}),
    "blocks, labels quoted or bare, nested blocks, comments": (
        "# top\n"
        'resource "aws_elasticache_replication_group" "r" { # after\n'
        "  engine = var.e // inline\n"
        "  /* a block\n     comment */\n"
        "  lifecycle {\n    ignore_changes = [tags]\n  }\n"
        "  lifecycle {\n  }\n"
        "}\n"
        "locals {\n  v = 1\n}\n"
        "module m {\n}\n"
        "terraform {\n}\n",
        {
            "resource": [
                {
                    "aws_elasticache_replication_group": {
                        "r": {
                            "engine": "${var.e}",
                            "lifecycle": [{"ignore_changes": ["tags"]}, {}],
                        }
                    }
                }
            ],
            "locals": [{"v": 1}],
            "module": [{"m": {}}],
            "terraform": [{}],
        },
    ),
    "keywords as names": (
        "in = 1\nfor = 2\nif {\n}\n",
        {"in": 1, "for": 2, "if": [{}]},
    ),
    "empty file": ("", {}),
    "only comments": ("# nothing\n// here\n", {}),
    "CRLF line endings": (
        'variable "v" {\r\n  default = "7.0"\r\n}\r\n',
        {"variable": [{"v": {"default": "7.0"}}]},
    ),
}


@pytest.mark.parametrize("text, expected", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_each_construct_matches_python_hcl2(text: str, expected: dict[str, Any]) -> None:
    assert _same_as_oracle(text) == expected


# -- generated Terraform -----------------------------------------------------------------

_NAMES = st.sampled_from(["v", "engine", "engine_version", "major", "prefix", "x_1", "a-b"])
_REFS = st.builds(
    lambda kind, name: f"{kind}.{name}",
    st.sampled_from(["var", "local"]),
    _NAMES,
) | st.sampled_from(["data.aws_elasticache_cluster.c.engine_version", "module.m.out", "each.key"])
_PLAIN = st.text(alphabet="abcXYZ019 .-_/:", max_size=8)
_ESCAPE = st.sampled_from(["\\n", "\\t", '\\"', "\\\\", "\\u00e9", "$${lit}", "%%{lit}"])
_STRING_PART = _PLAIN | _ESCAPE | _REFS.map(lambda ref: "${" + ref + "}")
_STRING = st.lists(_STRING_PART, max_size=4).map(lambda parts: '"' + "".join(parts) + '"')
_VERSION = st.builds(
    lambda major, minor: f'"{major}.{minor}"', st.integers(0, 9), st.integers(0, 9)
)
_NUMBER = st.integers(-5, 300).map(str) | st.builds(
    lambda whole, frac: f"{whole}.{frac}",
    st.integers(0, 99),
    st.sampled_from(["0", "1", "10", "5"]),
)
_SCALAR = (
    _STRING
    | _VERSION
    | _NUMBER
    | st.sampled_from(["true", "false", "null"])
    | _REFS
    | st.sampled_from(
        [
            'lookup(var.m, "k", "7.0")',
            'var.x ? "6.2" : "7.0"',
            "var.l[0]",
            "var.l[*].id",
            "1 + var.n",
            "!var.on",
            '"%{ if var.x }a%{ else }b%{ endif }"',
            "(var.x)",
            "upper(var.engine)",
        ]
    )
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
        | st.lists(st.tuples(_NAMES, inner), max_size=3).map(
            lambda pairs: "{\n" + "".join(f'    "{k}" = {v}\n' for k, v in pairs) + "  }"
        )
    ),
    max_leaves=6,
)
_HEREDOC = st.sampled_from(
    [
        "<<EOT\nline ${var.v}\n  indented\nEOT\n",
        "<<-EOT\n    trimmed\n  EOT\n",
        "<<EOF\nEOF\n",
    ]
)
_COMMENT = st.sampled_from(["# note\n", "// note\n", "/* block\n comment */\n", "\n"])
_CACHE = st.sampled_from(
    [
        ("aws_elasticache_replication_group", "engine", "engine_version"),
        ("aws_elasticache_cluster", "engine", "engine_version"),
        ("aws_elasticache_serverless_cache", "engine", "major_engine_version"),
        ("google_redis_instance", None, "redis_version"),
        ("google_memorystore_instance", None, "engine_version"),
        ("azurerm_redis_cache", None, "redis_version"),
    ]
)
_ENGINE = st.sampled_from(['"redis"', '"valkey"', '"memcached"']) | _REFS | _STRING
_VERSION_VALUE = _VERSION | _NUMBER | _REFS | _STRING | _SCALAR


@st.composite
def _resource(draw: st.DrawFn) -> str:
    kind, engine_attr, version_attr = draw(_CACHE)
    name = draw(_NAMES)
    lines = [f'resource "{kind}" "{name}" {{']
    if engine_attr and draw(st.booleans()):
        lines.append(f"  {engine_attr} = {draw(_ENGINE)}")
    if draw(st.booleans()):
        lines.append(f"  {version_attr} = {draw(_VERSION_VALUE)}")
    if draw(st.booleans()):
        lines.append(f"  tags = {draw(_VALUE)}")
    if draw(st.booleans()):
        lines.append("  lifecycle {\n    ignore_changes = [engine_version]\n  }")
    if draw(st.booleans()):
        lines.append(f"  description = {draw(_HEREDOC)}".rstrip("\n"))
    return "\n".join(lines) + "\n}\n"


@st.composite
def _variable(draw: st.DrawFn) -> str:
    name = draw(_NAMES)
    lines = [f'variable "{name}" {{']
    lines.append(
        "  type = "
        + draw(st.sampled_from(["string", "number", "bool", "list(string)", "map(any)", "any"]))
    )
    if draw(st.booleans()):
        lines.append(f"  default = {draw(_VALUE)}")
    if draw(st.booleans()):
        lines.append(f"  description = {draw(_STRING)}")
    return "\n".join(lines) + "\n}\n"


@st.composite
def _other_block(draw: st.DrawFn) -> str:
    name = draw(_NAMES)
    value = draw(_VALUE)
    return draw(
        st.sampled_from(
            [
                f"locals {{\n  {name} = {value}\n}}\n",
                f'output "{name}" {{\n  value = {value}\n}}\n',
                f'provider "aws" {{\n  region = {value}\n}}\n',
                f'module "{name}" {{\n  source = "cloudposse/elasticache-redis/aws"\n'
                f"  engine_version = {value}\n}}\n",
                f'data "aws_elasticache_cluster" "{name}" {{\n  cluster_id = {value}\n}}\n',
                f"terraform {{\n  required_version = {value}\n}}\n",
            ]
        )
    )


_TERRAFORM = st.lists(_resource() | _variable() | _other_block() | _COMMENT, max_size=6).map(
    "".join
)
_TFVARS = st.lists(
    st.builds(lambda name, value: f"{name} = {value}\n", _NAMES, _VALUE) | _COMMENT, max_size=6
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TERRAFORM | _TFVARS)
def test_generated_terraform_matches_python_hcl2(text: str) -> None:
    _same_as_oracle(text)


@settings(max_examples=100, deadline=None)
@given(_TERRAFORM)
def test_selecting_blocks_equals_the_whole_file(text: str) -> None:
    """select() keeps every accepted block, in order, exactly as whole() converts it."""
    hcl = HclFile(text, "t.tf")
    whole = _oracle(text)
    assert hcl.select(lambda block: True) == {
        key: value for key, value in whole.items() if isinstance(value, list)
    }
    only_variables = hcl.select(lambda block: block.startswith("variable"))
    assert only_variables == ({"variable": whole["variable"]} if "variable" in whole else {})


# -- malformed input -------------------------------------------------------------------

MALFORMED: dict[str, tuple[str, int]] = {
    "value missing": ('resource "a" "b" {\n  x =\n}\n', 2),
    "value missing before another block": (
        'output "x" {\n  value =\n}\nresource "a" "b" {\n  engine_version = "7.1"\n}\n',
        2,
    ),
    "block never closed": ('resource "a" "b" {\n  engine = "redis"\n  x = \n', 3),
    "stray closing brace": ("a = 1\n\n\n  }\n", 4),
    "unterminated string": ('a = 1\nb = "x\nc = 2\n', 2),
    "value on the next line": ('a = 1\nengine_version =\n  "7.0"\n', 2),
    "block header across lines": ('resou\nrce "x" "y" {\n}\n', 1),
    "nested attribute broken": ('locals {\n  a = 1\n  b =\n  "2"\n}\n', 3),
    "bare object file": ('{"a": 1}\n', 1),
    "hex number": ("a = 1\nb = 0x1f\n", 2),
    "block named like an earlier attribute": ("a = 1\na {\n}\n", 2),
}


@pytest.mark.parametrize("text, line", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_input_is_an_input_error_at_its_line(text: str, line: int) -> None:
    with pytest.raises(InputError) as info:
        parse_hcl(text, "bad.tf")
    assert info.value.line == line
    assert info.value.path == "bad.tf"
    assert info.value.message.startswith("not valid HCL2")
    assert info.value.hint is not None and "terraform fmt" in info.value.hint
    with pytest.raises(Exception):  # noqa: B017 - python-hcl2 raises several types
        _oracle(text)


def test_select_checks_the_whole_file_whatever_is_wanted() -> None:
    hcl = HclFile('variable "v" {\n  default = 1\n}\noutput "o" {\n  value =\n}\n', "t.tf")
    with pytest.raises(InputError) as info:
        hcl.select(lambda block: block.startswith("variable"))
    assert info.value.line == 5


# -- where python-hcl2 is not followed -------------------------------------------------


def test_strip_markers_in_interpolations_are_kept_for_terraform_to_evaluate() -> None:
    """python-hcl2 rejects ``${~ x}``, which Terraform accepts: we keep the marker, so
    the resolver's ``var.x`` pattern does not match and the value stays unresolved."""
    assert parse_hcl('a = "v${~ var.x ~}"\n', "t.tf") == {"a": "v${~var.x~}"}
    with pytest.raises(Exception):  # noqa: B017
        _oracle('a = "v${~ var.x ~}"\n')


def test_deep_nesting_is_an_input_error_not_a_recursion_error() -> None:
    with pytest.raises(InputError) as info:
        parse_hcl("a = " + "[" * 3000 + "]" * 3000 + "\n", "deep.tf")
    assert "nests too deeply" in info.value.message


# -- comments between any two tokens ---------------------------------------------------

#: Leaves after which a comment would land in literal text, or where HCL wants a
#: newline or nothing at all (strip markers, heredoc markers).
_NO_COMMENT_AFTER = frozenset(
    {
        "quoted_template_start",
        "template_literal",
        "template_interpolation_end",
        "template_directive_end",
        "heredoc_identifier",
        "<<",
        "strip_marker",
        "~",
    }
)


def _leaves(node: Any) -> list[Any]:
    if node.child_count == 0:
        return [node]
    return [leaf for child in node.children for leaf in _leaves(child)]


def _kept_as_written(node: Any) -> bool:
    """Whether ``node`` is in a heredoc or template directive, whose text the values
    keep as written (comments included)."""
    parent = node.parent
    while parent is not None:
        if parent.type in ("template_directive", "heredoc_template"):
            return True
        if parent.type == "body":
            return False
        parent = parent.parent
    return False


def _comment_points(text: str) -> tuple[list[int], list[int]]:
    """Byte offsets after code tokens: where an inline comment may go, and the subset
    followed by the end of the line, where a line comment may go."""
    source = text.encode()
    inline: list[int] = []
    line_end: list[int] = []
    for leaf in _leaves(_parser().parse(source).root_node):
        if leaf.type in _NO_COMMENT_AFTER or leaf.type == "comment" or _kept_as_written(leaf):
            continue
        inline.append(leaf.end_byte)
        if source[leaf.end_byte : leaf.end_byte + 1] == b"\n":
            line_end.append(leaf.end_byte)
    return inline, line_end


@st.composite
def _commented(draw: st.DrawFn) -> tuple[str, str]:
    """Generated Terraform, and the same with comments injected between tokens."""
    text = draw(_TERRAFORM | _TFVARS)
    inline, line_end = _comment_points(text)
    inserts: dict[int, str] = {}
    if inline:
        for point in draw(st.sets(st.sampled_from(inline), max_size=8)):
            inserts[point] = draw(st.sampled_from([" /* c */ ", "/**/", "/* ${x} # // */"]))
    if line_end:
        for point in draw(st.sets(st.sampled_from(line_end), max_size=4)):
            inserts[point] = draw(st.sampled_from([" # note", " // note", "# ${not.a.ref}"]))
    source = text.encode()
    pieces: list[bytes] = []
    last = 0
    for point in sorted(inserts):
        pieces += [source[last:point], inserts[point].encode()]
        last = point
    pieces.append(source[last:])
    return text, b"".join(pieces).decode()


@settings(max_examples=300, deadline=None)
@given(_commented())
def test_comments_between_any_two_tokens_change_nothing(texts: tuple[str, str]) -> None:
    plain, commented = texts
    expected = parse_hcl(plain, "t.tf")
    assert parse_hcl(commented, "t.tf") == expected
    # python-hcl2 agrees where it reads the comments the same way (it keeps a comment
    # inside some binary operations as text, which Terraform does not)
    try:
        oracle = _oracle(commented)
    except Exception:  # noqa: BLE001 - python-hcl2 refuses some placements Terraform takes
        return
    if oracle == _oracle(plain):
        assert expected == oracle


COMMENTED: dict[str, tuple[str, dict[str, Any]]] = {
    "comment between ':' and the else branch": (
        'locals {\n  arn = (\n    # primary\n    var.on ? join("", var.a) :\n'
        '    # else\n    join("", var.b)\n  )\n}\n',
        {"locals": [{"arn": '${(var.on ? join("", var.a) : join("", var.b))}'}]},
    ),
    "comment after '?'": (
        "a = (var.on\n  ? # yes\n  1\n  : 2)\n",
        {"a": "${(var.on ? 1 : 2)}"},
    ),
    "comment inside an index": ("a = var.l[/* first */ 0]\n", {"a": "${var.l[0]}"}),
    "comment inside a for expression": (
        "a = [for x /* c */ in var.l /* d */ : x /* e */ if x /* f */]\n",
        {"a": "${[for x in var.l : x if x]}"},
    ),
    "comment inside a splat and an interpolation": (
        'a = var.l[*] /* c */ .id\nb = "v${ /* c */ var.x /* d */ }"\n',
        {"a": "${var.l[*].id}", "b": "v${var.x}"},
    ),
}


@pytest.mark.parametrize("text, expected", COMMENTED.values(), ids=COMMENTED.keys())
def test_comments_inside_expressions(text: str, expected: dict[str, Any]) -> None:
    assert parse_hcl(text, "t.tf") == expected


# -- bounded work ----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(_TERRAFORM | _TFVARS | _commented().map(lambda texts: texts[1]), st.integers(1, 6))
def test_long_literals_parse_the_same_through_placeholders(text: str, shortest: int) -> None:
    """String and heredoc text reaches tree-sitter as a placeholder (it reads literals a
    character at a time); the values, or the errors' lines and messages, are the same."""

    def outcome() -> object:
        try:
            return parse_hcl(text, "t.tf")
        except InputError as exc:
            return ("error", exc.line, exc.message)

    plain = outcome()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tf_hcl, "MASK_FILES_FROM", 0)
        mp.setattr(tf_hcl, "MASK_LITERALS_FROM", shortest)
        assert outcome() == plain


@contextmanager
def every_literal_masked() -> Iterator[None]:
    """Every string and heredoc text reaches tree-sitter as a placeholder, in any file."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tf_hcl, "MASK_FILES_FROM", 0)
        mp.setattr(tf_hcl, "MASK_LITERALS_FROM", 1)
        yield


MASKED: dict[str, str] = {
    "escapes, markers and interpolations": 'a = "x\\"y\\\\" ${var.v}-$${lit}%%{lit}\\n"\n',
    "heredoc with interpolation": "a = <<EOT\nline ${var.x}\n  more\nEOT\nb = 1\n",
    "indented heredoc": "a = <<-EOT\n    one\n    two\n  EOT\n",
    "empty heredoc": "a = <<EOT\nEOT\n",
    "CRLF heredoc": "a = <<EOT\r\nwin\r\nEOT\r\n",
    "quote in a comment": '# "not a string\na = "real one"\n/* " */ b = "two"\n',
    "string inside an interpolation": 'a = "${lookup(var.m, "key one", "def")} tail"\n',
    "directive": 'a = "%{ if var.x }yes yes%{ else }no no%{ endif }"\n',
    "unclosed string": 'a = "never closed\nb = 2\n',
    "stray string": 'a = "first long string" "second long string"\n',
    "label split from its brace": 'resource "aws_elasticache_cluster" "main"\n{\n}\n',
    "value on the next line": 'a =\n"a long string value"\n',
    "unclosed block": 'variable "a_long_variable_name" {\n  default = "long default value"\n',
}


@pytest.mark.parametrize("text", MASKED.values(), ids=MASKED.keys())
def test_each_literal_form_survives_its_placeholder(text: str) -> None:
    """The same values, or the same syntax error: its line, and a message that quotes the
    text as written, never a placeholder."""

    def outcome() -> object:
        try:
            return parse_hcl(text, "t.tf")
        except InputError as exc:
            return exc.line, exc.message

    plain = outcome()
    with every_literal_masked():
        masked = outcome()
    assert masked == plain
    assert "\ue000" not in str(masked)


def test_blocks_are_selected_by_their_labels_through_placeholders() -> None:
    """Labels are string literals: a selection tests the block text as written."""
    text = (
        'variable "engine_version" {\n  default = "7.1"\n}\n'
        'resource "aws_elasticache_replication_group" "cache" {\n'
        "  engine_version = var.engine_version\n}\n"
    )
    with every_literal_masked():
        file = HclFile(text, "t.tf")
        doc = file.select(lambda block: '"aws_elasticache_replication_group"' in block)
        assert list(doc) == ["resource"]
        assert file.block_line("resource", "aws_elasticache_replication_group", "cache") == 4
        found = file.select(lambda block: block.startswith('variable "engine_version"'))
        assert found == {"variable": [{"engine_version": {"default": "7.1"}}]}


_MEMORY_PROBE = """
import resource, sys, time
from policycheck.sources.terraform.hcl import parse_hcl
kind = sys.argv[1]
size = 20_000_000
body = {
    "string": '"' + "x" * size + '"',
    "escapes": '"' + "\\\\n" * (size // 2) + '"',
    "heredoc": "<<EOT\\n" + ("y" * 70 + "\\n") * (size // 71) + "EOT",
}[kind]
start = time.monotonic()
value = parse_hcl("a = " + body + "\\n", "big.tf")["a"]
assert len(value) >= size // 2
print(time.monotonic() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


@pytest.mark.parametrize("kind", ["string", "escapes", "heredoc"])
def test_a_20_mb_literal_parses_in_bounded_time_and_memory(kind: str) -> None:
    """Before placeholders, a 50 MB string peaked at 8.9 GB; now memory is a few times
    the file (Python's own copies of the text), about 150 MB here."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, kind],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
        timeout=120,
    )
    seconds, megabytes = done.stdout.split()
    assert float(seconds) < 10
    assert int(megabytes) < 600


def test_too_much_code_is_refused_not_parsed() -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tf_hcl, "MAX_CODE_BYTES", 1000)
        with pytest.raises(InputError) as info:
            parse_hcl("a = [" + "var.x, " * 500 + "]\n", "big.tf")
        assert "too large to read" in info.value.message
        # long literals do not count: they reach the parser as placeholders
        mp.setattr(tf_hcl, "MASK_FILES_FROM", 0)
        assert parse_hcl('a = "' + "z" * 5000 + '"\n', "big.tf") == {"a": "z" * 5000}


def test_integers_longer_than_python_converts_stay_text() -> None:
    digits = "7" * 5000
    assert parse_hcl(f"a = {digits}\nb = var.l.{digits}\nc = -{digits}\n", "t.tf") == {
        "a": digits,
        "b": f"${{var.l.{digits}}}",
        "c": f"${{-{digits}}}",
    }
