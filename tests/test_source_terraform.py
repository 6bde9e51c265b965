"""Terraform source: managed caches, variable resolution, provider defaults, bad HCL."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.evaluate import Evaluator
from policycheck.model import Component
from policycheck.policy import Verdict, load_policy
from policycheck.sources import all_sources
from policycheck.sources.terraform import config as tf_config
from policycheck.sources.terraform import expressions as tf_expressions
from policycheck.sources.terraform import facts as tf_facts
from policycheck.sources.terraform import hcl as tf_hcl
from policycheck.sources.terraform import source as tf_source
from policycheck.sources.terraform.source import SOURCE
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


def test_a_file_that_cannot_declare_the_variable_is_not_read_for_it(tmp_path: Path) -> None:
    """Only a file whose text holds ``variable "v"`` can declare it: one that merely
    uses ``var.v`` (an outputs file, here a broken one) is not parsed for the lookup."""
    from policycheck.sources.terraform.config import Directory

    (tmp_path / "variables.tf").write_text('variable "v" {\n  default = "7.1"\n}\n')
    (tmp_path / "outputs.tf").write_text('output "o" {\n  value = var.v\n  broken = \n}\n')
    directory = Directory(tmp_path)
    found = directory.variable("v")
    assert found is not None and found.default == "7.1"
    assert directory.broken == {}
    (tmp_path / "z.tf").write_text('variable "v" {\n  default = \n}\n')  # declares it, broken
    directory = Directory(tmp_path)
    found = directory.variable("v")
    assert found is not None and found.default == "7.1"
    assert list(directory.broken) == ["z.tf"]


def _whole_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every HclFile convert the whole file: the reference selection must match."""
    monkeypatch.setattr(tf_hcl.HclFile, "select", lambda self, wanted: self.whole())


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
        tf_hcl.forget_files()
        whole = _outcome(directory / "main.tf", text)
    tf_hcl.forget_files()
    assert selected == whole


# -- local modules ---------------------------------------------------------------------


def _components(target: Path | str) -> list[Component]:
    result = scan_paths([str(target)])
    assert result.errors == []
    return result.components


def _by_place(components: list[Component], root: Path) -> dict[tuple[str, int | None], Component]:
    found: dict[tuple[str, int | None], Component] = {}
    for c in components:
        assert c.location is not None
        place = (Path(c.location.path).relative_to(root).as_posix(), c.location.line)
        assert place not in found, place
        found[place] = c
    return found


LOCAL = FIXTURES / "local-modules"

#: (file, line) -> engine, version, what the reason or notes must say, disabled
LOCAL_EXPECTED: dict[tuple[str, int | None], tuple[str, str | None, str, bool]] = {
    # the module folder itself, as a root module with its defaults
    ("main.tf", 13): ("redis", None, "count = var.enabled && var.make_cluster", True),
    ("main.tf", 29): ("redis", None, "engine_version is not set", False),
    ("main.tf", 42): ("redis", None, "local.global", True),
    # calls, each reported at the call with the call's inputs
    ("examples/memcached/main.tf", 9): (
        "memcached",
        "1.6.22",
        "aws_elasticache_cluster.this",
        False,
    ),
    ("examples/cluster-mode/main.tf", 9): ("redis", "7.1", "replication_group.this", False),
    ("examples/cluster-mode/main.tf", 12): ("unknown", None, 'var.prefer_valkey ? "valkey"', False),
    ("examples/global/main.tf", 7): ("valkey", "8.0", "replication_group.global", False),
    ("examples/global/main.tf", 10): ("unknown", None, "secondary", False),
    ("examples/off/main.tf", 5): ("redis", "7.1", "count = 0", True),
    ("examples/valkey-tfvars/main.tf", 5): ("valkey", "8.1", "terraform.tfvars", False),
    ("modules/serverless/main.tf", 6): ("valkey", None, "major_engine_version is not set", False),
    ("wrappers/main.tf", 1): ("unknown", None, "each.value.engine", True),
}


def _explained(c: Component) -> str:
    location = c.location.text if c.location else ""
    return " | ".join([c.unresolved or "", c.disabled or "", location or "", *c.notes])


def test_local_module_calls_are_followed_and_reported_at_the_call() -> None:
    found = _by_place(_components(LOCAL), LOCAL)
    assert set(found) == set(LOCAL_EXPECTED)
    for place, (engine, version, says, disabled) in LOCAL_EXPECTED.items():
        c = found[place]
        assert (c.engine, c.version, c.disabled is not None) == (engine, version, disabled), place
        assert says in _explained(c), (place, _explained(c))
        assert c.provider == "aws-elasticache" and c.origin == "terraform"


def test_a_call_names_the_module_resource_it_reports() -> None:
    found = _by_place(_components(LOCAL), LOCAL)
    pages = found[("examples/memcached/main.tf", 9)]
    assert pages.notes[0].startswith("through module.pages: aws_elasticache_cluster.this (")
    assert pages.notes[0].endswith("local-modules/main.tf:8)")
    # the call that switches the module off creates nothing: nothing is reported for it
    assert not any("switched_off" in _explained(c) for c in found.values())


def test_a_module_outside_the_scanned_folder_is_not_read(tmp_path: Path) -> None:
    found = _components(LOCAL / "examples" / "memcached")
    (pages,) = found
    assert pages.engine == "memcached" and pages.version is None
    assert "outside the scanned folder" in (pages.unresolved or "")
    # a symlink inside the root that leads out of it is outside too
    (tmp_path / "modules").symlink_to(LOCAL, target_is_directory=True)
    (tmp_path / "main.tf").write_text(
        'module "cache" {\n  source         = "./modules"\n  engine_version = "7.1"\n}\n'
    )
    (c,) = _components(tmp_path)
    assert c.version is None and "outside the scanned folder" in (c.unresolved or "")


def test_modules_that_call_each_other_end(tmp_path: Path) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(
            f'module "{other}" {{\n  source = "../{other}"\n}}\n'
            'resource "aws_elasticache_serverless_cache" "s" {\n'
            '  engine               = "valkey"\n  major_engine_version = "8"\n}\n'
        )
    found = _components(tmp_path)
    # each folder's own resource, and the other's through its call: no loop back
    assert sorted((Path(c.location.path).parent.name, c.location.line) for c in found) == [
        ("a", 1),
        ("a", 6),
        ("b", 1),
        ("b", 6),
    ]
    assert {c.version for c in found} == {"8"}


def test_a_file_with_only_a_local_module_call_is_parsed(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "main.tf").write_text(
        'resource "aws_elasticache_replication_group" "r" {\n'
        "  engine_version = var.v\n}\n"
        'variable "v" {\n  default = "7.0"\n}\n'
    )
    (tmp_path / "prod").mkdir()
    text = 'module "app_store" {\n  source = "../cache"\n  v      = "7.1"\n}\n'
    (tmp_path / "prod" / "main.tf").write_text(text)
    assert SOURCE.worth_parsing(text.lower().encode())
    assert {(Path(c.location.path).parent.name, c.version) for c in _components(tmp_path)} == {
        ("cache", "7.0"),
        ("prod", "7.1"),
    }


# -- public modules --------------------------------------------------------------------

REGISTRY = FIXTURES / "registry"

#: line -> engine, version, what the reason or notes must say
REGISTRY_EXPECTED: dict[int, tuple[str, str | None, str]] = {
    7: ("redis", "7.1", 'engine = "redis" by default in terraform-aws-modules/terraform-aws'),
    15: ("valkey", "8", "modules/serverless-cache creates aws_elasticache_serverless_cache"),
    23: ("unknown", None, "engine is not set: the AWS provider requires it"),
    26: ("redis", "4.0.10", "at ref 1.4.1"),
    32: ("redis", "7.1", "cloudposse/terraform-aws-elasticache-redis v2.1.0 variables.tf"),
    39: ("redis", "7", "creates aws_elasticache_serverless_cache"),
    51: ("redis", "7.2", "google_redis_instance"),
    54: ("valkey", "8.0", "VALKEY_8_0"),
    61: ("memcached", "1.5", "provider default MEMCACHE_1_5"),
    68: ("redis", None, "google_redis_cluster has no version setting"),
    74: ("redis", "6", "provider default 6"),
    81: ("redis", None, "azurerm provider ~> 3.105"),
    88: ("unknown", None, "records them for versions >= 1.0.0"),
    95: ("unknown", None, "at ref master are not known"),
    107: ("valkey", None, "is not one policycheck knows"),
}


def test_public_module_calls_use_their_published_defaults() -> None:
    found = _by_place(_components(REGISTRY), REGISTRY)
    assert {line for _, line in found} == set(REGISTRY_EXPECTED)
    for line, (engine, version, says) in REGISTRY_EXPECTED.items():
        c = found[("main.tf", line)]
        assert (c.engine, c.version) == (engine, version), line
        assert says in _explained(c), (line, _explained(c))
    # a module of another kind (vpc) and a call with create = false give nothing
    assert ("main.tf", 112) not in found and ("main.tf", 100) not in found


SOURCES: dict[str, tuple[str, str, str | None] | None] = {
    "terraform-aws-modules/elasticache/aws": ("terraform-aws-modules/elasticache/aws", "", None),
    "registry.terraform.io/terraform-aws-modules/elasticache/aws//modules/serverless-cache": (
        "terraform-aws-modules/elasticache/aws",
        "modules/serverless-cache",
        None,
    ),
    "Terraform-AWS-Modules/Memory-DB/aws": ("terraform-aws-modules/memory-db/aws", "", None),
    "git::https://github.com/cloudposse/terraform-aws-elasticache-redis.git?ref=v2.1.0": (
        "cloudposse/elasticache-redis/aws",
        "",
        "v2.1.0",
    ),
    "github.com/terraform-google-modules/terraform-google-memorystore//modules/valkey?ref=v16.0.1": (
        "terraform-google-modules/memorystore/google",
        "modules/valkey",
        "v16.0.1",
    ),
    "git@github.com:Azure/terraform-azurerm-avm-res-cache-redis.git": (
        "Azure/avm-res-cache-redis/azurerm",
        "",
        None,
    ),
    "git::ssh://git@github.com/terraform-google-modules/terraform-google-memorystore.git"
    "//modules/memcache?ref=main&depth=1": (
        "terraform-google-modules/memorystore/google",
        "modules/memcache",
        "main",
    ),
    "terraform-aws-modules/elasticache/aws//modules/user-group": None,
    "terraform-aws-modules/vpc/aws": None,
    "app.terraform.io/acme/elasticache/aws": None,
    "./modules/elasticache": None,
}


@pytest.mark.parametrize("source, expected", SOURCES.items(), ids=list(SOURCES))
def test_module_sources_name_known_modules(
    source: str, expected: tuple[str, str, str | None] | None
) -> None:
    found = tf_facts.known_module(source)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert (found.facts.registry, found.facts.subdirectory, found.ref) == expected


CONSTRAINTS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int] | None]] = {
    "~> 1.4": ((1, 4, 0), (2, 0, 0)),
    "~> 1.4.2": ((1, 4, 2), (1, 5, 0)),
    "~> 4": ((4, 0, 0), None),
    ">= 1.2, < 2.0": ((1, 2, 0), (2, 0, 0)),
    "1.3.0": ((1, 3, 0), (1, 3, 1)),
    "= v2.1.0": ((2, 1, 0), (2, 1, 1)),
    "> 1.0.0, <= 1.5": ((1, 0, 1), (1, 5, 1)),
    ">= 1.0, != 1.2.0": ((1, 0, 0), None),
}


@pytest.mark.parametrize("text, interval", CONSTRAINTS.items(), ids=list(CONSTRAINTS))
def test_version_constraints_read_as_terraform_reads_them(
    text: str, interval: tuple[tuple[int, int, int], tuple[int, int, int] | None]
) -> None:
    parsed = tf_facts.parse_constraint(text)
    assert parsed is not None
    assert (parsed.low, parsed.high) == interval


@pytest.mark.parametrize(
    "wanted, release",
    [
        (None, ">= 2.0.0"),  # no constraint: the newest release
        (">= 1.0", ">= 2.0.0"),  # no upper bound: the newest release
        ("~> 1.7", ">= 0.5.0, < 2.0.0"),
        ("= 2.1.0", ">= 2.0.0"),
        ("~> 0.4.0", None),  # older than every recorded range
        (">= 1.0, < 3.0", None),  # spans two ranges: which one Terraform picks is unsure
    ],
)
def test_a_call_gets_the_defaults_of_the_release_terraform_installs(
    wanted: str | None, release: str | None
) -> None:
    (module,) = [m for m in tf_facts.facts().modules if m.registry.startswith("cloudposse/")]
    interval = None if wanted is None else tf_facts.parse_constraint(wanted)
    found = module.release(interval)
    assert (found.versions if found else None) == release


# -- resources, values and syntax --------------------------------------------------------

MANAGED = FIXTURES / "managed"

MANAGED_EXPECTED: dict[int, tuple[str, str | None, str | None, str]] = {
    6: ("valkey", "7.3", "aws-memorydb", ""),
    9: ("unknown", None, "aws-memorydb", "engine is not set: the AWS provider requires it"),
    15: ("redis", None, "gcp-memorystore", "no version setting"),
    23: ("memcached", "1.6.15", "gcp-memorystore", ""),
    30: ("memcached", "1.5", "gcp-memorystore", "provider default MEMCACHE_1_5"),
    42: ("valkey", "7.2", "gcp-memorystore", ""),
    45: ("redis", None, "azure-cache", "Redis Enterprise version"),
    52: ("redis", None, "azure-cache", "Azure Managed Redis"),
    63: ("unknown", None, "aws-elasticache", 'engine is an expression: var.use_valkey ? "valkey"'),
    70: ("valkey", None, "aws-elasticache", "engine_version is not set"),
    77: ("redis", "7.1", "aws-elasticache", "engine is not set: the provider's default is redis"),
}


def test_managed_cache_resources_and_null_values() -> None:
    found = _by_place(_components(MANAGED), MANAGED)
    assert {line for _, line in found} == set(MANAGED_EXPECTED)
    for line, (engine, version, provider, says) in MANAGED_EXPECTED.items():
        c = found[("main.tf", line)]
        assert (c.engine, c.version, c.provider) == (engine, version, provider), line
        assert says in _explained(c), (line, _explained(c))


def test_provider_defaults_hold_only_for_the_provider_versions_they_are_cited_for() -> None:
    (old,) = _components(FIXTURES / "azure-v3")
    assert old.version is None and "azurerm provider ~> 3.100" in (old.unresolved or "")
    (locked,) = _components(FIXTURES / "azure-locked")
    assert locked.version is None and "3.117.1 in .terraform.lock.hcl" in (locked.unresolved or "")


def test_terraform_json_syntax_is_read_like_hcl() -> None:
    assert SOURCE.may_claim("main.tf.json") and SOURCE.claims(Path("x.auto.tfvars.json"), b"")
    found = _by_place(_components(FIXTURES / "json"), FIXTURES / "json")
    assert (found[("main.tf.json", 12)].engine, found[("main.tf.json", 12)].version) == (
        "valkey",
        "8.0",
    )
    assert "terraform.tfvars.json" in (found[("main.tf.json", 12)].location.text or "")
    assert (found[("main.tf.json", 20)].engine, found[("main.tf.json", 20)].version) == (
        "valkey",
        "8",
    )


def test_broken_terraform_json_is_an_input_error_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        '{\n  "resource": {\n    "aws_elasticache_cluster": \n}\n'
    )
    result = scan_paths([str(tmp_path)])
    (error,) = result.errors
    assert error.line == 4 and "not valid JSON" in error.message


@pytest.mark.parametrize("name", ["main.tf", "prod.tfvars", "main.tf.json", "x.tfvars.json"])
def test_integers_beyond_python_limit_are_not_errors(tmp_path: Path, name: str) -> None:
    digits = "9" * 5000
    if name.endswith(".json"):
        body = f'{{"engine_version": {digits}, "family": "redis7"}}'
        if name == "main.tf.json":
            body = (
                '{"resource": {"aws_elasticache_replication_group": {"r": '
                f'{{"engine_version": {digits}}}}}}}}}'
            )
    elif name.endswith(".tfvars"):
        body = f'family = "redis7"\nengine_version = {digits}\n'
    else:
        body = f'resource "aws_elasticache_replication_group" "r" {{\n  engine_version = {digits}\n}}\n'
    (tmp_path / name).write_text(body)
    result = scan_paths([str(tmp_path)])
    assert result.errors == []
    (c,) = result.components
    assert c.engine == "redis"


# -- the evaluator ---------------------------------------------------------------------


class _Context:
    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables

    def variable(self, name: str, depth: int) -> tf_expressions.Result:
        if name in self.variables:
            return tf_expressions.evaluate(self.variables[name], self, depth)
        return tf_expressions.Unknown(f"var.{name} is not set")

    def local(self, name: str, depth: int) -> tf_expressions.Result:
        return tf_expressions.Unknown(f"local.{name} is not set")


_VARS = {"on": True, "off": False, "m": {"k": "v", "n": None}, "l": ["a", "b"], "v": "7"}

EXPRESSIONS: dict[str, Any] = {
    '${var.on ? "valkey" : "redis"}': "valkey",
    '${var.off ? "valkey" : "redis"}': "redis",
    '${var.unset ? "valkey" : "valkey"}': "valkey",  # both branches agree
    '${var.unset ? "valkey" : "redis"}': None,  # unknown
    "${var.off && var.unset}": False,  # false decides &&
    "${var.on || var.unset}": True,  # true decides ||
    "${var.on && var.unset}": None,
    '${var.v == "7"}': True,
    "${var.v == 7}": False,  # Terraform compares types: "7" is not 7
    "${!var.off}": True,
    "${1 + 2 * 3}": 7,
    "${var.m.k}": "v",
    '${var.m["k"]}': "v",
    "${var.l[1]}": "b",
    '${coalesce(var.m.n, "", "x")}': "x",
    '${try(var.m.missing, "fallback")}': "fallback",
    '${try(var.unset, "fallback")}': None,  # unknown is not an error: try cannot decide
    "${can(var.l[5])}": False,
    '${lookup(var.m, "k", "d")}': "v",
    '${lookup(var.m, "z", "d")}': "d",
    '${upper(var.v)}-${lower("X")}': "7-x",
    "${var.v}.1": "7.1",
    "$${literal} ${var.v}": "${literal} 7",
    "${length(var.l)}": 2,
    "${data.aws_x.y.engine}": None,
    "${each.value.engine}": None,
    '${replace(var.v, "7", "8")}': None,  # not evaluated here
    "${[for x in var.l : x]}": None,
    "${null}": "null",
}


@pytest.mark.parametrize("raw, expected", EXPRESSIONS.items(), ids=list(EXPRESSIONS))
def test_expressions_evaluate_as_terraform_would(raw: str, expected: Any) -> None:
    result = tf_expressions.evaluate(raw, _Context(_VARS))
    if expected is None:
        assert isinstance(result, tf_expressions.Unknown), result
        assert "None" not in result.why
    elif expected == "null":
        assert result == tf_expressions.Known(None)
    else:
        assert isinstance(result, tf_expressions.Known), result
        assert result.value == expected
        assert type(result.value) is type(expected)


_ENGINE_VALUES = st.sampled_from(
    [
        None,
        '"redis"',
        '"valkey"',
        "null",
        "var.e",
        "var.missing",
        'var.flag ? "valkey" : "redis"',
        "var.flag ? null : var.e",
        'lookup(var.m, "engine", null)',
        "local.l",
        "data.x.y.engine",
        "each.value.engine",
        '"${var.e}"',
        "upper(var.e)",
    ]
)
_VERSION_VALUES = st.sampled_from(
    [None, '"7.1"', "7.1", "null", "var.v", "var.flag ? null : var.v", "local.nothing", "var.m"]
)
_KINDS = st.sampled_from(sorted(tf_facts.facts().resources))


@settings(max_examples=150, deadline=None)
@given(_KINDS, _ENGINE_VALUES, _VERSION_VALUES, st.booleans())
def test_no_message_shows_a_python_none(
    kind: str, engine: str | None, version: str | None, counted: bool
) -> None:
    resource = tf_facts.facts().resources[kind]
    lines = [f'resource "{kind}" "r" {{']
    if counted:
        lines.append("  count = var.flag ? 1 : 0")
    if engine is not None and resource.engine.attribute:
        lines.append(f"  {resource.engine.attribute} = {engine}")
    if version is not None and resource.version.attribute:
        lines.append(f"  {resource.version.attribute} = {version}")
    text = "\n".join([*lines, "}"]) + (
        '\nvariable "e" {\n  default = null\n}\nvariable "v" {\n  default = null\n}\n'
        'variable "m" {\n  default = {}\n}\nvariable "flag" {\n  default = false\n}\n'
        "locals {\n  l = null\n}\n"
    )
    for c in SOURCE.collect(Path("/nonexistent/main.tf"), text, "main.tf"):
        said = " ".join(filter(None, [c.engine, c.version, c.unresolved, c.disabled, *c.notes])) + (
            c.location.text or "" if c.location else ""
        )
        assert "None" not in said, said
        assert (
            c.engine != "redis"
            or engine in (None, '"redis"', "null")
            or kind.startswith(("google_redis", "azurerm"))
        ), (engine, said)


def test_an_unknown_engine_is_reviewed_with_its_reason() -> None:
    found = _by_place(_components(MANAGED), MANAGED)
    chosen = found[("main.tf", 63)]
    finding = Evaluator(load_policy("default"), dt.date(2026, 12, 1)).evaluate(chosen)
    assert finding.verdict is Verdict.REVIEW
    assert finding.provider == "aws-elasticache"
    assert "The engine could not be determined" in finding.rationale[0]
    assert "var.use_valkey" in finding.rationale[0]


_ATOMS = st.sampled_from(
    [
        "var.on",
        "var.off",
        "var.m",
        "var.l",
        "var.v",
        "var.nope",
        "local.a",
        "null",
        "true",
        "1",
        "2.5",
        '"s"',
        '"${var.v}-x"',
        "data.x.y.z",
        "each.key",
        "count.index",
        "[]",
        "{}",
        "-1",
    ]
)
_OPERATORS = st.sampled_from(["==", "!=", "&&", "||", "+", "-", "*", "/", "%", "<", ">="])


def _combine(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return (
        st.builds(lambda a, op, b: f"({a} {op} {b})", parts, _OPERATORS, parts)
        | st.builds(lambda c, a, b: f"({c} ? {a} : {b})", parts, parts, parts)
        | st.builds(lambda a: f"!{a}", parts)
        | st.builds(lambda a, b: f"[{a}, {b}]", parts, parts)
        | st.builds(lambda a: f"{{k = {a}}}", parts)
        | st.builds(lambda a: f"{a}[0]", parts)
        | st.builds(lambda a: f"{a}.k", parts)
        | st.builds(
            lambda f, a, b: f"{f}({a}, {b})",
            st.sampled_from(["coalesce", "try", "lookup", "join", "contains", "merge", "max"]),
            parts,
            parts,
        )
        | st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["lower", "length", "can"]), parts)
    )


@settings(max_examples=300, deadline=None)
@given(st.recursive(_ATOMS, _combine, max_leaves=8))
def test_any_expression_evaluates_without_an_exception(expression: str) -> None:
    (raw,) = tf_hcl.parse_hcl(f"x = {expression}\n", "t.tf").values()
    result = tf_expressions.evaluate(raw, _Context({**_VARS, "locals": None}))
    if isinstance(result, tf_expressions.Unknown):
        assert "None" not in result.why


def test_locals_that_refer_to_each_other_end(tmp_path: Path) -> None:
    chain = "".join(f"  l{i} = local.l{i + 1}\n" for i in range(200))
    files = {
        "main.tf": 'resource "aws_elasticache_replication_group" "r" {\n'
        "  engine_version = local.l0\n}\n"
        'resource "aws_elasticache_replication_group" "s" {\n'
        "  engine_version = local.loop\n}\n"
        f'locals {{\n{chain}  l200 = "7.1"\n  loop = local.loop\n}}\n',
    }
    deep, looped = _collect(tmp_path, files)
    assert deep.version is None and "more than 64 references" in (deep.unresolved or "")
    assert looped.version is None and "local.loop refers to itself" in (looped.unresolved or "")


# -- the facts ---------------------------------------------------------------------------


def test_every_module_fact_is_complete_and_consistent() -> None:
    facts = tf_facts.facts()
    for module in facts.modules:
        for deploy in module.deploys:
            assert deploy.resource in facts.resources, module.address
            needed = set(deploy.when) | set(module.off_when)
            needed |= {name for name in (deploy.engine_input, deploy.version_input) if name}
            for release in module.releases:
                # every input the module's logic reads has a recorded default
                assert needed <= set(release.inputs), (module.address, release.versions)
                assert release.evidence["repo"].lower() == module.repository
        ranges = [r.interval for r in module.releases]
        assert sum(r.high is None for r in ranges) == 1, module.address  # one newest range
    for resource in facts.resources.values():
        if resource.engine.default or resource.version.default:
            assert resource.engine.evidence or resource.version.evidence


def test_a_default_without_evidence_is_a_schema_error() -> None:
    import copy

    import yaml

    from policycheck.data import validator

    data = yaml.safe_load((FIXTURES.parents[2] / "licenses" / "terraform.yaml").read_text())
    assert list(validator("terraform").iter_errors(data)) == []
    broken = copy.deepcopy(data)
    del broken["resources"]["azurerm_redis_cache"]["version"]["evidence"]
    (error,) = validator("terraform").iter_errors(broken)
    assert "evidence" in error.message


def test_files_kept_for_reuse_stay_within_their_byte_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parsed file keeps its syntax tree (about 70 bytes per byte of source): the
    files kept for sibling and module lookups are bounded by their source size, the
    most recently read kept, so a module collection cannot exhaust memory."""
    monkeypatch.setattr(tf_hcl, "CACHE_SOURCE_BYTES", 10_000)
    tf_hcl.forget_files()
    body = 'variable "x" { default = "y" }\n' * 100  # 3,200 bytes
    paths = []
    for i in range(8):
        path = tmp_path / f"f{i}.tf"
        path.write_text(body)
        paths.append(path)
        assert tf_hcl.hcl_file(path) is not None
    assert tf_hcl.kept_source_bytes() <= 10_000
    newest = tf_hcl.hcl_file(paths[-1])
    assert tf_hcl.hcl_file(paths[-1]) is newest  # still kept: read once
    assert tf_hcl.hcl_file(paths[0]) is not tf_hcl.hcl_file(paths[-1])
    big = tmp_path / "big.tf"
    big.write_text(body * 5)  # larger than the budget alone: kept until the next file
    assert tf_hcl.hcl_file(big) is tf_hcl.hcl_file(big)
    tf_hcl.forget_files()


CLI_ONLY = """terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
# managed with terraform-aws-modules
module "vpc" {
  source = "terraform-aws-modules/vpc/aws"
  cidr   = "10.0.0.0/16"
}
"""


@pytest.mark.parametrize(
    ("extra", "parsed"),
    [
        ("", False),  # names Terraform, pins nothing: no component can come of it
        ('terraform {\n  required_version = ">= 1.5"\n}\n', True),  # a CLI pin
        ('module "db" {\n  source = "x/rds/aws"\n  engine = "postgres"\n}\n', True),
    ],
)
def test_terraform_named_only_as_the_cli_is_parsed_only_where_it_can_matter(
    tmp_path: Path, extra: str, parsed: bool
) -> None:
    """Every configuration names Terraform; a file is parsed for that word only beside
    ``required_version`` or a module's ``engine`` input, and never loses a finding."""
    (tmp_path / "main.tf").write_text(CLI_ONLY + extra)
    result = scan_paths([str(tmp_path)])
    assert result.stats.parsed == (1 if parsed else 0)
    assert bool(result.components) == parsed
    assert SOURCE.worth_parsing((CLI_ONLY + extra).lower().encode()) == parsed


def test_the_terraform_prefilter_never_loses_a_component(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On every Terraform fixture, the scan finds what it finds when every file is
    parsed (the prefilter only spares work)."""
    folders = sorted({p.parent for p in FIXTURES.rglob("*.tf")})
    assert len(folders) > 5
    before = [scan_paths([str(f)]).components for f in folders]
    monkeypatch.setattr(type(SOURCE), "worth_parsing", lambda self, lowered: True)
    monkeypatch.setattr(tf_source, "_may_yield", lambda text: True)
    monkeypatch.setattr(tf_config, "may_declare", lambda text, is_cache: True)
    real_select = tf_config.Directory.select
    monkeypatch.setattr(  # every file of a folder parsed for every question
        tf_config.Directory,
        "select",
        lambda self, wanted, may_hold=None: real_select(self, wanted),
    )
    after = [scan_paths([str(f)]).components for f in folders]
    assert before == after


@pytest.mark.parametrize(
    ("text", "declares"),
    [
        ('module "cache" {\n  source = "./cache"\n}\n', True),
        ("  module cache {\n}\n", True),
        ('/* the cache */ module "cache" {\n}\n', True),
        ('locals {\n  a = 1\n}\rmodule "cache" {\r}\r', True),  # CR line breaks
        ('resource "aws_elasticache_cluster" "c" {\n}\n', True),
        ('output "endpoint" {\n  value = module.redis.endpoint\n}\n', False),
        ('variable "engine" {\n  description = "Redis module version"\n}\n', False),
        ('resource "aws_security_group" "redis" {\n  name = "redis"\n}\n', False),
        ('variable "module_name" {\n}\n', False),
    ],
)
def test_a_file_is_parsed_for_declarations_only_where_its_text_can_hold_one(
    text: str, declares: bool
) -> None:
    assert tf_config.may_declare(text, tf_source._is_cache) is declares


def test_a_file_that_names_the_engine_but_declares_nothing_is_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module's variables.tf names its engine in every description; only main.tf,
    which declares the cache, is parsed, and the finding is the same."""
    (tmp_path / "variables.tf").write_text(
        'variable "redis_version" {\n  description = "Redis version"\n  default = "7.1"\n}\n'
    )
    (tmp_path / "main.tf").write_text(
        'resource "aws_elasticache_cluster" "c" {\n'
        '  engine         = "redis"\n'
        "  engine_version = var.redis_version\n"
        "}\n"
    )
    parsed: list[str] = []
    real = tf_source._parse

    def spy(path: Path, text: str, display: str) -> Any:
        parsed.append(path.name)
        return real(path, text, display)

    monkeypatch.setattr(tf_source, "_parse", spy)
    result = scan_paths([str(tmp_path)])
    assert parsed == ["main.tf"]
    assert [(c.engine, c.version) for c in result.components] == [("redis", "7.1")]
