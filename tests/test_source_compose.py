"""Compose source: service images, .env interpolation, and the traps real files set."""

from __future__ import annotations

import string
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import core
from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.sources import all_sources
from policycheck.sources import compose as compose_module
from policycheck.sources.compose import (
    MISSING,
    SOURCE,
    TemplateError,
    interpolate,
    parse_dotenv,
    unresolved_reason,
)
from policycheck.walk import scan_paths

FIXTURES = Path(__file__).parent / "fixtures" / "source_compose"


def collect(tmp_path: Path, compose: str, env: str | None = None) -> list[Component]:
    """Write a compose file (and .env) into tmp_path and collect from it."""
    path = tmp_path / "docker-compose.yml"
    path.write_text(compose)
    if env is not None:
        (tmp_path / ".env").write_text(env)
    return list(SOURCE.collect(path, compose, "docker-compose.yml"))


def summary(components: list[Component]) -> list[tuple[str, str | None, int | None]]:
    return [(c.engine, c.version, c.location.line if c.location else None) for c in components]


# --- claims -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "docker-compose.yml",
        "docker-compose.override.yaml",
        "docker-compose.postgres.yml",
        "compose.yaml",
        "compose.prod.yml",
        "paperless-docker-compose.yml",
    ],
)
def test_claims_compose_file_names(name: str) -> None:
    assert SOURCE.claims(Path(name), b"")


def test_claims_renamed_compose_file_by_its_top_level_keys() -> None:
    head = b"x-restart-policy: &restart\n  restart: unless-stopped\nservices:\n"
    assert SOURCE.claims(Path("stack.yml"), head)
    assert SOURCE.claims(Path("sentry.yaml"), b"services:\n  redis:\n    image: redis\n")


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("deployment.yaml", b"apiVersion: apps/v1\nkind: Deployment\nspec:\n  services: 1\n"),
        ("values.yaml", b"image:\n  repository: bitnami/redis\nservice:\n  ports: {}\n"),
        ("docker-compose.json", b'{"services": {}}'),
        (".gitlab-ci.yml", b"image: python:3.12\nservices:\n  - redis:7.2\nstages: [test]\n"),
        (".drone.yml", b"kind: pipeline\nservices:\n- name: cache\n  image: redis\n"),
        ("openapi.yaml", b"openapi: 3.1.0\nx-tagGroups: []\n"),
        ("Dockerfile", b"FROM redis:7\n"),
    ],
)
def test_does_not_claim_other_files(name: str, head: bytes) -> None:
    assert not SOURCE.claims(Path(name), head)


def test_compose_claims_before_generic_yaml_sources() -> None:
    sources = all_sources()
    first = next(s for s in sources if s.claims(Path("docker-compose.yml"), b"services:\n"))
    assert first.name == "compose"


# --- images -------------------------------------------------------------------------


def test_realistic_stack_image_decides_engine_never_service_name() -> None:
    path = FIXTURES / "selfhosted" / "docker-compose.yml"
    found = list(SOURCE.collect(path, path.read_text(), "docker-compose.yml"))
    assert summary(found) == [
        ("memcached", "1.6.38", 5),
        ("valkey", "8.1.3", 9),  # service named "redis"
        ("redis", "6.2.20", 13),  # service named "broker"
    ]
    assert [c.location.text for c in found if c.location] == [
        "memcached:1.6.38-alpine",
        "valkey/valkey:8.1.3-alpine",
        "docker.io/library/redis:6.2.20-alpine",
    ]
    assert not any(c.floating or c.unresolved for c in found)


def test_quoted_image_is_read_as_the_image(tmp_path: Path) -> None:
    found = collect(tmp_path, 'services:\n  redis:\n    image: "redis:6.2.20-alpine"\n')
    assert summary(found) == [("redis", "6.2.20", 3)]
    assert found[0].location and found[0].location.text == "redis:6.2.20-alpine"


def test_service_named_broker_running_valkey_is_valkey(tmp_path: Path) -> None:
    compose = "services:\n  broker:\n    image: docker.io/valkey/valkey:9-alpine\n"
    [component] = collect(tmp_path, compose)
    assert (component.engine, component.version, component.floating) == ("valkey", "9", True)


def test_service_named_redis_running_something_else_is_nothing(tmp_path: Path) -> None:
    compose = "services:\n  redis:\n    image: ghcr.io/acme/session-store:2.0\n"
    assert collect(tmp_path, compose) == []


def test_untagged_image_is_latest_and_floating(tmp_path: Path) -> None:
    compose = "services:\n  df:\n    image: 'docker.dragonflydb.io/dragonflydb/dragonfly'\n"
    [component] = collect(tmp_path, compose)
    assert (component.engine, component.version, component.floating) == (
        "dragonfly",
        "latest",
        True,
    )


def test_build_without_image_yields_nothing(tmp_path: Path) -> None:
    compose = "services:\n  redis:\n    build: ./redis\n  cache:\n    build:\n      context: .\n"
    assert collect(tmp_path, compose) == []


def test_legacy_v1_file_without_services_key(tmp_path: Path) -> None:
    compose = "web:\n  build: .\nredis:\n  image: eqalpha/keydb:latest\n"
    assert summary(collect(tmp_path, compose)) == [("keydb", "latest", 4)]


def test_empty_services_yield_nothing(tmp_path: Path) -> None:
    assert collect(tmp_path, "services:\nvolumes:\n  data:\n") == []


def test_merge_keys_and_anchors_like_sentry(tmp_path: Path) -> None:
    compose = (
        "x-restart-policy: &restart_policy\n"
        "  restart: unless-stopped\n"
        "x-cache: &cache\n"
        "  image: redis:7.2.4\n"
        "services:\n"
        "  redis:\n"
        "    <<: *restart_policy\n"
        '    image: "redis:6.2.20-alpine"\n'
        "  cache:\n"
        "    <<: [*restart_policy, *cache]\n"
    )
    # A merged image is located at the service that merges it, not at the anchor.
    assert summary(collect(tmp_path, compose)) == [("redis", "6.2.20", 8), ("redis", "7.2.4", 9)]


# --- variables and .env -------------------------------------------------------------


def test_env_file_fixture_resolves_and_reports_unknowns() -> None:
    path = FIXTURES / "envfile" / "compose.yaml"
    found = list(SOURCE.collect(path, path.read_text(), "compose.yaml"))
    assert summary(found) == [("redis", "7.4.2", 4), ("valkey", "8.0", 6), ("kvrocks", "2.10.1", 8)]
    assert found[0].location and found[0].location.text == "redis:${REDIS_TAG}"
    assert found[1].floating  # VALKEY_TAG is empty, so ':-' falls back to the 8.0 line


def test_unresolved_tag_of_engine_image_is_an_unresolved_component(tmp_path: Path) -> None:
    [component] = collect(tmp_path, "services:\n  r:\n    image: redis:${REDIS_TAG}\n", env="")
    assert component.engine == "redis"
    assert component.version is None
    assert component.unresolved == (
        "variable ${REDIS_TAG} has no value (set it in .env or give a default)"
    )
    assert component.unresolved == unresolved_reason("REDIS_TAG")


def test_unresolved_repository_yields_nothing(tmp_path: Path) -> None:
    """Only an unknown registry leaves the image path to read (see the mirror test)."""
    compose = (
        "services:\n  a:\n    image: ${CACHE_IMAGE}\n"
        "  b:\n    image: ${REGISTRY}/redis:7.4.2\n  c:\n    image: redis${FLAVOUR}:7\n"
    )
    assert [
        (c.engine, c.version, c.location.line if c.location else None)
        for c in collect(tmp_path, compose)
    ] == [("redis", None, 5)]


def test_repository_from_env_file_is_found_even_without_engine_word(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  cache:\n    image: ${CACHE}\n")
    (tmp_path / ".env").write_text("CACHE=valkey/valkey:8.0.2\n")
    result = scan_paths([str(tmp_path)])
    assert [(c.engine, c.version) for c in result.components] == [("valkey", "8.0.2")]
    assert result.errors == []


def test_process_environment_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_TAG", "7.4.2")
    [component] = collect(tmp_path, "services:\n  r:\n    image: redis:${REDIS_TAG}\n")
    assert component.version is None and component.unresolved


def test_dash_default_applies_only_when_unset(tmp_path: Path) -> None:
    compose = "services:\n  r:\n    image: ${PREFIX-docker.io/}valkey/valkey:${TAG-8.0.1}\n"
    [component] = collect(tmp_path, compose, env="PREFIX=\n")
    assert (component.engine, component.version) == ("valkey", "8.0.1")


def test_required_variable_without_value_is_unresolved(tmp_path: Path) -> None:
    compose = "services:\n  k:\n    image: apache/kvrocks:${KV_TAG:?set it}\n"
    [component] = collect(tmp_path, compose, env="KV_TAG=\n")
    assert (component.engine, component.version) == ("kvrocks", None)
    assert component.unresolved == unresolved_reason("KV_TAG")


def test_env_file_is_read_only_when_an_image_needs_it(tmp_path: Path) -> None:
    found = collect(tmp_path, "services:\n  r:\n    image: redis:7.4.2\n", env="not valid\n")
    assert summary(found) == [("redis", "7.4.2", 3)]


def test_bad_env_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        collect(tmp_path, "services:\n  r:\n    image: redis:${T}\n", env="T=7\n1BAD=x\n")
    assert (info.value.path, info.value.line) == (".env", 2)


# --- errors -------------------------------------------------------------------------


def test_malformed_yaml_is_an_input_error_with_line(tmp_path: Path) -> None:
    compose = "services:\n  redis:\n    image: redis:7\n   ports: [6379\n"
    with pytest.raises(InputError) as info:
        collect(tmp_path, compose)
    assert info.value.path == "docker-compose.yml"
    assert info.value.line == 4


def test_malformed_compose_reported_by_walker_not_raised(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  redis: [\n")
    result = scan_paths([str(tmp_path)])
    assert result.components == []
    [error] = result.errors
    assert error.path and error.path.endswith("docker-compose.yml")
    assert error.line is not None


@pytest.mark.parametrize(
    ("compose", "line", "words"),
    [
        ("services:\n  - redis\n", 1, "services"),
        ("services:\n  redis: redis:7\n", 2, "mapping"),
        ("services:\n  redis:\n    image: [redis, 7]\n", 3, "string"),
        ("services:\n  redis:\n    image: redis:$\n", 3, "$$"),
        ("- services\n", 1, "mapping"),
    ],
)
def test_structural_errors_name_the_line(
    tmp_path: Path, compose: str, line: int, words: str
) -> None:
    with pytest.raises(InputError) as info:
        collect(tmp_path, compose)
    assert info.value.line == line
    assert words in f"{info.value.message} {info.value.hint}"


# --- .env parsing -------------------------------------------------------------------


def test_dotenv_syntax() -> None:
    text = (
        "# comment\n\n"
        "export A=1\n"
        "B = two words   # trailing comment\n"
        "C='${A} literal # kept'\n"
        'D="line\\nbreak \\"q\\" $A"\n'
        "E=${A}-${MISSING_ONE}\n"
        "F=pass#word\n"
        'G="multi\nline"\n'
        "H\n"
        "I=${UNSET:-fallback}\n"
        'J="cost \\$5 ${A}"\n'
    )
    assert parse_dotenv(text, ".env") == {
        "A": "1",
        "B": "two words",
        "C": "${A} literal # kept",
        "D": 'line\nbreak "q" 1',
        "E": None,
        "F": "pass#word",
        "G": "multi\nline",
        "H": None,
        "I": "fallback",
        "J": "cost $5 1",
    }


def test_dotenv_unclosed_quote_is_an_error_at_its_line() -> None:
    with pytest.raises(InputError) as info:
        parse_dotenv("A=1\nB='open\nC=3\n", "env/.env")
    assert (info.value.path, info.value.line) == ("env/.env", 2)


# --- interpolation properties -------------------------------------------------------

NAMES = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_uppercase + "_"),
    st.text(alphabet=string.ascii_uppercase + string.digits + "_", max_size=8),
)
NO_DOLLAR = st.text(alphabet=st.characters(blacklist_characters="$"), max_size=40)
PLAIN = st.text(alphabet=string.ascii_letters + string.digits + ".-_/:@ ", max_size=20)
SINGLE_QUOTABLE = string.ascii_letters + string.digits + string.punctuation.replace("'", "") + " \t"
VALUES = st.dictionaries(NAMES, st.text(max_size=10), max_size=4)


@settings(max_examples=100, deadline=None)
@given(NO_DOLLAR, VALUES)
def test_text_without_dollar_round_trips(text: str, variables: dict[str, str]) -> None:
    assert interpolate(text, variables).text == text
    assert interpolate(text, variables).missing == ()


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_doubled_dollar_is_a_literal_dollar(text: str) -> None:
    assert interpolate(text.replace("$", "$$"), {}).text == text


@settings(max_examples=100, deadline=None)
@given(NAMES, PLAIN, st.sampled_from([None, ""]))
def test_colon_dash_default_when_unset_or_empty(name: str, default: str, value: str | None) -> None:
    variables = {} if value is None else {name: value}
    assert interpolate(f"${{{name}:-{default}}}", variables).text == default


@settings(max_examples=100, deadline=None)
@given(NAMES, PLAIN, st.text(min_size=1, max_size=10))
def test_set_value_wins_over_default_and_is_not_reexpanded(
    name: str, default: str, value: str
) -> None:
    for template in (f"${{{name}:-{default}}}", f"${{{name}-{default}}}", f"${{{name}}}"):
        assert interpolate(template, {name: value}).text == value
    assert interpolate(f"pre-${name}", {name: value}).text == f"pre-{value}"


@settings(max_examples=100, deadline=None)
@given(NAMES, PLAIN)
def test_dash_default_keeps_empty_value(name: str, default: str) -> None:
    assert interpolate(f"${{{name}-{default}}}", {name: ""}).text == ""
    assert interpolate(f"${{{name}-{default}}}", {}).text == default


@settings(max_examples=100, deadline=None)
@given(NAMES, PLAIN)
def test_unset_variable_is_reported_missing(name: str, prefix: str) -> None:
    result = interpolate(f"{prefix.replace('$', '')}${{{name}}}", {})
    assert result.missing == (name,)
    assert result.text.endswith(MISSING)


@settings(max_examples=100, deadline=None)
@given(NAMES, st.text(alphabet=SINGLE_QUOTABLE, max_size=30))
def test_single_quoted_dotenv_values_are_literal(name: str, value: str) -> None:
    assert parse_dotenv(f"{name}='{value}'\n", ".env") == {name: value}


def test_nested_default_and_alternatives() -> None:
    assert interpolate("${A:-${B:-x}}", {}).text == "x"
    assert interpolate("${A:-${B}}", {}).missing == ("B",)
    assert interpolate("${A:+set}", {"A": "1"}).text == "set"
    assert interpolate("${A:+set}", {"A": ""}).text == ""
    assert interpolate("${A+set}", {"A": ""}).text == "set"
    assert interpolate("${A:-x}", {"A": None}).missing == ("A",)


@pytest.mark.parametrize("template", ["$", "${", "${A", "${}", "${1A}", "$-x", "${A x}"])
def test_invalid_templates_raise(template: str) -> None:
    with pytest.raises(TemplateError):
        interpolate(template, {})


# --- file naming (misclaimed files are skipped, never errors) -----------------------


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("ci.yml", b"language: python\nservices:\n  - redis\n  - docker\n"),
        ("pipeline.yml", b"services: [redis, memcached]\n"),
        ("tests.yml", b"# cache for the tests\nservices:\n\n  # first\n  - redis:7\n"),
        (".travis.yml", b"services:\n  redis: {}\n"),
        (".gitlab-ci.yml", b"services:\n  redis:\n    image: redis\n"),
        ("unit.gitlab-ci.yml", b"services:\n  redis:\n    image: redis\n"),
        (".github/workflows/compose.yml", b"services:\n  redis:\n    image: redis\n"),
    ],
)
def test_ci_files_and_service_lists_are_not_compose(name: str, head: bytes) -> None:
    assert not SOURCE.claims(Path(name), head)


def test_misclaimed_yaml_in_a_tree_is_skipped_not_an_error(tmp_path: Path) -> None:
    (tmp_path / ".travis.yml").write_text("language: ruby\nservices:\n  - redis\n")
    (tmp_path / "tests.yml").write_text("services:\n  - redis:7.2.4\n  - memcached\n")
    (tmp_path / "stack.yml").write_text("services:\n  cache:\n    image: redis:7.2.4\n")
    result = scan_paths([str(tmp_path)])
    assert result.errors == []
    assert sorted(
        (Path(c.location.path).name, c.engine, c.version) for c in result.components if c.location
    ) == [(".travis.yml", "redis", None), ("stack.yml", "redis", "7.2.4")]


# --- .env as a helper file ----------------------------------------------------------

STACK = """\
services:
  cache:
    image: redis:7.2.4
  queue:
    image: valkey/valkey:${VALKEY_TAG}
  store:
    image: memcached:${MEMCACHED_TAG:-1.6.29}
"""


def test_broken_env_is_its_own_error_and_only_dependent_images_need_review(
    tmp_path: Path,
) -> None:
    (tmp_path / "docker-compose.yml").write_text(STACK)
    (tmp_path / ".env").write_text("VALKEY_TAG=8.1.1\nMEMCACHED_TAG='1.6.30\nOTHER=1\n")
    result = scan_paths([str(tmp_path)])
    assert [(c.engine, c.version) for c in result.components] == [
        ("redis", "7.2.4"),
        ("valkey", None),
        ("memcached", None),
    ]
    reasons = [c.unresolved for c in result.components[1:]]
    assert all(
        r and r.startswith("the image tag comes from .env, which could not be read")
        for r in reasons
    )
    assert all(r and "line 2" in r for r in reasons)
    [error] = result.errors
    assert error.path is not None and error.path.endswith(".env")
    assert (error.line, error.message) == (2, "quoted value is never closed with '")


def test_env_that_is_not_utf8_is_an_error_and_a_review(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(STACK)
    (tmp_path / ".env").write_bytes(b"VALKEY_TAG=8.1.1\nNAME=caf\xe9\n")
    result = scan_paths([str(tmp_path)])
    assert [c.version for c in result.components] == ["7.2.4", None, None]
    [error] = result.errors
    assert (Path(error.path or "").name, error.line) == (".env", 2)


def test_env_symlink_out_of_the_project_folder_is_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("VALKEY_TAG=SECRET-TOKEN-abc123\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "docker-compose.yml").write_text(STACK)
    (project / ".env").symlink_to(outside / "secret.txt")
    result = scan_paths([str(project)])
    assert result.errors == []
    valkey = result.components[1]
    assert (valkey.engine, valkey.version) == ("valkey", None)
    assert valkey.unresolved is not None and "symlink" in valkey.unresolved
    assert "SECRET" not in repr(result.components)


def test_env_symlink_inside_the_project_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "prod.env").write_text("VALKEY_TAG=8.1.1\nMEMCACHED_TAG=1.6.30\n")
    (tmp_path / ".env").symlink_to(tmp_path / "env" / "prod.env")
    found = collect(tmp_path, STACK)
    assert [c.version for c in found] == ["7.2.4", "8.1.1", "1.6.30"]


@pytest.mark.parametrize("quote", ["'", '"'])
def test_unclosed_quote_in_a_large_env_is_found_in_linear_time(quote: str) -> None:
    text = f"A={quote}open\n" + "LINE_OF_SETTINGS=value\n" * 40_000  # about 920 KB
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        parse_dotenv(text, ".env")
    assert time.perf_counter() - started < 2.0  # was minutes: one rescan per line
    assert info.value.line == 1


def test_quoted_values_spanning_lines_end_where_the_quote_closes() -> None:
    text = 'A="one\ntwo \\" three"\nB=2\nC=\'x\ny\'  # note\nD=4\n'
    assert parse_dotenv(text, ".env") == {"A": 'one\ntwo " three', "B": "2", "C": "x\ny", "D": "4"}


def test_a_broken_env_shared_by_two_compose_files_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "docker-compose.yml").write_text(STACK)
    (tmp_path / "docker-compose.override.yml").write_text(
        "services:\n  queue:\n    image: valkey/valkey:${VALKEY_TAG}-alpine\n"
    )
    (tmp_path / ".env").write_text('VALKEY_TAG="8.1.1\n')
    monkeypatch.chdir(tmp_path)
    result = core.collect(["."])
    assert [(e.path, e.line) for e in result.errors] == [(".env", 1)]
    # docker-compose.override.yml sorts first: its valkey, then the base file's three
    assert [c.version for c in result.components] == [None, "7.2.4", None, None]


def test_a_registry_from_a_variable_is_read_as_a_mirror(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        "services:\n"
        "  a:\n    image: ${REGISTRY}/library/redis:7.4.0\n"
        "  b:\n    image: ${REGISTRY}/redis:7.2.4\n"
        "  c:\n    image: ${IMAGE}\n",
    )
    assert [(c.engine, c.version, c.location.line if c.location else None) for c in found] == [
        ("redis", "7.4.0", 3),
        ("redis", None, 5),  # a bare official name after an unknown registry: ambiguous
    ]
    assert found[0].notes[0].startswith("The registry ${REGISTRY} is not known here")
    assert found[1].unresolved is not None and "${REGISTRY}/redis may be a mirror" in (
        found[1].unresolved
    )
    assert all(
        "registry.invalid" not in text for c in found for text in (*c.notes, c.unresolved or "")
    )


def test_an_unknown_tag_on_a_derived_or_unrecognised_image_is_still_reported(
    tmp_path: Path,
) -> None:
    found = collect(
        tmp_path,
        "services:\n"
        "  a:\n    image: corp/redis-hardened:${TAG}\n"
        "  b:\n    image: registry.k8s.io/redis:${TAG}\n",
    )
    assert [(c.engine, c.version) for c in found] == [("redis", None), ("redis", None)]
    assert all(c.unresolved and "None" not in c.unresolved for c in found)


def test_env_symlink_out_of_the_project_but_inside_the_scan_is_read(tmp_path: Path) -> None:
    """The walker's rule: a helper may lead anywhere inside the folder the user named."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "stack.env").write_text("VALKEY_TAG=8.1.1\nMEMCACHED_TAG=1.6.30\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "docker-compose.yml").write_text(STACK)
    (project / ".env").symlink_to(tmp_path / "shared" / "stack.env")
    result = scan_paths([str(tmp_path)])
    assert result.errors == []
    assert [c.version for c in result.components] == ["7.2.4", "8.1.1", "1.6.30"]
    # Scanning the project folder alone, the same link leads out of it: refused, counted.
    result = scan_paths([str(project)])
    assert [c.version for c in result.components] == ["7.2.4", None, None]
    # Counted twice: the walk met the link, and the compose file needed what it leads to.
    assert result.stats.skipped.get("symlink leaving the scanned folder") == 2
    assert result.stats.warnings == [
        f"{project}/.env: not read for {project}/docker-compose.yml: a symlink leaving the "
        "scanned folder"
    ]


_HEAD_PIECES = st.sampled_from(
    ["services:", "x-common:", "max-surge: 1", "kind: Job", "  services:", "\n", "\r\n", " ",
     "x-", "services", "image: redis", "# services:", '"services":', "-", ":"]
)  # fmt: skip


@given(st.lists(_HEAD_PIECES, max_size=12).map("".join))
@settings(max_examples=400, deadline=None)
def test_the_compose_key_prefilter_never_hides_a_top_level_key(head: str) -> None:
    """Where the plain test says no, the top-level key pattern finds neither a
    ``services`` nor an ``x-`` key: the regular expression would have said no too."""
    data = head.encode()
    keys = {m.group(1) for m in compose_module._TOP_LEVEL_KEY.finditer(data)}
    if not compose_module._may_have_compose_keys(data):
        assert b"services" not in keys
        assert not any(k.startswith(b"x-") for k in keys)
