"""Dockerfile source: which stage is deployed, ARG defaults, and server vs client packages."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.sources.builds.dockerfile import (
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
    # the line of the package name, not the RUN's first line
    assert (component.engine, component.location and component.location.line) == ("redis", 7)


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
        ("redis", None, 4)
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
NO_DOLLAR = st.text(alphabet=st.characters(blacklist_characters="$'\"\\"), max_size=40)


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
def test_substitution_leaves_text_without_dollar_quotes_or_escapes_alone(text: str) -> None:
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


# --- shell text belongs to the shell (issue: valid files are never input errors) -----

SHELL_TEXTS = [
    'dpkgArch="$(dpkg --print-architecture)"; case "${dpkgArch##*-}" in amd64) ;; esac',
    'for _file in *.so; do mv "$_file" "${_file//.so/.a}"; done',
    "dpkg-query --show --showformat='${Package} ${db:Status-Status}\\n'",
    "echo $((1<<2)) ${#arr[@]} ${!prefix*} ${x:0:3} ${x,,} ${x^^} `date` $@ $? $$",
    "echo ${unclosed",
    "echo 'unclosed quote",
    'echo "${x:?must be set}" ${} ${:-x}',
]


@pytest.mark.parametrize("keyword", ["RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK CMD"])
@pytest.mark.parametrize("shell", SHELL_TEXTS)
def test_shell_text_is_never_substituted_nor_an_error(keyword: str, shell: str) -> None:
    text = f"FROM redis:7.2.4\n{keyword} {shell}\n"
    assert summary(collect(text)) == [("redis", "7.2.4", 1, "redis:7.2.4")]


def test_official_image_patterns_fixture_builds_redis_from_source() -> None:
    path = FIXTURES / "official" / "Dockerfile"
    found = list(SOURCE.collect(path, path.read_text(), "Dockerfile"))
    # ENV REDIS_DOWNLOAD_URL names the release; the RUN fetches it through the variable.
    [component] = found
    assert (component.engine, component.version, component.origin) == ("redis", "7.2.5", "source")
    assert component.location and component.location.line == 9
    assert component.notes == (
        "built from source: http://download.redis.io/releases/redis-7.2.5.tar.gz",
    )


SHELL_ALPHABET = st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=SHELL_ALPHABET, max_size=30), min_size=1, max_size=6))
def test_any_run_text_with_continuations_never_raises(parts: list[str]) -> None:
    text = "FROM alpine:3.20\nRUN " + " \\\n".join(parts) + "\nCMD " + parts[0] + "\n"
    collect(text)  # no exception: RUN and CMD text is the shell's business


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="${}:-+?#%/'\"\\ab_1 ", max_size=20))
def test_substitution_only_in_instructions_that_support_it(value: str) -> None:
    for keyword in ("RUN echo", "CMD echo", "ENTRYPOINT echo", "HEALTHCHECK CMD echo"):
        collect(f"FROM alpine\n{keyword} {value}\n")
    try:
        collect(f"FROM alpine\nENV X={value.replace(' ', '')}y\n")
    except InputError as exc:  # Docker's lexer may reject it; then it names the line
        assert exc.line == 2


def test_error_names_the_line_of_the_offending_text() -> None:
    text = "FROM alpine\nENV A=1 \\\n    B=2 \\\n    C=${D\nRUN true\n"
    with pytest.raises(InputError) as info:
        collect(text)
    assert info.value.line == 4
    assert "missing '}'" in info.value.message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("FROM alpine\nRUN <<EOF\necho never closed\n", 2),
        ("FROM alpine\nENV ONLYNAME\n", 2),
        ("FROM alpine\nARG A=${B:=x}\n", 2),
        ("FROM alpine\nENV A='open\n", 2),
    ],
)
def test_docker_rejects_these_and_so_do_we(text: str, line: int) -> None:
    with pytest.raises(InputError) as info:
        collect(text)
    assert info.value.line == line


# --- heredocs and directives --------------------------------------------------------


def test_several_heredocs_on_one_line_with_tab_stripping_and_quotes() -> None:
    text = (
        "FROM debian:bookworm\n"
        "RUN <<A cat > /a && <<-'B' sh\n"
        "FROM redis:7.4.0\n"
        "A\n"
        "\t\tapt-get install -y redis-server\n"
        "\tB\n"
        'COPY <<"EOF" /etc/motd\n'
        "apt-get install -y valkey-server $NOT_EXPANDED\n"
        "EOF\n"
    )
    instructions = parse_instructions(text)
    assert [(i.keyword, i.line) for i in instructions] == [("FROM", 1), ("RUN", 2), ("COPY", 7)]
    found = collect(text)
    # the RUN heredoc runs apt-get (line 5); the COPY heredoc is a file's content
    assert [(c.engine, c.location and c.location.line) for c in found] == [("redis", 5)]


def test_heredoc_markers_docker_does_not_read_as_heredocs() -> None:
    text = "FROM alpine\nRUN cat<<EOF\nRUN echo x <<< y && echo $((1<<2))\nRUN apk add redis\n"
    assert [i.keyword for i in parse_instructions(text)] == ["FROM", "RUN", "RUN", "RUN"]


def test_syntax_and_escape_directives_and_directives_after_a_blank_line() -> None:
    text = "# syntax=docker/dockerfile:1\n# escape=`\nFROM `\n  redis:7.2.4\n"
    assert summary(collect(text))[0][:3] == ("redis", "7.2.4", 3)
    late = "\n# escape=`\nFROM redis:7.2.4\nRUN echo a`\n"
    assert [i.keyword for i in parse_instructions(late)] == ["FROM", "RUN"]


def test_from_platform_and_arg_defaults_that_use_other_args() -> None:
    text = (
        "ARG MAJOR=7\n"
        'ARG TAG="${MAJOR}.4.1"\n'
        "ARG IMAGE=redis\n"
        "FROM --platform=$BUILDPLATFORM ${IMAGE}:${TAG%%-*}-alpine AS build\n"
        "ARG TAG\n"
        "ARG PKG=valkey=${TAG}-r0\n"
        "RUN apk add ${PKG}\n"
    )
    found = collect(text)
    assert [(c.engine, c.version, c.location and c.location.line) for c in found] == [
        ("redis", "7.4.1", 4),
        ("valkey", "7.4.1", 7),
    ]


def test_single_quotes_keep_dollars_in_env() -> None:
    text = "FROM alpine\nENV TAG='${NOT_A_VAR}' REAL=7.2.4\nFROM redis:${REAL}\n"
    assert collect(text)[0].version is None  # stage ENV never reaches a later FROM


# --- source builds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instructions", "engine", "version", "line"),
    [
        (
            "ENV VALKEY_VERSION 8.0.2\n"
            "ENV VALKEY_DOWNLOAD_URL https://github.com/valkey-io/valkey/archive/refs/tags/8.0.2.tar.gz\n"
            'RUN wget -O v.tgz "$VALKEY_DOWNLOAD_URL"\n',
            "valkey",
            "8.0.2",
            3,
        ),
        (
            "ARG redis_version=7.2\n"
            "RUN wget -qO redis.tar.gz https://github.com/redis/redis/tarball/${redis_version} \\\n"
            "    && tar xfz redis.tar.gz -C /\n",
            "redis",
            "7.2",
            3,
        ),
        (
            "RUN git clone --depth 1 --branch 7.4.1 https://github.com/redis/redis.git /src\n",
            "redis",
            "7.4.1",
            2,
        ),
        (
            "ENV REDIS_VERSION=7.2.4\nRUN git clone https://github.com/redis/redis && make\n",
            "redis",
            "7.2.4",
            3,
        ),
        ("ADD https://github.com/redis/redis.git#7.2.6 /src\n", "redis", "7.2.6", 2),
        (
            "ARG DF=v1.25.1\n"
            "RUN curl -fsSL https://github.com/dragonflydb/dragonfly/releases/download/${DF}/dragonfly-x86_64.tar.gz | tar xz\n",
            "dragonfly",
            "1.25.1",
            3,
        ),
        (
            "ENV MEMCACHED_VERSION 1.6.29\n"
            'RUN curl -SL "http://memcached.org/files/memcached-$MEMCACHED_VERSION.tar.gz" -o m.tgz\n',
            "memcached",
            "1.6.29",
            3,
        ),
        (
            "RUN wget https://github.com/Snapchat/KeyDB/archive/refs/tags/v6.3.4.tar.gz\n",
            "keydb",
            "6.3.4",
            2,
        ),
        ("RUN wget https://download.redis.io/redis-stable.tar.gz\n", "redis", "latest", 2),
    ],
)
def test_source_builds(instructions: str, engine: str, version: str, line: int) -> None:
    [component] = collect("FROM debian:bookworm-slim\n" + instructions)
    assert (component.engine, component.version, component.origin) == (engine, version, "source")
    assert component.location and component.location.line == line
    assert component.notes and component.notes[0].startswith("built from source: ")


def test_unresolved_source_builds_say_why() -> None:
    no_default = collect(
        "FROM alpine\nARG REDIS_VERSION\n"
        "RUN wget http://download.redis.io/releases/redis-${REDIS_VERSION}.tar.gz\n"
    )
    assert [(c.engine, c.version, c.unresolved) for c in no_default] == [
        ("redis", None, unresolved_reason("REDIS_VERSION"))
    ]
    computed = collect(
        "FROM alpine\nRUN V=$(curl -s https://example.org/latest) && "
        "wget https://github.com/valkey-io/valkey/archive/$V.tar.gz\n"
    )
    assert computed[0].version is None and "$(...)" in (computed[0].unresolved or "")
    branch = collect("FROM alpine\nRUN git clone https://github.com/valkey-io/valkey.git\n")
    assert branch[0].version is None and "--branch" in (branch[0].unresolved or "")


@pytest.mark.parametrize(
    "instructions",
    [
        "ENV REDIS_VERSION 7.2.5\n",  # a version variable alone is no download
        "ARG VALKEY_VERSION=8.0.1\nRUN pip install valkey==6.0.0\n",
        "RUN echo see https://github.com/redis/redis/issues/138\n",
        "RUN wget https://github.com/redis/redis-hashes/raw/master/README\n",
        "RUN git clone https://github.com/redis/redis-py.git\n",
    ],
)
def test_no_source_build_without_a_download_of_the_engine(instructions: str) -> None:
    assert collect("FROM python:3.12\n" + instructions) == []


# --- distribution packages, pinned -------------------------------------------------


@pytest.mark.parametrize(
    ("run", "engine", "version", "floating"),
    [
        ("apt-get install -y redis=5:7.0.15-1~deb12u1", "redis", "7.0.15", False),
        ("apt-get install -y redis-server=5:7.0.15-1~deb12u1", "redis", "7.0.15", False),
        ("apt-get install -y redis-server=5:7.0.*", "redis", "7.0", True),
        ("apk add --no-cache redis=7.2.4-r0", "redis", "7.2.4", False),
        ("apk add valkey=8.0.2-r0", "valkey", "8.0.2", False),
        ("apk add 'redis~7.2'", "redis", "7.2", True),
        ("dnf install -y valkey-8.0.1", "valkey", "8.0.1", False),
        ("yum install -y redis-7.2.4-1.el9.x86_64", "redis", "7.2.4", False),
    ],
)
def test_pinned_packages_resolve_to_the_upstream_release(
    run: str, engine: str, version: str, floating: bool
) -> None:
    [component] = collect(f"FROM alpine:3.20\nRUN {run}\n")
    assert (component.engine, component.version, component.floating) == (engine, version, floating)
    assert component.origin == "package" and component.unresolved is None


def test_package_version_ranges_stay_unresolved() -> None:
    [component] = collect("FROM alpine\nRUN apk add 'redis>7'\n")
    assert component.version is None and "range" in (component.unresolved or "")


def test_package_tables_come_from_the_catalog() -> None:
    from policycheck.catalog import catalog

    redis = catalog().get("redis")
    assert redis is not None and redis.packages is not None
    assert "redis-server" in redis.packages.names["apt"]
    assert "redis-tools" not in redis.packages.names["apt"]


# --- COPY --from (issue 15: server binaries shipped in the final image) -------------


def test_copy_of_the_server_binary_from_an_image_is_reported() -> None:
    text = (
        "FROM python:3.12-slim\n"
        "COPY --from=redis:7.4.0 /usr/local/bin/redis-server /usr/local/bin/redis-server\n"
    )
    [component] = collect(text)
    assert (component.engine, component.version) == ("redis", "7.4.0")
    assert component.location and component.location.line == 2
    assert component.notes[-1] == "redis-server copied into the deployed image at line 2"


def test_copy_of_the_server_binary_through_a_named_stage_is_reported() -> None:
    text = (
        "FROM redis:7.4.0 AS r\n"
        "FROM python:3.12-slim\n"
        "COPY --from=r /usr/local/bin/redis-server /usr/local/bin/redis-cli /usr/local/bin/\n"
    )
    [component] = collect(text)
    assert (
        component.engine,
        component.version,
        component.location and component.location.line,
    ) == (
        "redis",
        "7.4.0",
        1,
    )
    assert "copied into the deployed image at line 3" in component.notes[-1]


def test_copy_of_a_source_built_server_and_of_a_bin_directory() -> None:
    text = (
        "FROM debian:bookworm AS build\n"
        "RUN git clone --branch 8.0.1 https://github.com/valkey-io/valkey && make install\n"
        "FROM redis:7.2.4 AS tools\n"
        "FROM debian:bookworm-slim\n"
        "COPY --from=build /usr/local/bin/valkey-server /usr/local/bin/\n"
        "COPY --from=tools /usr/local/bin/ /opt/redis/bin/\n"
    )
    found = collect(text)
    assert [(c.engine, c.version) for c in found] == [("valkey", "8.0.1"), ("redis", "7.2.4")]


@pytest.mark.parametrize(
    "copy",
    [
        "COPY --from=redis:7.4.0 /usr/local/bin/redis-cli /usr/local/bin/",
        "COPY --from=redis:7.4.0 /usr/local/bin/redis-benchmark /usr/local/bin/redis-cli /bin/",
        "COPY --from=builder /app/dist /app",
        "COPY /usr/local/bin/redis-server /usr/local/bin/",
    ],
)
def test_client_only_and_unrelated_copies_stay_silent(copy: str) -> None:
    assert collect(f"FROM node:22 AS builder\nFROM python:3.12\n{copy}\n") == []


def test_server_binary_from_an_unknown_stage_or_image_is_reported_unresolved() -> None:
    text = (
        "FROM alpine AS build\n"
        "RUN ./build-from-vendored-sources.sh\n"
        "FROM alpine\n"
        "COPY --from=build /usr/local/bin/valkey-server /usr/local/bin/\n"
        "COPY --from=corp/cache-build:1.0 /usr/bin/redis-server /usr/bin/\n"
    )
    found = collect(text)
    assert [(c.engine, c.version, c.location and c.location.line) for c in found] == [
        ("valkey", None, 4),
        ("redis", None, 5),
    ]
    assert all(c.unresolved for c in found)


# --- file naming --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "dockerfile.py",
        "Dockerfile.template",
        "Dockerfile-alpine.template",
        "Dockerfile.j2",
        "Dockerfile.tmpl",
        "cache.dockerignore",
        "Dockerfile.dockerignore",
        "dockerfile_test.go",
        "Dockerfile.md",
    ],
)
def test_files_that_are_not_dockerfiles_are_never_claimed(name: str) -> None:
    assert not SOURCE.may_claim(name.lower())
    assert not SOURCE.claims(Path(name), b"FROM redis:7\n")


@pytest.mark.parametrize("name", ["Dockerfile.dev", "Dockerfile-redis", "Dockerfile_prod"])
def test_variant_names_are_claimed_when_they_read_like_dockerfiles(name: str) -> None:
    assert SOURCE.claims(Path(name), b"# syntax=docker/dockerfile:1\n\nARG X=1\nFROM redis:7\n")
    assert not SOURCE.claims(Path(name), b'"""A Python module."""\nimport os\n')
    assert not SOURCE.claims(Path(name), b"{{ if .alpine }}\nFROM alpine\n")


def test_walking_a_tree_of_misnamed_files_gives_no_errors() -> None:
    from policycheck.walk import scan_paths

    result = scan_paths([str(FIXTURES / "naming")])
    assert result.errors == []
    assert [(c.engine, c.version) for c in result.components] == [("redis", "7.2.4")]


# --- the parser against BuildKit's own (oracle), and linear time --------------------

INSTRUCTION = st.one_of(
    st.tuples(
        st.just("RUN"),
        st.lists(st.from_regex(r"[a-z$.{}#/_-]{1,8}", fullmatch=True), min_size=1, max_size=4),
    ),
    st.tuples(
        st.just("ENV"),
        st.lists(
            st.from_regex(r"[A-Z]{1,3}=[a-z0-9.]{0,4}", fullmatch=True), min_size=1, max_size=3
        ),
    ),
    st.tuples(
        st.just("COPY"),
        st.lists(st.from_regex(r"[a-z/]{1,8}", fullmatch=True), min_size=2, max_size=3),
    ),
)


@st.composite
def dockerfiles(draw: st.DrawFn) -> str:
    lines = ["FROM alpine:3.20"]
    for keyword, words in draw(st.lists(INSTRUCTION, min_size=1, max_size=6)):
        style = draw(st.sampled_from(["plain", "continued", "comment", "heredoc"]))
        if style == "continued":
            lines.append(f"{keyword} " + " \\\n    ".join(words))
        elif style == "comment" and len(words) > 1:
            lines.append(f"{keyword} {words[0]} \\\n# a comment inside\n\n  " + " ".join(words[1:]))
        elif style == "heredoc" and keyword == "RUN":
            lines.append("RUN <<EOT\n" + "\n".join(words) + "\nEOT")
        else:
            lines.append(f"{keyword} " + " ".join(words))
        if draw(st.booleans()):
            lines.append("# comment")
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(dockerfiles())
def test_instructions_and_lines_agree_with_buildkits_parser(text: str) -> None:
    dockerfile = pytest.importorskip("dockerfile")
    expected = [(c.cmd.upper(), c.start_line) for c in dockerfile.parse_string(text)]
    assert [(i.keyword, i.line) for i in parse_instructions(text)] == expected


def test_buildkit_parser_oracle_on_the_official_pattern_fixture() -> None:
    dockerfile = pytest.importorskip("dockerfile")
    text = (FIXTURES / "official" / "Dockerfile").read_text()
    expected = [(c.cmd.upper(), c.start_line) for c in dockerfile.parse_string(text)]
    assert [(i.keyword, i.line) for i in parse_instructions(text)] == expected


def test_parsing_is_linear_on_huge_lines_and_continuations() -> None:
    import time

    # Each of these took seconds to minutes before (quadratic); a linear reader needs
    # well under a second each. The bound is generous so a busy machine cannot fail it.
    cases = [
        "FROM redis:7.4.0\nRUN " + "echo ${dpkgArch##*-} && " * 80_000 + "true\n",
        "FROM alpine\nRUN apk add \\\n"
        + " \\\n".join(f"  p{i}" for i in range(80_000))
        + " redis\n",
        "FROM alpine\nRUN <<EOF\n" + "echo x\n" * 80_000 + "apk add redis\nEOF\n",
    ]
    for text in cases:
        start = time.perf_counter()
        assert len(collect(text)) == 1
        assert time.perf_counter() - start < 20
    instructions = parse_instructions(cases[1])
    assert instructions[1].line_at(len(instructions[1].arguments) - 1) == 80_002
