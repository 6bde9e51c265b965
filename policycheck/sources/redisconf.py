"""redis.conf / valkey.conf: the modules a server loads, each under its own license.

A BSD-3-Clause Redis 7.2 that runs ``loadmodule /opt/redis-stack/lib/redisearch.so``
also runs RediSearch, which has been RSALv1 or RSALv2/SSPLv1 since 2019. The config
file says nothing about the server's version, so only the modules are reported. A
module's version is known only when the path carries it (``redisearch-2.8.4.so``,
``/modules/2.8.4/redisearch.so``, ``/opt/RediSearch-2.8.4/redisearch.so``); otherwise
the component is unresolved and the evaluator asks for review.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from policycheck.model import Component, Location
from policycheck.sources.interface import Source

ORIGIN = "redis-conf"
UNVERSIONED = "module version is not in the path; the module's license is not the server's"
_NAMES = ("redis.conf", "valkey.conf", "redis-stack.conf")
_PATTERNS = ("redis-*.conf", "*.redis.conf")
#: Module file stems (``lib`` prefix and version removed) and the catalogued engine.
MODULES = {
    "redisearch": "redisearch",
    "search": "redisearch",
    "rejson": "redisjson",
    "redisjson": "redisjson",
    "json": "redisjson",
    "redistimeseries": "redistimeseries",
    "timeseries": "redistimeseries",
    "redisbloom": "redisbloom",
    "bloom": "redisbloom",
    "rebloom": "redisbloom",
}
#: Valkey's own modules (valkey-io/valkey-bundle copies them to /usr/lib/valkey/ as
#: libjson.so, libsearch.so, libvalkey_bloom.so, libvalkey_ldap.so): file stems, and the
#: stems that mean a Valkey module only under a folder named for Valkey.
VALKEY_MODULES = {"valkey_bloom": "bloom", "valkey_ldap": "ldap", "valkey_json": "json"}
VALKEY_FOLDER_STEMS = ("search", "json")
_VERSION = r"v?(\d+\.\d+(?:\.\d+)?)"
#: A version at the end of a name, after a separator: searched from position 1, so the
#: name before it is never empty (a lazy ``^(.+?)`` prefix tried every split: quadratic).
_VERSION_SUFFIX = re.compile(rf"[-_.]{_VERSION}$", re.IGNORECASE)
_SEGMENT_VERSION = re.compile(rf"^{_VERSION}$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^\s*loadmodule\s+(?P<args>\S.*)$", re.IGNORECASE)
#: One piece of a config argument as Redis' sdssplitargs reads it: plain characters, a
#: double-quoted string with backslash escapes, or a single-quoted one (``\'`` inside).
#: Possessive: a quote left open fails once, without giving back what it matched.
_PIECE = re.compile(
    r"""(?P<plain>[^\s"']++)|"(?P<double>[^"\\]*+(?:\\.[^"\\]*+)*+)"|'(?P<single>[^'\\]*+(?:\\.[^'\\]*+)*+)'""",
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|.)", re.DOTALL)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}
#: Longest text quoted from a line or a module path in a report.
_SHOWN = 200


class RedisConfSource(Source):
    """``loadmodule`` lines in Redis and Valkey configuration files."""

    name = "redis-conf"
    priority = 10

    def claims(self, path: Path, head: bytes) -> bool:
        """redis.conf, valkey.conf, redis-stack.conf, redis-*.conf and *.redis.conf."""
        return self.may_claim(path.name.lower())

    def may_claim(self, name: str) -> bool:
        """The name decides alone."""
        if not name.endswith(".conf"):
            return False  # every name below ends so: most files are decided here
        return name in _NAMES or any(fnmatch.fnmatch(name, p) for p in _PATTERNS)

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """One component per ``loadmodule`` line; comments and other directives ignored."""
        for number, line in enumerate(text.splitlines(), start=1):
            module_path = loadmodule_path(line)
            if module_path is None:
                continue
            location = Location(display, number, _shorten(line.strip()))
            yield component_for_module(module_path, location)


def loadmodule_path(line: str) -> str | None:
    """The module path of a ``loadmodule`` directive, or None for any other line.

    The path is the first argument as Redis reads it (``sdssplitargs``): quotes group,
    backslash escapes count inside double quotes only, so ``C:\\redis\\m.so`` stays as
    written. A quote left open falls back to the first word without quotes.
    """
    m = _DIRECTIVE.match(line)
    if m is None:
        return None
    word = _first_argument(m.group("args"))
    return word or None


def _first_argument(args: str) -> str:
    """The first argument of a config line, in time linear in its length."""
    pieces: list[str] = []
    position = 0
    while position < len(args) and not args[position].isspace():
        m = _PIECE.match(args, position)
        if m is None:  # a quote left open
            return args.split(None, 1)[0].strip("\"'")
        if m.group("plain") is not None:
            pieces.append(m.group("plain"))
        elif m.group("double") is not None:
            pieces.append(_ESCAPE.sub(_unescape, m.group("double")))
        else:
            pieces.append(m.group("single").replace("\\'", "'"))
        position = m.end()
    return "".join(pieces)


def _unescape(m: re.Match[str]) -> str:
    code = m.group(1)
    if len(code) == 3:
        return chr(int(code[1:], 16))
    return _ESCAPES.get(code, code)


def _shorten(text: str) -> str:
    """``text`` as a report quotes it: a hostile line of megabytes is cut."""
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def component_for_module(module_path: str, location: Location) -> Component:
    """The component a module path loads: catalogued engine, version from the path."""
    name, version = module_identity(module_path)
    valkey = valkey_module(module_path, name)
    if valkey is not None:
        return Component(
            f"valkey-{valkey}",
            version,
            location,
            unresolved=f"{_shorten(module_path)!r} is Valkey's own {valkey} module "
            f"(valkey-{valkey}), not a Redis Ltd. module; it is not in the engine catalog, "
            "so its license is not judged here",
            origin=ORIGIN,
        )
    engine = MODULES.get(name, name)
    if engine not in MODULES.values():
        return Component(
            _shorten(engine)[:100],
            None,
            location,
            unresolved=f"module {_shorten(module_path)!r} is not a catalogued module; its "
            "license is unknown and is not the server's",
            origin=ORIGIN,
        )
    if version is None:
        return Component(engine, None, location, unresolved=UNVERSIONED, origin=ORIGIN)
    return Component(engine, version, location, floating=version.count(".") < 2, origin=ORIGIN)


def valkey_module(module_path: str, stem: str) -> str | None:
    """``search``, ``json``, ``bloom`` or ``ldap`` when the path loads a Valkey module.

    valkey-search and valkey-json build ``libsearch.so`` and ``libjson.so``, names that
    alone would read as RediSearch and RedisJSON; under a folder named for Valkey
    (``/usr/lib/valkey/``, where Valkey Bundle puts them) they are Valkey's.
    """
    if stem in VALKEY_MODULES:
        return VALKEY_MODULES[stem]
    if stem in VALKEY_FOLDER_STEMS:
        folders = PurePosixPath(module_path.replace("\\", "/")).parent.parts
        if any("valkey" in part.lower() for part in folders):
            return stem
    return None


def module_identity(module_path: str) -> tuple[str, str | None]:
    """(module name, version or None) from a module file path.

    ``/opt/redis-stack/lib/librejson-2.6.6.so`` -> (``rejson``, ``2.6.6``). The version
    comes from the file name, else from the nearest directory that is a version
    (``/modules/2.8.4/``) or ends in one (``/opt/RediSearch-2.8.4/``).
    """
    pure = PurePosixPath(module_path.replace("\\", "/"))
    stem = pure.name
    if stem.lower().endswith(".so"):
        stem = stem[:-3]
    stem = stem.lower()
    version = None
    m = _VERSION_SUFFIX.search(stem, 1)
    if m:
        stem, version = stem[: m.start()], m.group(1)
    if stem.startswith("lib") and len(stem) > 3:
        stem = stem[3:]
    if version is None:
        version = _directory_version(pure.parent.parts, stem)
    return stem, version


def _directory_version(parts: tuple[str, ...], stem: str) -> str | None:
    """A version directory, or one named after this module (not ``/opt/redis-7.2.4/``)."""
    engine = MODULES.get(stem, stem)
    for part in reversed(parts):
        plain = _SEGMENT_VERSION.match(part)
        if plain:
            return plain.group(1)
        named = _VERSION_SUFFIX.search(part.lower(), 1)
        name = part[: named.start()].lower() if named else ""
        if named and MODULES.get(name, name) == engine:
            return named.group(1)
    return None


SOURCE = RedisConfSource()
