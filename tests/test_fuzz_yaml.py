"""Hostile YAML through every reader: only InputError comes out, and work stays bounded.

The first half pins the defects found by hand (an alias bomb in a policy, dates YAML
cannot build, integers longer than Python converts, nesting 500 deep) through the real
loaders. The second half generates hostile documents with hypothesis: chains of
aliases, deep nesting, huge and odd scalars, control characters. Each must load to a
plain value no bigger than what was written plus the alias cap, or fail with an
InputError naming the file, and every YAML-reading source must do the same.

The profile is short by default (a few seconds, for CI). For a long local run::

    POLICYCHECK_FUZZ=long python -m pytest tests/test_fuzz_yaml.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck import yamlload
from policycheck.adr import check_matrix
from policycheck.core import check
from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.policy import Policy, check_policy
from policycheck.sources.compose import SOURCE as COMPOSE
from policycheck.sources.helm.values import SOURCE as HELM
from policycheck.sources.kubernetes import SOURCE as KUBERNETES
from policycheck.sources.spdx.source import SOURCE as SPDX
from policycheck.yamlload import iter_documents
from tests.conftest import AS_OF

LONG = os.environ.get("POLICYCHECK_FUZZ") == "long"
FUZZ = settings(
    max_examples=2_000 if LONG else 100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

POLICY = """\
schema_version: 1
name: acme
uses: [internal]
rules:
  - id: allow-permissive
    when: {category: permissive}
    verdict: allow
    rationale: fine
"""
WAIVER = """\
waivers:
  - id: legacy-cache
    engine: redis
    verdict: allow
    reason: replaced next quarter
    approved_by: legal@example.com
    approved_on: {approved_on}
    expires: {expires}
"""
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: cache
  annotations:
    built: 2024-13-45
    replicas-hint: {digits}
spec:
  containers:
    - name: redis
      image: {image}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- regressions through the real loaders ----------------------------------------------


@pytest.mark.parametrize(
    ("approved_on", "expires", "line", "bad"),
    [
        ("2024-02-30", "2027-01-31", 15, "2024-02-30"),  # unquoted: YAML read it as a date
        ("'2024-02-30'", "2027-01-31", 15, "2024-02-30"),
        ("2024-01-31", "2027-13-01", 16, "2027-13-01"),
    ],
)
def test_a_date_yaml_cannot_build_reaches_the_policy_date_check(
    tmp_path: Path, approved_on: str, expires: str, line: int, bad: str
) -> None:
    text = POLICY + WAIVER.format(approved_on=approved_on, expires=expires)
    errors = check_policy(str(write(tmp_path, "policy.yaml", text)))
    assert isinstance(errors, list)
    assert [(e.line, e.message.partition(" (")[0]) for e in errors] == [
        (line, f"{bad!r} is not a real date")
    ]
    assert errors[0].message.endswith(("has 29 days, not 30)", "month 13 does not exist)"))


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_policy_nested_500_deep_is_an_input_error(tmp_path: Path) -> None:
    text = POLICY.replace("rules:", f"extra: {_nested(500)}\nrules:")
    errors = check_policy(str(write(tmp_path, "policy.yaml", text)))
    assert isinstance(errors, list) and len(errors) == 1
    assert "nests too deeply" in errors[0].message and errors[0].line == 4


def test_a_matrix_nested_500_deep_is_an_input_error(tmp_path: Path) -> None:
    text = "schema_version: 1\ntitle: t\ndrivers: " + _nested(500) + "\noptions: {}\n"
    errors = check_matrix(str(write(tmp_path, "matrix.yaml", text)))
    assert isinstance(errors, list) and len(errors) == 1
    assert "nests too deeply" in errors[0].message and errors[0].line == 3


def test_an_alias_bomb_in_a_policy_is_refused_quickly(tmp_path: Path) -> None:
    bomb = ["  a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [
        f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 8)
    ]
    text = POLICY.replace("rules:", "x-anchors:\n" + "\n".join(bomb) + "\nrules:")
    start = time.perf_counter()
    errors = check_policy(str(write(tmp_path, "policy.yaml", text)))
    assert time.perf_counter() - start < 5  # thirty seconds before
    assert isinstance(errors, list) and "alias expansion exceeds" in errors[0].message


def _findings(
    tmp_path: Path, text: str, policy: Policy, name: str = "pod.yaml"
) -> list[tuple[str, str | None, str]]:
    write(tmp_path, name, text)
    report = check([str(tmp_path)], policy, AS_OF)
    assert report.errors == []
    return [(f.engine, f.version, str(f.verdict)) for f in report.findings]


def test_a_manifest_with_scalars_yaml_cannot_build_still_reports_its_engine(
    tmp_path: Path, default_policy: Policy
) -> None:
    text = POD.format(digits="7" * 5000, image="redis:7.2.4")
    assert _findings(tmp_path, text, default_policy) == [("redis", "7.2.4", "allow")]


@pytest.mark.parametrize("tag", ["7." + "1" * 5000, "1" * 5000, "7.2." + "9" * 4400])
def test_an_image_tag_with_a_huge_number_is_reviewed_not_a_crash(
    tmp_path: Path, default_policy: Policy, tag: str
) -> None:
    text = POD.format(digits="1", image=f"redis:{tag}")
    assert _findings(tmp_path, text, default_policy) == [("redis", None, "review")]


# --- generated hostile documents --------------------------------------------------------

_WORDS = st.sampled_from(["redis", "image", "name", "x", "a b", "-", "7.2.4", "<<"])
_ODD_SCALARS = st.one_of(
    st.sampled_from(
        [
            "2024-13-45",
            "2024-02-30",
            "2024-02-29 25:61:00",
            "!!int twelve",
            "!!float many",
            "!!bool maybe",
            "!!binary aGVsbG8=",
            "!!binary '*'",
            "!!timestamp 2024-99-99",
            "!!null x",
            "!!str 7",
            "!!set x",
            "!Ref cache",
            "~",
            ".nan",
            "-.inf",
            "0o777",
            "0x_1F",
            "190:20:30",
            "1_2_3.4_5",
            "'\\x00'",
            '"\\x00\\u2028\\U0001F600"',
            "\ufeff",
            "\t",
        ]
    ),
    st.integers(min_value=4_000, max_value=6_000).map(lambda n: "1" * n),  # digit limit
    st.integers(min_value=4_000, max_value=6_000).map(lambda n: "-" + "9" * n),
    st.integers(min_value=1, max_value=5_000).map(lambda n: "1." + "0" * n + "e+999"),
    st.text(min_size=1, max_size=20),  # anything: control characters, quotes, colons
)
_SCALARS = st.one_of(_WORDS, _ODD_SCALARS)


@st.composite
def alias_chains(draw: st.DrawFn) -> str:
    """``levels`` anchored nodes, each repeating the previous one ``fan_out`` times."""
    levels = draw(st.integers(1, 9))
    fan_out = draw(st.integers(1, 12))
    merge = draw(st.booleans())
    flow = draw(st.booleans())
    lines = [f"a0: &a0 {{k: {draw(_WORDS)}}}" if merge else f"a0: &a0 [{draw(_WORDS)}]"]
    for i in range(1, levels + 1):
        if merge:
            refs = ", ".join(f"*a{i - 1}" for _ in range(fan_out))
            lines.append(f"a{i}: &a{i} {{<<: [{refs}], k{i}: [{refs}]}}")
        elif flow:
            lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan_out)}]")
        else:
            lines.append(f"a{i}: &a{i}")
            lines += [f"  - *a{i - 1}"] * fan_out
    if draw(st.booleans()):
        lines.append(f"loop: &loop [*a{levels}, *loop]")  # an alias inside its own anchor
    return "\n".join(lines) + "\n"


@st.composite
def deep_documents(draw: st.DrawFn) -> str:
    """Mappings, sequences and flow collections nested around the depth limit."""
    depth = draw(st.integers(yamlload.MAX_DEPTH - 3, yamlload.MAX_DEPTH * 2))
    style = draw(st.sampled_from(["flow", "block-map", "block-seq", "mixed"]))
    leaf = draw(_WORDS)
    if style == "flow":
        return "a: " + "[" * depth + leaf + "]" * depth + "\n"
    if style == "block-map":
        return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + leaf + "\n"
    if style == "block-seq":
        return "".join("  " * i + "-\n" for i in range(depth)) + "  " * depth + f"- {leaf}\n"
    return "".join(" " * i + f"k{i}: {{a: [\n" for i in range(depth // 2)) + "]}" * (depth // 2)


@st.composite
def odd_documents(draw: st.DrawFn) -> str:
    """A manifest-shaped mapping whose values, keys and layout are odd."""
    pairs = draw(st.lists(st.tuples(_SCALARS, _SCALARS), min_size=1, max_size=6))
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  annotations:"]
    for i, (key, value) in enumerate(pairs):
        lines.append(f"    k{i}-{key!r}: {value}" if draw(st.booleans()) else f"    k{i}: {value}")
    lines += ["spec:", "  containers:", f"    - image: {draw(_SCALARS)}"]
    separator = draw(st.sampled_from(["\n", "\r\n", "\n---\n"]))
    return separator.join(lines) + "\n"


HOSTILE = st.one_of(alias_chains(), deep_documents(), odd_documents())


def _expanded_size(value: Any, seen: dict[int, int]) -> int:
    """Nodes a reader meets walking ``value``, counting a shared value at every use."""
    if not isinstance(value, dict | list):
        return 1
    known = seen.get(id(value))
    if known is not None:
        return known
    children = value.values() if isinstance(value, dict) else value
    size = 1 + sum(_expanded_size(child, seen) for child in children)
    seen[id(value)] = size
    return size


def _written_size(text: str) -> int:
    """Nodes written in the document (each alias counting one)."""
    return sum(
        1
        for event in yaml.parse(text, Loader=yaml.CSafeLoader)
        if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent | yaml.CollectionStartEvent)
    )


def _plain(value: Any, depth: int = 0) -> bool:
    """JSON-like all the way down: what every reader of a loaded value expects."""
    if isinstance(value, dict):
        return all(isinstance(k, str | int) and _plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


@FUZZ
@given(HOSTILE)
def test_hostile_yaml_loads_bounded_or_fails_with_an_input_error(text: str) -> None:
    try:
        docs = list(iter_documents(text, "hostile.yaml"))
    except InputError as err:
        assert err.path == "hostile.yaml" and err.message
        return
    try:
        written = _written_size(text)
    except yaml.YAMLError:  # pragma: no cover - loaded by yamlload, so libyaml parses it
        pytest.fail("yamlload accepted a stream libyaml rejects")
    for doc in docs:
        assert _plain(doc.value)
        assert _expanded_size(doc.value, {}) <= written + yamlload.MAX_ALIAS_NODES


_YAML_SOURCES = [
    (KUBERNETES, "pod.yaml"),
    (HELM, "values.yaml"),
    (COMPOSE, "docker-compose.yml"),
    (SPDX, "sbom.spdx.yaml"),
]


@FUZZ
@given(HOSTILE, st.sampled_from(_YAML_SOURCES))
def test_every_yaml_source_raises_only_input_errors(
    tmp_path: Path, text: str, source_and_name: tuple[Any, str]
) -> None:
    source, name = source_and_name
    if name == "values.yaml":
        write(tmp_path, "Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n")
    path = write(tmp_path, name, text)
    try:
        components = list(source.collect(path, text, name))
    except InputError as err:
        assert err.message
        return
    assert all(isinstance(c, Component) for c in components)


@FUZZ
@given(HOSTILE)
def test_policies_and_matrices_raise_only_input_errors(tmp_path: Path, text: str) -> None:
    for loader, name in ((check_policy, "policy.yaml"), (check_matrix, "matrix.yaml")):
        try:
            result = loader(str(write(tmp_path, name, text)))
        except InputError as err:  # unreadable: raised rather than listed
            assert err.message
            continue
        if isinstance(result, list):
            assert all(isinstance(e, InputError) and e.message for e in result)
