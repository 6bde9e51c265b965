"""What licenses/terraform.yaml says about managed-service resources and public modules.

The file is data with its evidence (see its header and the schema); this module loads
it once and answers the two questions that depend on versions: which release of a
module a call gets (its ``version`` constraint or ``?ref=``), and whether a provider
default holds for the provider versions a configuration allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from policycheck.data import data_dir
from policycheck.yamlload import load_file

Version = tuple[int, int, int]
_VERSION = re.compile(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]*)?\s*$")
_PART = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*(v?\d+(?:\.\d+){0,2}(?:[-+][0-9A-Za-z.-]*)?)\s*$")


def parse_version(text: str) -> Version | None:
    """``v1.2`` -> (1, 2, 0); None when it is not a version (a branch, a commit)."""
    m = _VERSION.match(text)
    if m is None:
        return None
    major, minor, patch = (int(x or 0) for x in m.groups())
    return (major, minor, patch)


@dataclass(frozen=True)
class Interval:
    """The versions a constraint admits: from ``low`` (inclusive) up to ``high``
    (exclusive; None: no upper bound), less those ``!=`` excludes."""

    low: Version = (0, 0, 0)
    high: Version | None = None
    excluded: frozenset[Version] = frozenset()

    def __and__(self, other: Interval) -> Interval:
        highs = [h for h in (self.high, other.high) if h is not None]
        return Interval(
            max(self.low, other.low),
            min(highs) if highs else None,
            self.excluded | other.excluded,
        )

    def within(self, outer: Interval) -> bool:
        """Whether every version admitted here is admitted by ``outer``."""
        if self.low < outer.low or any(self.admits(v) for v in outer.excluded):
            return False
        if outer.high is None:
            return True
        return self.high is not None and self.high <= outer.high

    def admits(self, version: Version) -> bool:
        return (
            self.low <= version
            and (self.high is None or version < self.high)
            and version not in self.excluded
        )


def _next(version: Version) -> Version:
    return (version[0], version[1], version[2] + 1)


def parse_constraint(text: str) -> Interval | None:
    """A Terraform version constraint (``~> 4.0``, ``>= 1.2, < 2``, ``1.3.0``) as an
    interval; None when it cannot be read."""
    result = Interval()
    for part in text.split(","):
        m = _PART.match(part)
        if m is None:
            return None
        operator, written = m.group(1) or "=", m.group(2)
        version = parse_version(written)
        if version is None:
            return None
        segments = written.lstrip("v").split("-")[0].count(".") + 1
        if operator == "=":
            bound = Interval(version, _next(version))
        elif operator == ">=":
            bound = Interval(version)
        elif operator == ">":
            bound = Interval(_next(version))
        elif operator == "<":
            bound = Interval(high=version)
        elif operator == "<=":
            bound = Interval(high=_next(version))
        elif operator == "~>":
            if segments == 1:
                bound = Interval(version)
            elif segments == 2:
                bound = Interval(version, (version[0] + 1, 0, 0))
            else:
                bound = Interval(version, (version[0], version[1] + 1, 0))
        else:  # !=
            bound = Interval(excluded=frozenset({version}))
        result = result & bound
    return result


def newest_within(ranges: list[Interval], wanted: Interval | None) -> int | None:
    """Which of ``ranges`` (a fact's version ranges) covers the version Terraform picks.

    Terraform installs the newest release that satisfies the constraint. Without an
    upper bound that is the newest release, in the open-ended range; with one, the
    answer is sure only when a single range covers every version the constraint admits.
    """
    if wanted is None or wanted.high is None:
        return next((i for i, r in enumerate(ranges) if r.high is None), None)
    return next((i for i, r in enumerate(ranges) if wanted.within(r)), None)


# -- the facts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineRule:
    """How a resource type names its engine (``value``: always the same one)."""

    value: str | None
    attribute: str | None
    values: tuple[str, ...]
    default: str | None
    unset: str
    evidence: dict[str, Any] | None
    #: Engines named by the version value's prefix (``OpenSearch_2.11``), and the one a
    #: value without a prefix names (``7.10`` in aws_elasticsearch_domain).
    prefixes: dict[str, str] = field(default_factory=dict)
    bare: str | None = None
    #: Set for a service that is compatible with an engine but is not it (DocumentDB).
    imitates: dict[str, str] | None = None


@dataclass(frozen=True)
class VersionRule:
    """How a resource type names its version, and its provider default, if cited."""

    attribute: str | None
    format: str
    default: str | None
    provider_versions: dict[str, str]
    unset: str
    evidence: dict[str, Any] | None


@dataclass(frozen=True)
class Join:
    """An attribute that makes a resource without an engine part of another deployment."""

    attribute: str
    member: bool
    means: str


@dataclass(frozen=True)
class ResourceFacts:
    """One managed-cache resource type."""

    kind: str
    provider: str
    engine: EngineRule
    version: VersionRule
    joins: tuple[Join, ...]
    #: What the service runs, where that differs from the engine's own distribution.
    note: str | None = None


@dataclass(frozen=True)
class Deploy:
    """A resource a module creates, when its ``when`` inputs have those values."""

    resource: str
    when: dict[str, Any]
    engine_input: str | None
    version_input: str | None
    provider: str | None


@dataclass(frozen=True)
class Release:
    """Input defaults (and provider constraints) of a range of a module's releases."""

    versions: str
    interval: Interval
    inputs: dict[str, Any]
    providers: dict[str, str]
    evidence: dict[str, Any]


@dataclass(frozen=True)
class ModuleFacts:
    """One public module (or submodule): where it is published and what it deploys."""

    registry: str
    subdirectory: str
    repository: str
    off_when: dict[str, Any]
    deploys: tuple[Deploy, ...]
    releases: tuple[Release, ...]

    @property
    def address(self) -> str:
        return self.registry + (f"//{self.subdirectory}" if self.subdirectory else "")

    def release(self, wanted: Interval | None) -> Release | None:
        """The release Terraform would install for ``wanted`` (None: the newest)."""
        found = newest_within([r.interval for r in self.releases], wanted)
        return None if found is None else self.releases[found]


@dataclass(frozen=True)
class Facts:
    resources: dict[str, ResourceFacts]
    modules: tuple[ModuleFacts, ...]


def _resource(kind: str, data: dict[str, Any]) -> ResourceFacts:
    engine = data["engine"]
    version = data["version"]
    return ResourceFacts(
        kind=kind,
        provider=data["provider"],
        engine=EngineRule(
            value=engine.get("value"),
            attribute=engine.get("attribute"),
            values=tuple(engine.get("values", [engine.get("value")])),
            default=engine.get("default"),
            unset=engine.get("unset", "engine is not set"),
            evidence=engine.get("evidence"),
            prefixes={k.lower(): v for k, v in engine.get("prefixes", {}).items()},
            bare=engine.get("bare"),
            imitates=engine.get("imitates"),
        ),
        version=VersionRule(
            attribute=version.get("attribute"),
            format=version.get("format", "plain"),
            default=version.get("default"),
            provider_versions=dict(version.get("provider_versions", {})),
            unset=version["unset"],
            evidence=version.get("evidence"),
        ),
        joins=tuple(
            Join(j["attribute"], bool(j.get("member", False)), j["means"])
            for j in data.get("joins", [])
        ),
        note=data.get("note"),
    )


def _module(data: dict[str, Any]) -> ModuleFacts:
    releases = []
    for release in data["releases"]:
        interval = parse_constraint(release["versions"])
        assert interval is not None, release["versions"]  # the schema's pattern
        releases.append(
            Release(
                release["versions"],
                interval,
                dict(release["inputs"]),
                dict(release.get("providers", {})),
                release["evidence"],
            )
        )
    return ModuleFacts(
        registry=data["registry"],
        subdirectory=data.get("subdirectory", "").strip("/"),
        repository=data["repository"].lower(),
        off_when=dict(data.get("off_when", {})),
        deploys=tuple(
            Deploy(
                d["resource"],
                dict(d.get("when", {})),
                d.get("engine_input"),
                d.get("version_input"),
                d.get("provider"),
            )
            for d in data["deploys"]
        ),
        releases=tuple(releases),
    )


@cache
def facts() -> Facts:
    """The bundled Terraform facts, loaded on first use (validated by ``check_bundled``)."""
    doc = load_file(data_dir("licenses") / "terraform.yaml").value
    return Facts(
        {kind: _resource(kind, data) for kind, data in doc["resources"].items()},
        tuple(_module(m) for m in doc["modules"]),
    )


def cite(evidence: dict[str, Any] | None) -> str:
    """Evidence as a short citation: ``repo tag file`` (or commit)."""
    if not evidence:
        return ""
    at = evidence.get("tag") or (evidence.get("commit") or "")[:12]
    return " ".join(part for part in (evidence["repo"], at, evidence["file"]) if part)


# -- module sources ----------------------------------------------------------------------

_REGISTRY_HOSTS = ("registry.terraform.io/", "registry.opentofu.org/")
_GITHUB = re.compile(
    r"^(?:git::)?(?:https?://|ssh://git@|git@)?github\.com[/:]"
    r"(?P<repo>[^/]+/[^/?#]+?)(?:\.git)?(?P<sub>//[^?#]*)?(?:\?(?P<query>.*))?$",
    re.IGNORECASE,
)
_REGISTRY = re.compile(
    r"^(?P<address>[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*/[a-z0-9]+)(?P<sub>//[^?#]*)?$"
)


@dataclass(frozen=True)
class ModuleSource:
    """A remote module source, as far as it names a known module."""

    facts: ModuleFacts
    ref: str | None  # the git ref (?ref=) of a repository source


def known_module(source: str) -> ModuleSource | None:
    """The public module a ``source`` names (registry address or GitHub repository)."""
    text = source.strip()
    for host in _REGISTRY_HOSTS:
        if text.lower().startswith(host):
            text = text[len(host) :]
    m = _REGISTRY.match(text)
    ref: str | None = None
    if m is not None:
        key, field = m.group("address").lower(), "registry"
    else:
        m = _GITHUB.match(text)
        if m is None:
            return None
        key, field = m.group("repo").lower(), "repository"
        query = m.group("query") or ""
        ref = next((p[4:] for p in query.split("&") if p.startswith("ref=")), None)
    sub = (m.group("sub") or "").strip("/")
    for module in facts().modules:
        if getattr(module, field).lower() == key and module.subdirectory == sub:
            return ModuleSource(module, ref)
    return None
