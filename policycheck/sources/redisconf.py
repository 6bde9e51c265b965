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
import shlex
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
_VERSION = r"v?(\d+\.\d+(?:\.\d+)?)"
_STEM_VERSION = re.compile(rf"^(?P<name>.+?)[-_.]{_VERSION}$", re.IGNORECASE)
_SEGMENT_VERSION = re.compile(rf"^{_VERSION}$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^\s*loadmodule\s+(?P<args>\S.*)$", re.IGNORECASE)


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
            location = Location(display, number, line.strip())
            yield component_for_module(module_path, location)


def loadmodule_path(line: str) -> str | None:
    """The module path of a ``loadmodule`` directive, or None for any other line."""
    m = _DIRECTIVE.match(line)
    if m is None:
        return None
    try:
        words = shlex.split(m.group("args"), comments=False)
    except ValueError:
        words = [w.strip("\"'") for w in m.group("args").split()]
    return words[0] if words and words[0] else None


def component_for_module(module_path: str, location: Location) -> Component:
    """The component a module path loads: catalogued engine, version from the path."""
    name, version = module_identity(module_path)
    engine = MODULES.get(name, name)
    if engine not in MODULES.values():
        return Component(
            engine,
            None,
            location,
            unresolved=f"module {module_path!r} is not a catalogued module; its license is "
            "unknown and is not the server's",
            origin=ORIGIN,
        )
    if version is None:
        return Component(engine, None, location, unresolved=UNVERSIONED, origin=ORIGIN)
    return Component(engine, version, location, floating=version.count(".") < 2, origin=ORIGIN)


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
    m = _STEM_VERSION.match(stem)
    if m:
        stem, version = m.group("name"), m.group(2)
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
        named = _STEM_VERSION.match(part.lower())
        if named and MODULES.get(named.group("name"), named.group("name")) == engine:
            return named.group(2)
    return None


SOURCE = RedisConfSource()
