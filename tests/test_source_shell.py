"""Shell-script source: which scripts are read, source builds and packages they deploy."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.model import Component
from policycheck.sources.builds.commands import PACKAGE_REASON
from policycheck.sources.builds.scripts import SOURCE
from policycheck.walk import SKIP_CONTENT, scan_paths

FIXTURES = Path(__file__).parent / "fixtures" / "source_shell"


def collect(text: str, name: str = "setup.sh") -> list[Component]:
    return list(SOURCE.collect(Path(name), text, name))


def rows(found: list[Component]) -> list[tuple[str, str | None, int | None, str]]:
    return [(c.engine, c.version, c.location and c.location.line, c.origin) for c in found]


# --- which files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("setup.sh", b""),
        ("build.bash", b"echo"),
        ("install-redis", b"#!/bin/bash\nset -e\n"),
        ("provision", b"#!/usr/bin/env bash\n"),
        ("bootstrap", b"#!/usr/bin/env -S bash -eu\n"),
        ("entry", b"#! /bin/sh\n"),
        ("setup", b"#!/bin/dash\n"),
    ],
)
def test_claims_shell_scripts(name: str, head: bytes) -> None:
    assert SOURCE.claims(Path(name), head)


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("LICENSE", b"#!/bin/sh\n"),
        ("Makefile", b"install:\n\tapt-get install redis\n"),
        ("install-redis", b"#!/usr/bin/env python3\n"),
        ("redis-server", b"\x7fELF\x02\x01"),
        ("notes", b"apt-get install redis-server\n"),
        ("setup.py", b"#!/bin/sh\n"),
        ("Dockerfile", b"FROM redis\n"),
    ],
)
def test_does_not_claim_other_files(name: str, head: bytes) -> None:
    assert not SOURCE.claims(Path(name), head)


def test_worth_parsing_needs_an_engine_and_a_download_or_install() -> None:
    assert SOURCE.worth_parsing(b"wget https://download.redis.io/releases/redis-7.2.4.tar.gz")
    assert SOURCE.worth_parsing(b"apk add valkey")
    assert not SOURCE.worth_parsing(b'exec redis-server "$@"')  # an entrypoint
    assert not SOURCE.worth_parsing(b"wget https://example.org/app.tar.gz")


# --- source builds ------------------------------------------------------------------


def test_discourse_pattern_install_script_builds_redis_from_source() -> None:
    path = FIXTURES / "install-redis"
    [component] = list(SOURCE.collect(path, path.read_text(), "image/base/install-redis"))
    assert rows([component]) == [("redis", "7.4.10", 10, "source")]
    assert component.notes == (
        "built from source: https://download.redis.io/releases/redis-7.4.10.tar.gz",
    )
    assert component.location and "$REDIS_VERSION" in (component.location.text or "")


def test_unset_version_variable_is_unresolved_never_silent() -> None:
    [component] = collect("wget https://download.redis.io/releases/redis-$REDIS_VERSION.tar.gz\n")
    assert (component.engine, component.version) == ("redis", None)
    assert "REDIS_VERSION" in (component.unresolved or "")


@pytest.mark.parametrize(
    ("script", "engine", "version"),
    [
        (
            'REDIS_VERSION="${REDIS_VERSION:-7.2.4}"\n'
            "curl -O http://download.redis.io/releases/redis-${REDIS_VERSION}.tar.gz\n",
            "redis",
            "7.2.4",
        ),
        (
            ': "${MEMCACHED_VERSION:=1.6.38}"\n'
            'url="https://memcached.org/files/memcached-${MEMCACHED_VERSION}.tar.gz"\n'
            'curl -fsSL "$url" -o /tmp/m.tgz\n',
            "memcached",
            "1.6.38",
        ),
        (
            "export VALKEY_VERSION=8.1.1\n"
            "git clone -b ${VALKEY_VERSION} --depth 1 https://github.com/valkey-io/valkey.git\n",
            "valkey",
            "8.1.1",
        ),
        (
            "V=7.4.2-rc1\nwget https://github.com/redis/redis/archive/${V%-rc1}.tar.gz\n",
            "redis",
            "7.4.2",
        ),
        (
            "VER=8.0.1\n"
            "curl -O https://download.valkey.io/releases/valkey-$VER-jammy-x86_64.tar.gz\n",
            "valkey",
            "8.0.1",
        ),
        (
            "sh -c 'wget https://github.com/apache/kvrocks/archive/refs/tags/v2.10.1.tar.gz'\n",
            "kvrocks",
            "2.10.1",
        ),
    ],
)
def test_source_builds_in_scripts(script: str, engine: str, version: str) -> None:
    [component] = collect(script)
    assert (component.engine, component.version, component.origin) == (engine, version, "source")


@pytest.mark.parametrize(
    "script",
    [
        "REDIS_VERSION=7.2.4\npip install redis==5.0.1\n",  # a variable alone is no finding
        "# wget https://download.redis.io/releases/redis-7.2.4.tar.gz\n",  # a comment
        "echo 'see https://github.com/redis/redis/issues/1'\n",
        "apt-get install -y redis-tools python3-redis libhiredis-dev\n",  # clients, libraries
        "apt-get remove -y redis-server\n",
        "git clone https://github.com/redis/redis-py\n",
    ],
)
def test_no_finding_without_a_download_or_server_install(script: str) -> None:
    assert collect(script) == []


def test_provision_fixture_packages_and_nested_shell() -> None:
    path = FIXTURES / "scripts" / "provision.sh"
    found = list(SOURCE.collect(path, path.read_text(), "scripts/provision.sh"))
    assert rows(found) == [
        ("redis", "7.0.15", 7, "package"),
        ("memcached", "1.6.38", 9, "source"),
        ("valkey", None, 10, "package"),
    ]
    assert found[2].unresolved == PACKAGE_REASON


def test_client_build_fixture_and_entrypoint_are_silent() -> None:
    for name in ("scripts/client-build.sh", "docker-entrypoint.sh"):
        path = FIXTURES / name
        assert list(SOURCE.collect(path, path.read_text(), name)) == []


def test_walk_reads_extensionless_scripts_and_skips_the_rest() -> None:
    result = scan_paths([str(FIXTURES)])
    assert result.errors == []
    assert sorted((c.engine, c.version) for c in result.components) == [
        ("memcached", "1.6.38"),
        ("redis", "7.0.15"),
        ("redis", "7.4.10"),
        ("valkey", None),
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_never_raises(text: str) -> None:
    collect(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="${}()'\"`\\#;&|<> \nab=:-%/*", max_size=60))
def test_shell_metacharacters_never_raise_and_keep_downloads(noise: str) -> None:
    script = noise + "\nwget https://download.redis.io/releases/redis-7.2.4.tar.gz\n"
    found = collect(script)
    # noise may swallow the line (an open quote, a comment); it never invents a release
    assert all(c.engine == "redis" and c.version in ("7.2.4", None) for c in found)


def test_scan_is_linear_in_the_script() -> None:
    import time

    line = 'wget https://download.redis.io/releases/redis-$V.tar.gz; x="${y:-z}" `b`\n'
    text = "#!/bin/sh\nV=7.2.4\n" + line * 40_000  # ~3 MB
    start = time.perf_counter()
    assert rows(collect(text)) == [("redis", "7.2.4", 3, "source")]
    assert time.perf_counter() - start < 30


AUTOCONF_HEAD = (
    "#! /bin/sh\n"
    "# Guess values for system-dependent variables and create Makefiles.\n"
    "# Generated by GNU Autoconf 2.71.\n"
    "#\n"
)
DOWNLOAD = "case $host in dragonfly*) ;; esac\ncurl -O https://download.redis.io/releases/redis-7.2.4.tar.gz\n"


def test_an_autoconf_configure_script_is_not_claimed(tmp_path: Path) -> None:
    """A generated ``configure`` configures its own source tree (every one names DragonFly
    BSD); it is left out and counted, while a hand-written ``configure`` is read."""
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "configure").write_text(AUTOCONF_HEAD + DOWNLOAD)
    (tmp_path / "handwritten").mkdir()
    (tmp_path / "handwritten" / "configure").write_text("#!/bin/sh\n" + DOWNLOAD)
    generated = scan_paths([str(tmp_path / "generated")])
    assert generated.components == []
    assert generated.stats.skipped == {SKIP_CONTENT: 1}
    handwritten = scan_paths([str(tmp_path / "handwritten")])
    assert [(c.engine, c.version) for c in handwritten.components] == [("redis", "7.2.4")]
    assert SOURCE.claims(Path("configure.sh"), (AUTOCONF_HEAD + DOWNLOAD).encode())
