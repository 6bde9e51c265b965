"""The Terraform CLI a repository pins: version-manager files and required_version."""

from __future__ import annotations

from pathlib import Path

import pytest

from policycheck.model import Location
from policycheck.sources.terraform.facts import Interval, parse_constraint
from policycheck.sources.terraform.source import SOURCE as TERRAFORM
from policycheck.sources.toolpins import SOURCE, cli_component

HERE = Location("x", 1, "x")


@pytest.mark.parametrize(
    ("value", "version", "floating"),
    [
        ("1.5.7", "1.5.7", False),
        ("= 1.5.7", "1.5.7", False),
        ("=1.6.0", "1.6.0", False),
        ("v1.6.0", "v1.6.0", False),
        (" 1.6.0-alpha20230816 ", "1.6.0-alpha20230816", False),
        ("latest", "latest", True),
    ],
)
def test_exact_versions_are_releases(value: str, version: str, floating: bool) -> None:
    c = cli_component("terraform", value, HERE, "required_version")
    assert (c.version, c.floating, c.unresolved) == (version, floating, None)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (">= 1.3", "version constraint"),
        ("~> 1.5.0", "version constraint"),
        (">= 1.0, < 2.0", "version constraint"),
        ("!= 1.6.0", "version constraint"),
        ("1.5", "not a version"),
        ("min-required", "not a version"),
        ("latest:^1.5", "version constraint"),
        ("ref:main", "not a version"),
    ],
)
def test_anything_else_is_unresolved_with_the_reason(value: str, why: str) -> None:
    c = cli_component("terraform", value, HERE, "required_version")
    assert c.version is None and c.unresolved is not None and why in c.unresolved


def _collect(tmp_path: Path, name: str, text: str) -> list[tuple[str, str | None, int]]:
    path = tmp_path / name
    path.write_text(text)
    assert SOURCE.may_claim(name) and SOURCE.claims(path, text.encode())
    return [
        (c.engine, c.version or c.unresolved, c.location.line if c.location else 0)
        for c in SOURCE.collect(path, text, name)
    ]


def test_tool_versions_lines(tmp_path: Path) -> None:
    text = (
        "# tools\nnodejs 20.1.0\nterraform 1.5.7 1.6.0\nopentofu 1.8.3 # fallback\n"
        "vault 1.15.0\n\npacker\nconsul 1.17.0\n"
    )
    assert _collect(tmp_path, ".tool-versions", text) == [
        ("terraform", "1.5.7", 3),  # the first version is the one used
        ("opentofu", "1.8.3", 4),
        ("vault", "1.15.0", 5),
        ("consul", "1.17.0", 8),
    ]


@pytest.mark.parametrize(
    ("name", "engine"), [(".terraform-version", "terraform"), (".opentofu-version", "opentofu")]
)
def test_version_files_take_the_first_line(tmp_path: Path, name: str, engine: str) -> None:
    assert _collect(tmp_path, name, "\n# pinned\n1.6.2\n1.5.7\n") == [(engine, "1.6.2", 3)]


def test_other_names_are_not_claimed() -> None:
    assert not SOURCE.may_claim("terraform-version")
    assert not SOURCE.may_claim("versions.tf")


def _terraform(tmp_path: Path, text: str) -> list[tuple[str, str | None, int]]:
    path = tmp_path / "versions.tf"
    path.write_text(text)
    return [
        (c.engine, c.version or c.unresolved, c.location.line if c.location else 0)
        for c in TERRAFORM.collect(path, text, "versions.tf")
    ]


def test_required_version_exact_and_constraint(tmp_path: Path) -> None:
    exact = _terraform(tmp_path, 'terraform {\n  required_version = "1.5.7"\n}\n')
    assert exact == [("terraform", "1.5.7", 2)]
    text = (
        'terraform {\n  required_providers {\n    aws = {\n      source = "hashicorp/aws"\n'
        '    }\n  }\n  required_version = ">= 1.3"\n}\n'
    )
    ((engine, why, line),) = _terraform(tmp_path, text)
    assert engine == "terraform" and line == 7 and why and "version constraint" in why


def test_terraform_block_without_required_version_yields_nothing(tmp_path: Path) -> None:
    assert _terraform(tmp_path, 'terraform {\n  backend "s3" {}\n}\n') == []


def test_required_version_in_json_syntax(tmp_path: Path) -> None:
    path = tmp_path / "main.tf.json"
    text = '{"terraform": [{"required_version": "1.6.0"}]}\n'
    path.write_text(text)
    found = [(c.engine, c.version) for c in TERRAFORM.collect(path, text, "main.tf.json")]
    assert found == [("terraform", "1.6.0")]


@pytest.mark.parametrize(
    ("constraint", "interval"),
    [
        ("~> 1.5", Interval((1, 5, 0), (2, 0, 0))),
        ("~> 1.5.0", Interval((1, 5, 0), (1, 6, 0))),
        (">= 1.0, < 2.0", Interval((1, 0, 0), (2, 0, 0))),
        ("= 1.5.7", Interval((1, 5, 7), (1, 5, 8))),
        ("!= 1.6.0", Interval(excluded=frozenset({(1, 6, 0)}))),
        ("~> 1", Interval((1, 0, 0))),  # only the one number may grow: any later release
        ("latest:^1.5", None),
    ],
)
def test_cli_pins_read_constraints_as_modules_do(
    constraint: str, interval: Interval | None
) -> None:
    """One reader of Terraform's constraint syntax serves CLI pins and module versions."""
    assert parse_constraint(constraint) == interval


def test_an_excluded_release_is_not_admitted() -> None:
    c = cli_component("terraform", ">= 1.5.0, != 1.5.7, < 1.6.0", HERE, "required_version")
    assert c.unresolved is not None and "1.5.0 to 1.5.6, is MPL-2.0" in c.unresolved


@pytest.mark.parametrize(
    ("constraint", "says"),
    [
        (">= 1.3", "carry different licenses (BUSL-1.1 / MPL-2.0)"),
        ("~> 1.5.0", "1.5.0 to 1.5.7, is MPL-2.0"),
        (">= 1.6.0", "is BUSL-1.1"),
        ("~> 1.11", "1.11.0 to"),
        (">= 9.0", "admits no catalogued Terraform release"),
    ],
)
def test_a_constraint_says_which_licenses_it_admits(constraint: str, says: str) -> None:
    c = cli_component("terraform", constraint, HERE, "required_version")
    assert c.version is None and c.unresolved is not None and says in c.unresolved
