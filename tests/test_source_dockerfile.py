"""Dockerfile source: which stage is deployed, ARG defaults, and server vs client packages."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.sources.dockerfile import (
    PACKAGE_REASON,
    SOURCE,
    parse_instructions,
    substitute,
    unresolved_reason,
)

FIXTURES = Path(__file__).parent / "fixtures" / "source_dockerfile"


def collect(text: str) -> list[Component]:
    return list(SOURCE.collect(Path("Dockerfile"), text, "Dockerfile"))


def summary(components: list[Component]) -> list[tuple[str, str | None, int | None, str | None]]:
    rows = []
    for c in components:
        assert c.location is not None
        rows.append((c.engine, c.version, c.location.line, c.location.text))
    return rows


# --- claims -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Dockerfile", "Dockerfile.redis", "cache.Dockerfile", "Containerfile", "dockerfile"]
)
def test_claims_dockerfile_names(name: str) -> None:
    assert SOURCE.claims(Path("docker") / name, b"")


@pytest.mark.parametrize(
    "name", ["Dockerfile.dockerignore", "docker-compose.yml", "Dockerfiles.md", "redis.conf"]
)
def test_does_not_claim_other_files(name: str) -> None:
    assert not SOURCE.claims(Path(name), b"FROM redis:7\n")


# --- which stage is deployed --------------------------------------------------------


def test_realistic_multi_stage_fixture_reports_only_the_deployed_base() -> None:
    path = FIXTURES / "Dockerfile"
    found = list(SOURCE.collect(path, path.read_text(), "Dockerfile"))
    # redis:7.2.4 is only a COPY --from source, redis-server only in the builder stage,
    # redis-tools is a client: the deployed image is Valkey, written with an ARG.
    assert summary(found) == [("valkey", "8.1.3", 19, "valkey/valkey:${VALKEY_VERSION}-bookworm")]


def test_single_stage_engine_image() -> None:
    found = collect("FROM redis:7.4.2-alpine\nCOPY redis.conf /usr/local/etc/redis/\n")
    assert summary(found) == [("redis", "7.4.2", 1, "redis:7.4.2-alpine")]
    assert not found[0].floating


def test_final_stage_built_from_an_engine_stage_through_a_chain() -> None:
    text = (
        "FROM eqalpha/keydb:x86_64_v6.3.4 AS base\n"
        "FROM base AS configured\n"
        "COPY keydb.conf /etc/keydb/\n"
        "FROM configured\n"
    )
    [component] = collect(text)
    assert (component.engine, component.location and component.location.line) == ("keydb", 1)


def test_stage_names_are_case_insensitive() -> None:
    assert summary(collect("FROM valkey/valkey:8.0.2 as Server\nFROM server\n")) == [
        ("valkey", "8.0.2", 1, "valkey/valkey:8.0.2")
    ]


def test_copy_from_client_stage_is_not_a_server() -> None:
    text = (
        "FROM redis:7.2.4 AS redis\n"
        "FROM python:3.12-slim\n"
        "COPY --from=redis /usr/local/bin/redis-cli /usr/local/bin/redis-cli\n"
        'CMD ["python", "-m", "app"]\n'
    )
    assert collect(text) == []


def test_unused_earlier_engine_stage_is_not_deployed() -> None:
    assert collect("FROM redis:7.2.4 AS test-db\nRUN true\nFROM alpine:3.20\n") == []


def test_image_named_like_a_later_stage_is_an_image() -> None:
    text = "FROM redis:7.4.2 AS app\nFROM node:22 AS redis\n"
    assert collect(text) == []
    assert summary(collect("FROM alpine AS builder\nFROM redis:7.4.2\n"))[0][:2] == (
        "redis",
        "7.4.2",
    )


def test_scratch_and_non_engine_bases_yield_nothing() -> None:
    assert collect("FROM scratch\nCOPY app /\n") == []
    assert collect("FROM oliver006/redis_exporter:v1.74.0\n") == []


def test_no_from_yields_nothing() -> None:
    assert collect("# just a comment\n") == []


# --- ARG substitution ---------------------------------------------------------------


def test_global_arg_defaults_and_platform_flag() -> None:
    text = (
        "ARG REGISTRY=docker.io\n"
        "ARG VALKEY=${REGISTRY}/valkey/valkey\n"
        "ARG TAG=8.0.2\n"
        "FROM --platform=$BUILDPLATFORM $VALKEY:${TAG} AS server\n"
    )
    assert summary(collect(text)) == [("valkey", "8.0.2", 4, "$VALKEY:${TAG}")]


def test_several_args_on_one_line_with_quotes() -> None:
    text = 'ARG BASE="redis" TAG=7.2.5\nFROM ${BASE}:${TAG}-bookworm\n'
    assert summary(collect(text))[0][:2] == ("redis", "7.2.5")


def test_arg_default_syntax_in_from() -> None:
    assert summary(collect("ARG TAG\nFROM redis:${TAG:-7.0.15}\n"))[0][:2] == ("redis", "7.0.15")


def test_arg_without_default_leaves_engine_unresolved() -> None:
    [component] = collect("ARG REDIS_TAG\nFROM redis:${REDIS_TAG}\n")
    assert (component.engine, component.version) == ("redis", None)
    assert component.unresolved == unresolved_reason("REDIS_TAG")
    assert component.location and component.location.text == "redis:${REDIS_TAG}"


def test_unknown_repository_yields_nothing() -> None:
    assert collect("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n") == []


def test_stage_arg_does_not_leak_into_later_from() -> None:
    text = "FROM alpine AS a\nARG TAG=7.4.2\nFROM redis:${TAG}\n"
    [component] = collect(text)
    assert component.version is None  # only ARGs before the first FROM apply to FROM


# --- RUN package installs -----------------------------------------------------------


def test_redis_tools_is_a_client_not_a_server() -> None:
    text = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y redis-tools\n"
    assert collect(text) == []


@pytest.mark.parametrize(
    ("run", "engine", "text"),
    [
        ("apt-get install -y --no-install-recommends redis-server", "redis", "redis-server"),
        ("DEBIAN_FRONTEND=noninteractive apt install -y redis", "redis", "redis"),
        ("apk add --no-cache redis", "redis", "redis"),
        ("apk add valkey=8.0.2-r0", "valkey", "valkey=8.0.2-r0"),
        ("sudo apt-get install -y valkey-server/bookworm-backports", "valkey", None),
        ("microdnf install -y memcached && microdnf clean all", "memcached", "memcached"),
        ('["apk", "add", "--no-cache", "redis"]', "redis", "redis"),
    ],
)
def test_server_packages_are_unresolved_components(run: str, engine: str, text: str | None) -> None:
    [component] = collect(f"FROM alpine:3.20\nRUN {run}\n")
    assert (component.engine, component.version) == (engine, None)
    assert component.unresolved == PACKAGE_REASON
    assert component.location and component.location.line == 2
    if text is not None:
        assert component.location.text and component.location.text.endswith(text)


@pytest.mark.parametrize(
    "run",
    [
        "apk add redis-cli valkey-cli",
        "pip install redis",
        "npm install redis",
        "apt-get remove -y redis-server",
        "echo redis-server",
        "apt-get install -y libhiredis-dev python3-redis",
    ],
)
def test_clients_libraries_and_other_commands_are_not_servers(run: str) -> None:
    assert collect(f"FROM debian:bookworm\nRUN {run}\n") == []


def test_packages_only_count_in_deployed_stages() -> None:
    text = (
        "FROM debian:bookworm AS test\n"
        "RUN apt-get install -y redis-server\n"
        "FROM debian:bookworm\n"
        "RUN apt-get install -y curl\n"
    )
    assert collect(text) == []


def test_packages_in_an_ancestor_stage_count() -> None:
    text = "FROM alpine:3.20 AS base\nRUN apk add valkey\nFROM base\nRUN true\n"
    assert [(c.engine, c.location and c.location.line) for c in collect(text)] == [("valkey", 2)]


def test_continuation_lines_comments_and_stage_args_in_run() -> None:
    text = (
        "FROM debian:bookworm\n"
        "ARG CACHE_PKG=redis-server\n"
        "RUN apt-get update \\\n"
        "    # the cache the app talks to\n"
        "\n"
        " && apt-get install -y \\\n"
        "      ${CACHE_PKG} \\\n"
        " && rm -rf /var/lib/apt/lists/*\n"
    )
    [component] = collect(text)
    assert (component.engine, component.location and component.location.line) == ("redis", 3)


def test_heredoc_body_is_part_of_its_run_not_instructions() -> None:
    text = (
        "FROM debian:bookworm\n"
        "RUN <<EOF\n"
        "apt-get update\n"
        "apt-get install -y redis-server\n"
        "FROM redis:7.4.2\n"
        "EOF\n"
    )
    found = collect(text)
    assert [(c.engine, c.version, c.location and c.location.line) for c in found] == [
        ("redis", None, 2)
    ]


def test_escape_directive_backtick() -> None:
    text = "# escape=`\nFROM `\n  valkey/valkey:8.0.2\nRUN apk add `\n  valkey\n"
    found = collect(text)
    assert [(c.engine, c.version) for c in found] == [("valkey", "8.0.2"), ("valkey", None)]


# --- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("FROM\n", 1),
        ("FROM redis:7 AS\n", 1),
        ("ARG A=1\n\nFROM redis:7 AS one two\n", 3),
        ("FROM redis:${TAG\n", 1),
        ('FROM alpine\nARG A="open\n', 2),
    ],
)
def test_malformed_instructions_are_input_errors_with_line(text: str, line: int) -> None:
    with pytest.raises(InputError) as info:
        collect(text)
    assert info.value.line == line
    assert info.value.path == "Dockerfile"


# --- parser properties --------------------------------------------------------------

WORDS = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits + "-_./=", min_size=1, max_size=12),
    min_size=1,
    max_size=8,
)
NO_DOLLAR = st.text(alphabet=st.characters(blacklist_characters="$"), max_size=40)


@settings(max_examples=100, deadline=None)
@given(WORDS, st.integers(min_value=0, max_value=4))
def test_continuation_lines_join_into_one_instruction(words: list[str], indent: int) -> None:
    text = "RUN " + " \\\n".join(" " * indent + w for w in words) + "\nCMD done\n"
    first, second = parse_instructions(text)
    assert (first.keyword, first.line) == ("RUN", 1)
    assert first.arguments.split() == words
    assert (second.keyword, second.line) == ("CMD", len(words) + 1)


@settings(max_examples=100, deadline=None)
@given(NO_DOLLAR)
def test_substitution_leaves_text_without_dollar_alone(text: str) -> None:
    assert substitute(text, {"A": "x"}).text == text


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["TAG", "REDIS_VERSION", "_v"]),
    st.from_regex(r"[0-9a-z.-]{1,10}", fullmatch=True),
)
def test_arg_default_used_when_unset_value_when_set(name: str, value: str) -> None:
    assert substitute(f"redis:${{{name}:-{value}}}", {}).text == f"redis:{value}"
    assert substitute(f"redis:${{{name}:-x}}", {name: value}).text == f"redis:{value}"
    assert substitute(f"redis:${name}", {name: value}).text == f"redis:{value}"


def test_escaped_and_lone_dollars_are_literal() -> None:
    assert substitute("a\\$B $ c$", {"B": "no"}).text == "a$B $ c$"
    assert substitute("a`$B", {"B": "no"}, escape="`").text == "a$B"
