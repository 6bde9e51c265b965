"""redis.conf source: loadmodule lines become module components, versions only from paths."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.model import Location
from policycheck.sources import all_sources
from policycheck.sources.redisconf import (
    SOURCE,
    UNVERSIONED,
    component_for_module,
    loadmodule_path,
    module_identity,
)
from policycheck.walk import scan_paths

FIXTURES = Path(__file__).parent / "fixtures" / "redisconf"


@pytest.mark.parametrize(
    ("name", "claimed"),
    [
        ("redis.conf", True),
        ("valkey.conf", True),
        ("redis-stack.conf", True),
        ("redis-6379.conf", True),
        ("cache.redis.conf", True),
        ("nginx.conf", False),
        ("redis.conf.example", False),
        ("sentinel.conf", False),
    ],
)
def test_claims(name: str, claimed: bool) -> None:
    assert SOURCE.claims(Path(name), b"") is claimed


def test_is_discovered() -> None:
    assert SOURCE in all_sources()


def test_redis_stack_conf_modules_are_unresolved_and_comments_ignored() -> None:
    result = scan_paths([str(FIXTURES / "redis-stack.conf")])
    assert result.errors == []
    by_line = {c.location.line: c for c in result.components if c.location}
    assert sorted(by_line) == [5, 6, 7, 8, 9, 10]  # line 4 is a commented loadmodule
    assert [by_line[n].engine for n in (6, 7, 8, 9)] == [
        "redisearch",
        "redistimeseries",
        "redisjson",
        "redisbloom",
    ]
    assert all(by_line[n].unresolved == UNVERSIONED for n in (6, 7, 8, 9))
    assert all(by_line[n].version is None for n in by_line)
    assert "not a catalogued module" in (by_line[5].unresolved or "")
    assert by_line[10].engine == "redisgears"
    assert all(c.origin == "redis-conf" and c.provider is None for c in by_line.values())


def test_versions_from_file_names_and_directories() -> None:
    result = scan_paths([str(FIXTURES / "redis.conf")])
    got = {(c.location.line if c.location else 0): (c.engine, c.version) for c in result.components}
    assert got == {
        12: ("redisearch", "2.8.4"),
        13: ("redisjson", "2.6.6"),
        14: ("redisbloom", "2.4.5"),
        # /opt/redis-7.2.4/ is the server's version, not the module's
        15: ("redistimeseries", None),
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/opt/redis-stack/lib/redisearch.so", ("redisearch", None)),
        ("/opt/redis-stack/lib/librejson-2.6.6.so", ("rejson", "2.6.6")),
        ("/modules/2.8.4/redisearch.so", ("redisearch", "2.8.4")),
        ("/opt/RediSearch-2.8.4/bin/redisearch.so", ("redisearch", "2.8.4")),
        ("/opt/redis-7.2.4/modules/rejson.so", ("rejson", None)),
        ("C:\\redis\\modules\\v1.10.4\\redistimeseries.so", ("redistimeseries", "1.10.4")),
    ],
)
def test_module_identity(path: str, expected: tuple[str, str | None]) -> None:
    assert module_identity(path) == expected


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("loadmodule /a/b.so", "/a/b.so"),
        ("  LoadModule '/a b/c.so' ARG 1", "/a b/c.so"),
        ("# loadmodule /a/b.so", None),
        ("loadmodule", None),
        ("loadmodules /a/b.so", None),
        ('loadmodule "/unterminated.so', "/unterminated.so"),
    ],
)
def test_loadmodule_path(line: str, path: str | None) -> None:
    assert loadmodule_path(line) == path


def test_module_aliases_map_to_catalogued_engines() -> None:
    loc = Location("redis.conf", 1)
    for stem, engine in [
        ("search", "redisearch"),
        ("redisjson", "redisjson"),
        ("timeseries", "redistimeseries"),
        ("bloom", "redisbloom"),
    ]:
        c = component_for_module(f"/m/{stem}-1.2.3.so", loc)
        assert (c.engine, c.version, c.unresolved) == (engine, "1.2.3", None)


@given(
    st.sampled_from(["redisearch", "rejson", "redistimeseries", "redisbloom"]),
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(0, 40),
    st.sampled_from(["-", "_", "."]),
)
def test_versioned_file_names_round_trip(stem: str, a: int, b: int, c: int, sep: str) -> None:
    version = f"{a}.{b}.{c}"
    assert module_identity(f"/opt/lib/{stem}{sep}{version}.so") == (stem, version)


@given(st.lists(st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s)))
def test_commented_lines_never_yield(lines: list[str]) -> None:
    text = "\n".join("#" + line for line in lines)
    assert list(SOURCE.collect(Path("redis.conf"), text, "redis.conf")) == []


# --- hostile input: every line is read in time linear in its length -----------------------

HUGE = 5_000_000


@pytest.mark.parametrize(
    "args",
    [
        "/opt/" + "a" * HUGE + ".so",  # shlex copied the token once per character
        '"/opt/' + "a" * HUGE + '.so" ARG',
        "/opt/redisearch" + "-1" * (HUGE // 2) + ".so",  # a lazy name-version regex
        "/opt/x/" + "1." * (HUGE // 2) + "so",
        "/opt/" + "/1.2" * (HUGE // 4) + "/redisearch.so",
        "'" + "\\'" * (HUGE // 2),  # unbalanced single quote
    ],
)
def test_a_huge_loadmodule_line_is_read_in_linear_time(args: str) -> None:
    text = "port 6379\nloadmodule " + args + "\n"
    start = time.perf_counter()
    (component,) = SOURCE.collect(Path("redis.conf"), text, "redis.conf")
    assert time.perf_counter() - start < 10  # generous: one 5 MB line took 226 s
    assert component.location is not None and component.location.line == 2
    assert len(component.location.text or "") <= 300  # the report quotes it, shortened
    assert len(component.engine) <= 100 and len(component.unresolved or "") <= 400


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ('loadmodule "/a b/c\\x41.so" x', "/a b/cA.so"),  # Redis' escapes in double quotes
        ("loadmodule '/it\\'s/c.so'", "/it's/c.so"),
        ("loadmodule C:\\redis\\modules\\search.so", "C:\\redis\\modules\\search.so"),
        ('loadmodule /a/"b c"/d.so', "/a/b c/d.so"),
        ("loadmodule\t/a/b.so\targ", "/a/b.so"),
    ],
)
def test_loadmodule_path_reads_arguments_as_redis_does(line: str, path: str) -> None:
    assert loadmodule_path(line) == path


_WORD = st.text(alphabet="abc/._- 7", min_size=1, max_size=12).filter(str.strip)


@given(_WORD, st.sampled_from(["", '"', "'"]), st.lists(_WORD, max_size=3))
def test_loadmodule_path_of_plain_and_quoted_words(word: str, quote: str, rest: list[str]) -> None:
    if not quote:
        word = word.split()[0]
    line = f"loadmodule {quote}{word}{quote} " + " ".join(rest)
    assert loadmodule_path(line) == word
    assert loadmodule_path(line) == shlex.split(line)[1]


@pytest.mark.parametrize(
    ("path", "engine"),
    [
        ("/usr/lib/valkey/libsearch.so", "valkey-search"),
        ("/usr/lib/valkey/libjson.so", "valkey-json"),
        ("/usr/lib/valkey/libvalkey_bloom.so", "valkey-bloom"),
        ("/opt/valkey-modules/libvalkey_ldap.so", "valkey-ldap"),
        ("C:\\valkey\\libjson.so", "valkey-json"),
        # the same file names outside a Valkey folder stay the Redis Ltd. modules
        ("/usr/lib/redis/modules/libsearch.so", "redisearch"),
        ("/opt/redis-stack/lib/rejson.so", "redisjson"),
    ],
)
def test_valkey_modules_are_not_read_as_redis_modules(path: str, engine: str) -> None:
    component = component_for_module(path, Location("valkey.conf", 1))
    assert component.engine == engine
    if engine.startswith("valkey-"):
        assert component.unresolved is not None
        assert "Valkey's own" in component.unresolved and "not in the engine catalog" in (
            component.unresolved
        )
