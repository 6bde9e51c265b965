"""The tree-sitter HCL2 reader gives python-hcl2's values, and python-hcl2 is the oracle.

``terraform.py`` was written against python-hcl2's output; ``_hcl`` now parses with
tree-sitter for speed, so these tests hold it to python-hcl2 on generated Terraform
(a property test), on one example per construct, and on malformed files.
"""

from __future__ import annotations

from typing import Any

import hcl2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.sources._hcl import HclFile, parse_hcl

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
