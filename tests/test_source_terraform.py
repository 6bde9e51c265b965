"""Terraform source: managed caches, variable resolution, provider defaults, bad HCL."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.sources import _hcl, all_sources
from policycheck.sources.terraform import SOURCE
from policycheck.walk import scan_paths

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"


def _scan(name: str) -> dict[tuple[str, int | None], Component]:
    result = scan_paths([str(FIXTURES / name)])
    assert result.errors == []
    return {
        (Path(c.location.path).name, c.location.line): c
        for c in result.components
        if c.location is not None
    }


def _collect(tmp_path: Path, files: dict[str, str], target: str = "main.tf") -> list[Component]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    path = tmp_path / target
    return list(SOURCE.collect(path, path.read_text(), target))


def test_is_discovered_and_claims_terraform_files_only() -> None:
    assert SOURCE in all_sources()
    assert SOURCE.claims(Path("main.tf"), b"")
    assert SOURCE.claims(Path("prod.tfvars"), b"")
    assert SOURCE.claims(Path("x.auto.tfvars"), b"")
    assert not SOURCE.claims(Path("main.tf.bak"), b"")
    assert not SOURCE.claims(Path("values.yaml"), b"")


def test_elasticache_resources() -> None:
    found = _scan("elasticache")
    sessions = found[("main.tf", 8)]
    assert (sessions.engine, sessions.version, sessions.floating) == ("redis", "7.1", True)
    assert sessions.provider == "aws-elasticache"
    assert sessions.origin == "terraform"
    assert "terraform.tfvars" in (sessions.location.text or "")
    queue = found[("main.tf", 20)]
    assert (queue.engine, queue.version) == ("valkey", "8.0")
    pages = found[("main.tf", 27)]
    assert (pages.engine, pages.version, pages.floating) == ("memcached", "1.6.22", False)
    serverless = found[("main.tf", 41)]
    assert (serverless.engine, serverless.version, serverless.floating) == ("valkey", "8", True)
    legacy = found[("main.tf", 44)]
    assert legacy.version is None
    assert legacy.unresolved is not None and "legacy" in legacy.unresolved
    # the member cluster (replication_group_id, no engine) is not reported twice
    assert len(found) == 5


def test_google_memorystore_versions_and_default() -> None:
    found = _scan("gcp")
    assert (found[("main.tf", 5)].engine, found[("main.tf", 5)].version) == ("redis", "7.2")
    assert found[("main.tf", 11)].version == "6"
    unpinned = found[("main.tf", 14)]
    assert unpinned.version is None and "latest supported" in (unpinned.unresolved or "")
    valkey = found[("main.tf", 23)]
    assert (valkey.engine, valkey.version, valkey.provider) == ("valkey", "8.0", "gcp-memorystore")


def test_azure_numbers_locals_and_documented_default() -> None:
    found = _scan("azure")
    assert {c.version for c in found.values()} == {"6"}
    assert all(c.provider == "azure-cache" for c in found.values())
    defaulted = found[("main.tf", 15)]
    assert "provider default" in (defaulted.location.text or "")
    assert "local.redis_major" in (found[("main.tf", 31)].location.text or "")


def test_unresolvable_versions_name_the_reason() -> None:
    found = _scan("unresolved")
    assert len(found) == 3
    assert all(c.version is None for c in found.values())
    reasons = {line: c.unresolved or "" for (_, line), c in found.items()}
    assert "variable engine_version has no default" in reasons[14]
    assert "dev.tfvars, prod.tfvars" in reasons[20]
    assert "data.aws_elasticache_cluster.existing.engine_version" in reasons[26]


def test_standalone_tfvars_uses_the_family_heuristic() -> None:
    found = _scan("wrapper")
    (c,) = found.values()
    assert (c.engine, c.version, c.provider, c.floating) == (
        "valkey",
        "8.0",
        "aws-elasticache",
        True,
    )
    assert c.location is not None and c.location.line == 10


def test_tfvars_without_family_or_engine_is_not_a_cache(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"x.tfvars": 'engine_version = "14.1"\n'}, "x.tfvars")
    assert found == []


def test_tfvars_beside_a_resource_is_reported_once(tmp_path: Path) -> None:
    files = {
        "main.tf": 'resource "aws_elasticache_replication_group" "r" {\n'
        "  engine_version = var.engine_version\n}\n"
        'variable "engine_version" {\n  default = "6.2"\n}\n',
        "prod.tfvars": 'family = "redis7"\nengine_version = "7.1"\n',
    }
    assert _collect(tmp_path, files, "prod.tfvars") == []
    (c,) = _collect(tmp_path, {}, "main.tf")
    assert c.version == "7.1"  # the single -var-file value overrides the default


def test_auto_tfvars_override_terraform_tfvars(tmp_path: Path) -> None:
    files = {
        "main.tf": 'resource "aws_elasticache_replication_group" "r" {\n'
        "  engine_version = var.v\n}\n",
        "terraform.tfvars": 'v = "7.0"\n',
        "z.auto.tfvars": 'v = "7.1"\n',
    }
    (c,) = _collect(tmp_path, files)
    assert c.version == "7.1"


def test_template_with_variable_is_resolved(tmp_path: Path) -> None:
    files = {
        "main.tf": 'variable "major" {\n  default = "7"\n}\n'
        'resource "aws_elasticache_replication_group" "r" {\n'
        '  engine_version = "${var.major}.1"\n}\n',
    }
    (c,) = _collect(tmp_path, files)
    assert c.version == "7.1"
    assert c.location is not None and c.location.line == 5


def test_engine_from_unresolvable_variable_is_unresolved(tmp_path: Path) -> None:
    files = {
        "main.tf": 'resource "aws_elasticache_replication_group" "r" {\n'
        "  engine = var.which\n"
        '  engine_version = "7.1"\n}\n',
    }
    (c,) = _collect(tmp_path, files)
    assert c.version is None
    assert "which" in (c.unresolved or "")


def test_elasticache_wrapper_module_block(tmp_path: Path) -> None:
    files = {
        "main.tf": 'module "cache" {\n'
        '  source         = "cloudposse/elasticache-redis/aws"\n'
        '  engine_version = "7.1"\n}\n'
        'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n',
    }
    (c,) = _collect(tmp_path, files)
    assert (c.engine, c.version, c.provider) == ("redis", "7.1", "aws-elasticache")
    assert c.location is not None and c.location.line == 3


def test_malformed_hcl_is_an_input_error_with_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        _collect(tmp_path, {"main.tf": 'resource "aws_elasticache_cluster" "b" {\n  x =\n}\n'})
    assert info.value.line == 2
    assert "HCL" in info.value.message


def test_walker_reports_malformed_file_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.tf").write_text('resource "aws_elasticache_cluster" "c" {\n  engine = \n')
    result = scan_paths([str(tmp_path)])
    assert result.components == []
    (error,) = result.errors
    assert error.path is not None and error.path.endswith("bad.tf")


def test_corpus_cloudposse_tfvars() -> None:
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "terraform"
    if not corpus.is_dir():
        pytest.skip("shared corpus not present")
    result = scan_paths([str(corpus)])
    assert result.errors == []
    (c,) = result.components
    assert (c.engine, c.version, c.provider) == ("redis", "7.0", "aws-elasticache")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet='resouc"{}=\n #_.$av7', max_size=80))
def test_arbitrary_text_never_escapes_as_a_library_error(text: str) -> None:
    path = Path("/nonexistent/fuzz.tf")
    with contextlib.suppress(InputError):
        list(SOURCE.collect(path, text, "fuzz.tf"))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 30),
    st.integers(0, 30),
    st.one_of(st.none(), st.integers(0, 30)),
    st.sampled_from(["redis", "valkey"]),
)
def test_literal_versions_round_trip(
    major: int, minor: int, patch: int | None, engine: str
) -> None:
    version = f"{major}.{minor}" + ("" if patch is None else f".{patch}")
    text = (
        'resource "aws_elasticache_replication_group" "r" {\n'
        f'  engine         = "{engine}"\n'
        f'  engine_version = "{version}"\n'
        "}\n"
    )
    (c,) = SOURCE.collect(Path("/nonexistent/main.tf"), text, "main.tf")
    assert (c.engine, c.version, c.floating) == (engine, version, patch is None)
    assert c.location is not None and c.location.line == 3


def test_broken_block_anywhere_in_the_file_is_an_input_error(tmp_path: Path) -> None:
    """The whole file is parsed (tree-sitter makes that cheap), so a broken block that
    declares no cache still makes the file an input error, at the broken line."""
    text = (
        'output "x" {\n  value =\n}\n'
        'resource "aws_elasticache_replication_group" "r" {\n  engine_version = "7.1"\n}\n'
    )
    with pytest.raises(InputError) as info:
        _collect(tmp_path, {"main.tf": text})
    assert info.value.line == 2
    assert info.value.message.startswith("not valid HCL2")


def test_unparsable_variable_is_named_in_the_reason(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'resource "aws_elasticache_replication_group" "r" {\n  engine_version = var.v\n}\n'
        ),
        "variables.tf": 'variable "v" {\n  default = \n}\n',
    }
    (c,) = _collect(tmp_path, files)
    assert c.version is None
    assert c.unresolved is not None
    assert "variable v has no default" in c.unresolved
    assert "variables.tf:2 could not be parsed" in c.unresolved


def _whole_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every HclFile convert the whole file: the reference selection must match."""
    monkeypatch.setattr(_hcl.HclFile, "select", lambda self, wanted: self.whole())


_FILLER = st.sampled_from(
    [
        'variable "region" {\n  default = "eu-west-1"\n}\n',
        'variable "v" {\n  default = "7.1"\n}\n',
        'variable "engine" {\n  type    = string\n  default = "valkey"\n}\n',
        'output "endpoint" {\n  value = aws_elasticache_replication_group.r.id\n}\n',
        'locals {\n  version = "6.2"\n}\n',
        "# a comment\n\n",
        'provider "aws" {\n  region = var.region\n}\n',
        'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n',
        '  resource "aws_elasticache_cluster" "m" {\n    engine = "memcached"\n  }\n',
        'output "broken" {\n  value =\n}\n',
        'resource "aws_elasticache_replication_group" "r" {\n  engine_version = var.v\n}\n',
        'resource "google_redis_instance" "g" {\n  redis_version = "REDIS_7_2"\n}\n',
        'resource "aws_elasticache_serverless_cache" "s" {\n'
        "  engine               = var.engine\n  major_engine_version = local.version\n}\n",
        'module "cache" {\n  source         = "cloudposse/elasticache-redis/aws"\n'
        '  engine_version = "7.0"\n}\n',
    ]
)


def _outcome(path: Path, text: str) -> object:
    try:
        return [
            (c.engine, c.version, c.unresolved, c.location) for c in SOURCE.collect(path, text, "m")
        ]
    except InputError as exc:
        return ("error", exc.line)


@settings(max_examples=80, deadline=None)
@given(st.lists(_FILLER, max_size=8), st.lists(_FILLER, max_size=4))
def test_block_selection_gives_the_same_answer_as_converting_whole_files(
    tmp_path_factory: pytest.TempPathFactory, main: list[str], other: list[str]
) -> None:
    """Converting only the blocks that matter is an optimisation: it never changes a
    result, broken files included (both ways the whole file is parsed and checked)."""
    directory = tmp_path_factory.mktemp("tf")
    (directory / "main.tf").write_text("".join(main))
    (directory / "other.tf").write_text("".join(other))
    text = "".join(main)
    selected = _outcome(directory / "main.tf", text)
    with pytest.MonkeyPatch.context() as mp:
        _whole_file(mp)
        _hcl._cached.cache_clear()
        whole = _outcome(directory / "main.tf", text)
    _hcl._cached.cache_clear()
    assert selected == whole
