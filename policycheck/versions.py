"""Release versions and version ranges of engines.

Engines tag releases in forms packaging's PEP 440 parser almost understands:
``v1.25.0``, ``7.4-rc1``, ``8.0-m01`` (a milestone), ``1.6.0-alpha20230816``.
MinIO names each release by its UTC build time (``RELEASE.2021-05-11T23-27-41Z``); that
reads as the six-part number ``2021.5.11.23.27.41``, so releases still sort by time.
We normalise those and compare with ``packaging.version.Version`` so that
``2.10.1 > 2.1.0`` and ``8.0-rc1 < 8.0.0``. Ranges are compared by hand rather than
with ``SpecifierSet``, whose pre-release rules (``<8.0.0`` excludes ``8.0rc1``) are
right for Python packages and wrong for license eras.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from packaging.version import InvalidVersion, Version

_MILESTONE = re.compile(r"[-.]?m(\d+)")
_INTERNAL = re.compile(r"-int\d*$")
#: A release named by its timestamp, as MinIO tags them.
TIMESTAMP_RELEASE = re.compile(
    r"RELEASE\.(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z", re.IGNORECASE
)
_OPS = ("==", ">=", "<=", "!=", ">", "<")


def parse_version(text: str) -> Version | None:
    """Parse an engine release version; None when it is not a version at all."""
    stamp = TIMESTAMP_RELEASE.fullmatch(text.strip())
    if stamp is not None:
        return Version(".".join(str(int(part)) for part in stamp.groups()))
    raw = text.strip().lower()
    if raw.startswith("v"):
        raw = raw[1:]
    raw = _INTERNAL.sub("", raw)
    raw = _MILESTONE.sub(r"a\1", raw)
    if not raw or not raw[0].isdigit():
        return None
    try:
        return Version(raw)
    except (InvalidVersion, ValueError):  # ValueError: a number over Python's digit limit
        return None


def canonical_version(text: str) -> str:
    """The one form a version takes in output: ``v1.25.0`` and ``V1.25.0`` are ``1.25.0``.

    Tags differ by engine (Dragonfly and Garnet tag ``v``-prefixed); reports should not.
    The text as written stays in ``requested`` and the location.
    """
    if len(text) > 1 and text[0] in "vV" and text[1].isdigit():
        return text[1:]
    return text


@total_ordering
@dataclass(frozen=True)
class Release:
    """A version with the text it was written as (``v1.25.0``) kept for display."""

    text: str
    version: Version

    @classmethod
    def parse(cls, text: str) -> Release | None:
        """Build a release from its text, or None when the text is not a version."""
        v = parse_version(text)
        return None if v is None else cls(text, v)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Release):
            return NotImplemented
        return self.version < other.version

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Release):
            return NotImplemented
        return self.version == other.version

    def __hash__(self) -> int:
        return hash(self.version)

    def __str__(self) -> str:
        return self.text

    @property
    def canonical(self) -> str:
        """The release as reports show it (see ``canonical_version``)."""
        return canonical_version(self.text)


@dataclass(frozen=True)
class VersionRange:
    """A conjunction of comparisons such as ``>=7.3.0,<8.0.0``; empty text means all versions."""

    text: str
    bounds: tuple[tuple[str, Version], ...]

    @classmethod
    def parse(cls, text: str) -> VersionRange:
        """Parse ``>=1.0,<2.0``; raises ValueError naming the bad part."""
        bounds: list[tuple[str, Version]] = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            op = next((o for o in _OPS if part.startswith(o)), None)
            if op is None:
                raise ValueError(f"{part!r} has no comparison operator (use >=, <, == ...)")
            v = parse_version(part[len(op) :])
            if v is None:
                raise ValueError(f"{part[len(op) :].strip()!r} is not a version")
            bounds.append((op, v))
        return cls(text, tuple(bounds))

    def contains(self, v: Version) -> bool:
        """True when ``v`` satisfies every bound."""
        return all(_compare(v, op, b) for op, b in self.bounds)

    def covers_interval(self, low: Version, high: Version) -> bool:
        """True when every version in ``[low, high)`` lies inside this range.

        Used for a version line such as ``7.2`` (``[7.2, 7.3)``): the line has one
        license only when one range holds all of it.
        """
        for op, b in self.bounds:
            if op in (">=", ">") and not (low > b or (op == ">=" and low == b)):
                return False
            if op in ("<", "<=") and not high <= b:
                return False
            if op in ("==", "!="):
                return False
        return True

    def __str__(self) -> str:
        return self.text or "all versions"


def _compare(v: Version, op: str, b: Version) -> bool:
    if op == "==":
        return v == b
    if op == "!=":
        return v != b
    if op == ">=":
        return v >= b
    if op == "<=":
        return v <= b
    if op == ">":
        return v > b
    return v < b


def line_interval(text: str) -> tuple[Version, Version] | None:
    """For a partial version (``8``, ``7.2``) the half-open interval of the whole line.

    Returns None for a full ``X.Y.Z`` version or text that is not a version.
    """
    raw = text.strip().lower().removeprefix("v")
    if not re.fullmatch(r"\d{1,64}(\.\d{1,64})?", raw):  # no release line is longer
        return None
    parts = [int(p) for p in raw.split(".")]
    low = Version(".".join(map(str, parts)))
    parts[-1] += 1
    high = Version(".".join(map(str, parts)))
    return low, high
