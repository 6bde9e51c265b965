"""The engine catalog: which license each engine release carries, and the evidence.

Loaded once, lazily, from ``licenses/engines/*.yaml``. Version lookup answers three
questions the evaluator must keep apart: is this a version at all, does a catalogued
range cover it, and is it newer than anything verified (then the license is assumed).
An engine that publishes numbered builds of a release (Redis Stack ``7.4.0-v3``) says so
with ``build_suffix``; the catalog records the release, and every build carries its license.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from packaging.version import Version

from policycheck import knowledge as knowledge_module
from policycheck import versions as versions_module
from policycheck.data import data_dir, remembered
from policycheck.errors import DataError
from policycheck.knowledge import Use, UseEffect, effects_from_data
from policycheck.versions import Release, VersionRange
from policycheck.yamlload import load_file

#: owner/name of a GitHub repository (other hosts and package names get no permalink).
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Evidence:
    """Where a fact was read: repository, tag or commit, file, date.

    ``sha256`` is the hash of the file as read at the tag or commit, so a third party can
    check they read the same bytes; ``read_from`` names the fork or mirror the file was
    read from when it was not the upstream repository itself.
    """

    repo: str
    file: str
    tag: str | None = None
    commit: str | None = None
    date: str | None = None
    url: str | None = None
    note: str | None = None
    sha256: str | None = None
    read_from: str | None = None
    no_hash_reason: str | None = None

    def cite(self) -> str:
        """``repo@tag:file (date)`` for rationales and reports; the commit beside the tag."""
        ref = self.tag or (self.commit[:12] if self.commit else None)
        if self.tag and self.commit:
            ref = f"{self.tag} ({self.commit[:12]})"
        text = f"{self.repo}@{ref}:{self.file}" if ref else f"{self.repo}:{self.file}"
        return f"{text} ({self.date})" if self.date else text

    @property
    def permalink(self) -> str | None:
        """The file at its tag or commit on GitHub: a link that cannot move.

        Pinned to the commit when known (a tag can be moved, a commit cannot), else to
        the tag; None for other hosts, for issue threads and where neither is recorded.
        """
        ref = self.commit or self.tag
        if ref is None or not _GITHUB_REPO.match(self.repo) or " " in self.file:
            return None
        return f"https://github.com/{self.repo}/blob/{ref}/{self.file}"

    def to_json(self) -> dict[str, Any]:
        """Plain dict with only the keys that are set, and the permalink where there is one."""
        out = {k: v for k, v in self.__dict__.items() if v is not None}
        if self.permalink is not None:
            out["permalink"] = self.permalink
        return out


#: What contributors agree to when their code is accepted.
CONTRIBUTOR_TERMS = ("cla", "dco", "none", "unknown")


@dataclass(frozen=True)
class ContributorTerms:
    """The terms a project takes contributions under.

    ``cla``: a contributor license agreement grants the steward rights beyond the
    project's license (the mechanism that lets a single vendor relicense); ``dco``: a
    sign-off that the contributor may submit the code, under the project's license;
    ``none``: contributions come in under the project's license alone; ``unknown``: not read.
    """

    kind: str
    name: str | None
    evidence: tuple[Evidence, ...]
    note: str | None = None

    def __str__(self) -> str:
        what = {
            "cla": "contributor license agreement",
            "dco": "sign-off, no CLA",
            "none": "no agreement beyond the project license",
            "unknown": "not verified",
        }[self.kind]
        text = f"{self.name} ({what})" if self.name else what
        cites = "; ".join(e.cite() for e in self.evidence)
        return f"{text} [{cites}]" if cites else text

    def to_json(self) -> dict[str, Any]:
        """``kind``, ``name``, a readable ``summary`` and the evidence items."""
        out: dict[str, Any] = {"kind": self.kind, "summary": str(self)}
        if self.name:
            out["name"] = self.name
        if self.note:
            out["note"] = self.note
        out["evidence"] = [e.to_json() for e in self.evidence]
        return out


@dataclass(frozen=True)
class GrantRestriction:
    """One structured restriction of an Additional Use Grant."""

    id: str
    summary: str
    clause: str
    contexts: tuple[Use, ...]


@dataclass(frozen=True)
class Grant:
    """An Additional Use Grant that replaces a license's base effects for a release."""

    key: str
    license: str
    title: str
    url: str
    evidence: Evidence
    restrictions: tuple[GrantRestriction, ...]
    effects: dict[Use, UseEffect]
    url_at_release: str | None = None

    def url_for(self, version: str | None) -> str:
        """The grant's text at the release's own tag where the catalog knows how to link it."""
        if version is None or self.url_at_release is None:
            return self.url
        return self.url_at_release.replace("{version}", version)


@dataclass(frozen=True)
class Busl:
    """BUSL-1.1 parameters of a release range.

    The Change Date is either fixed (``change_date``) or counted from each release's
    publication (``change_after_years``, HashiCorp's "four years from the date the
    Licensed Work is published"); a relative one needs the release date to convert.
    """

    licensor: str
    change_date: dt.date | None
    change_license: str
    anniversary_years: int
    anniversary_wording: str | None
    change_after_years: int | None = None
    change_date_text: str | None = None

    @property
    def change_date_label(self) -> str:
        """The Change Date as reports show it: the date, or the relative rule."""
        if self.change_date is not None:
            return self.change_date.isoformat()
        return f"{self.change_after_years} years after each release is published"


@dataclass(frozen=True)
class LicenseRange:
    """Releases in ``versions`` carry ``license``."""

    versions: VersionRange
    license: str
    verified_at_tags: bool
    evidence: tuple[Evidence, ...]
    busl: Busl | None
    grant: Grant | None
    notes: tuple[str, ...]
    unverified: VersionRange | None = None

    def verified_for(self, version: Version | None) -> bool:
        """Whether the release's license was read at an upstream tag (see ``unverified``).

        A range may hold releases read only from a fork: they are not verified even where
        the rest of the range is. Without a release (a line, a floating tag resolved to
        none) only the range's own flag counts.
        """
        if not self.verified_at_tags:
            return False
        return self.unverified is None or version is None or not self.unverified.contains(version)


@dataclass(frozen=True)
class Governance:
    """Who controls the engine and how its license has changed."""

    steward: str
    model: str
    cla: ContributorTerms
    history: tuple[tuple[str, str, Evidence | None], ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Compatibility:
    """How far an engine follows the engine it was forked from (KeyDB: Redis 6.2)."""

    follows: str
    up_to: Version
    summary: str
    evidence: tuple[Evidence, ...]

    def covers(self, engine: str, version: Version | None) -> bool:
        """Whether it carries the commands of ``engine`` at ``version`` (a drop-in there)."""
        if engine != self.follows or version is None:
            return False
        return (version.major, version.minor) <= (self.up_to.major, self.up_to.minor)


@dataclass(frozen=True)
class ReleaseNote:
    """A caveat that touches some releases (e.g. a defective license file)."""

    versions: VersionRange
    note: str
    evidence: Evidence | None
    defective_license: DefectiveLicense | None = None
    confirm: ConfirmDuty | None = None


@dataclass(frozen=True)
class DefectiveLicense:
    """A license option whose text the release's license file does not actually carry."""

    license: str
    judgement: str
    use_instead: str


@dataclass(frozen=True)
class ConfirmDuty:
    """A duty some releases carry under some uses, for the reviewer to confirm."""

    uses: tuple[Use, ...]
    statement: str


@dataclass(frozen=True)
class BuildSuffix:
    """How an engine numbers rebuilds of one release: ``7.4.0-v3`` is build 3 of ``7.4.0``.

    The catalog records releases, not builds, and a build carries the license of the
    release it rebuilds; so the suffix is split off before a version is compared with the
    ranges. Only engines whose catalog entry declares the suffix get this reading: for any
    other engine ``7.4.0-v3`` stays "not a version" (fail closed).
    """

    pattern: re.Pattern[str]
    meaning: str
    evidence: Evidence

    def split(self, text: str) -> tuple[str, str] | None:
        """``('7.4.0', '3')`` for ``7.4.0-v3``: the release and the build; None without a suffix.

        The suffix must end the text; the build is the pattern's ``build`` group, or the
        whole suffix when the pattern has none.
        """
        for start in range(1, len(text)):
            m = self.pattern.fullmatch(text, start)
            if m is not None:
                return text[:start], _build_label(m)
        return None

    def match_at(self, text: str, start: int) -> re.Match[str] | None:
        """The suffix starting at ``text[start]`` when it ends the text or a variant follows.

        Image tags put variants after the build (``7.4.0-v3-arm64``); ``-v3x`` is no build.
        """
        m = self.pattern.match(text, start)
        if m is None or m.end() == start:
            return None
        return m if m.end() == len(text) or text[m.end()] in "-_+" else None


def _build_label(m: re.Match[str]) -> str:
    return m.groupdict().get("build") or m.group(0)


#: What ``{version}`` and ``{any}`` stand for in a download template: one path part.
_URL_PART = r"[^/\s\"'?#]+?"
#: A template must end its word (or the address goes on after a slash).
_URL_END = r"(?=$|[\s\"'?#)])"


@dataclass(frozen=True)
class Download:
    """An address the project publishes sources or releases at (see ``source_builds``).

    ``pattern`` is the regular expression (case-insensitive) that finds the address inside
    a command word, scheme optional; its group ``version`` is the release the address
    names (absent for a repository to clone). It is kept as text: the scanner joins every
    engine's patterns into one alternation, so compiling each one again whenever the
    remembered catalog is loaded would be wasted start-up time.
    """

    template: str
    pattern: str
    clone: bool
    evidence: Evidence


@dataclass(frozen=True)
class SourceBuilds:
    """How the engine is built from published sources: addresses, version variables,
    and the server executables the build installs."""

    downloads: tuple[Download, ...]
    variables: tuple[str, ...]
    binaries: tuple[str, ...]


@dataclass(frozen=True)
class Packages:
    """Distribution packages that install the engine's server, by package family."""

    names: dict[str, tuple[str, ...]]
    evidence: tuple[Evidence, ...]


def download_pattern(template: str, clone: bool) -> str:
    """The regular expression (case-insensitive) for a download template (see the engine
    schema), as text.

    ``download.redis.io/releases/redis-{version}.tar.gz`` matches that address in any
    word; a clone template also takes an optional ``.git`` and trailing slash.
    """
    parts = re.split(r"(\{version\}|\{any\})", template)
    body = "".join(
        "(?P<version>" + _URL_PART + ")"
        if part == "{version}"
        else _URL_PART
        if part == "{any}"
        else re.escape(part)
        for part in parts
    )
    if clone:
        body += r"(?:\.git)?/?"
    end = "" if template.endswith("/") else _URL_END
    return r"(?<![\w.-])" + body + end


@dataclass(frozen=True)
class ImageEntry:
    """One catalogued image repository, what it runs and how its tag reads.

    ``image`` is lower-case ``[registry/]repository`` as the catalog writes it. ``role``
    is ``server`` (it runs the engine), ``derived`` (it runs the engine, but its tag is
    the image's own version) or ``related`` (it runs no server: exporter, operator, UI).
    ``tag``
    is ``release`` (the tag names the engine release), ``line`` (its major.minor names
    the engine's release line; the patch is the image's own) or ``image`` (the image's
    own version: the engine's is unknown). ``tag_prefix`` is text upstream writes before
    the version (KeyDB's ``x86_64_v6.3.4``); ``why`` says what a ``related`` image does.
    ``discontinued`` says why an image gets no new tags: its floating tags name no release.
    """

    image: str
    engine: str
    role: str
    tag: str
    tag_prefix: re.Pattern[str] | None
    note: str | None
    evidence: tuple[Evidence, ...]
    discontinued: str | None = None


@dataclass(frozen=True)
class Engine:
    """One catalogued engine, module or distribution."""

    id: str
    name: str
    kind: str
    protocol: str
    lineage: str | None
    repository: str
    aliases: tuple[str, ...]
    governance: Governance
    images: tuple[str, ...]
    derived_images: tuple[str, ...]
    newest_known: Release
    verified_note: str | None
    ranges: tuple[LicenseRange, ...]
    releases: tuple[tuple[Release, dt.date], ...]
    release_notes: tuple[ReleaseNote, ...]
    build_suffix: BuildSuffix | None = None
    releases_complete_from: Version | None = None
    source_builds: SourceBuilds | None = None
    packages: Packages | None = None
    image_entries: tuple[ImageEntry, ...] = ()
    compatibility: Compatibility | None = None

    def range_for(self, v: Version) -> LicenseRange | None:
        """The range holding ``v``; ranges must not overlap (checked at load).

        Remembered per version: a specifier test costs microseconds, and a CLI pin asks
        it of every release its constraint admits (hundreds for Terraform).
        """
        memo = self._range_by_version
        if v not in memo:
            memo[v] = next((r for r in self.ranges if r.versions.contains(v)), None)
        return memo[v]

    @cached_property
    def _range_by_version(self) -> dict[Version, LicenseRange | None]:
        return {}

    def release_date(self, v: Version) -> dt.date | None:
        """Publication date of a known release (the tag's commit date)."""
        return next((d for rel, d in self.releases if rel.version == v), None)

    def newest_in_line(self, low: Version, high: Version) -> Release | None:
        """Newest known final release in ``[low, high)``, pre-releases only if nothing else.

        Remembered per interval: judging every release of an engine (the alternatives
        do) asks for each release's line, which would otherwise scan all releases each time.
        """
        key = (low, high)
        memo = self._newest_by_interval
        if key not in memo:
            memo[key] = self._newest_in(low, high)
        return memo[key]

    @cached_property
    def _newest_by_interval(self) -> dict[tuple[Version, Version], Release | None]:
        return {}

    @cached_property
    def _release_versions(self) -> frozenset[Version]:
        return frozenset(rel.version for rel, _ in self.releases)

    def _newest_in(self, low: Version, high: Version) -> Release | None:
        inside = [rel for rel, _ in self.releases if low <= rel.version < high]
        final = [r for r in inside if not r.version.is_prerelease]
        pool = final or inside
        return max(pool) if pool else None

    def never_released(self, v: Version) -> bool:
        """Whether ``v`` falls where every release is recorded, yet is none of them.

        Compared on the release numbers (``7.2.4rc1`` falls at 7.2.4), so a pre-release
        form of a recorded line is caught too. A version past the newest recorded release
        of its line is not caught here: a maintained line may have shipped it after the
        catalog was made (see ``past_its_line``).
        """
        if not self._recorded_span(v) or self.past_its_line(v):
            return False
        return v not in self._release_versions

    def past_its_line(self, v: Version) -> bool:
        """Whether ``v`` is newer than every recorded release of its major.minor line,
        where the catalog records every release: a patch published after the catalog, or
        a typo, which only a person can tell apart."""
        if not self._recorded_span(v):
            return False
        major, minor = (*v.release, 0)[:2]
        newest = self.newest_in_line(Version(f"{major}.{minor}"), Version(f"{major}.{minor + 1}"))
        return newest is not None and v > newest.version

    def _recorded_span(self, v: Version) -> bool:
        start = self.releases_complete_from
        if start is None or Version(".".join(map(str, v.release))) < start:
            return False
        return v <= self.newest_known.version  # newer than verified: an assumption anyway

    def notes_for(self, v: Version) -> list[ReleaseNote]:
        """Caveats that apply to release ``v``."""
        return [n for n in self.release_notes if n.versions.contains(v)]


@dataclass
class Catalog:
    """All engines, indexed by id and alias."""

    engines: dict[str, Engine]
    names: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Engine | None:
        """The engine for an id or alias (case-insensitive), or None."""
        key = self.names.get(name.strip().lower())
        return None if key is None else self.engines[key]


def _evidence(d: dict[str, Any]) -> Evidence:
    return Evidence(
        repo=d["repo"],
        file=d["file"],
        tag=d.get("tag"),
        commit=d.get("commit"),
        date=d.get("date"),
        url=d.get("url"),
        note=d.get("note"),
        sha256=d.get("sha256"),
        read_from=d.get("read_from"),
        no_hash_reason=d.get("no_hash_reason"),
    )


def _contributor_terms(d: dict[str, Any]) -> ContributorTerms:
    return ContributorTerms(
        kind=d["kind"],
        name=d.get("name"),
        evidence=tuple(_evidence(e) for e in d.get("evidence", [])),
        note=d.get("note"),
    )


def _grant(key: str, d: dict[str, Any]) -> Grant:
    return Grant(
        key=key,
        license=d["license"],
        title=d["title"],
        url=d["url"],
        evidence=_evidence(d["evidence"]),
        restrictions=tuple(
            GrantRestriction(
                r["id"], r["summary"], r["clause"], tuple(Use(c) for c in r["contexts"])
            )
            for r in d["restrictions"]
        ),
        effects=effects_from_data(d["effects"], d["url"]),
        url_at_release=d.get("url_at_release"),
    )


def _complete_from(d: dict[str, Any], source: str) -> Version | None:
    text = d.get("releases_complete_from")
    if text is None:
        return None
    parsed = Release.parse(text)
    if parsed is None:
        raise DataError(f"releases_complete_from {text!r} is not a version", source)
    return parsed.version


def _engine(d: dict[str, Any], source: str) -> Engine:
    entries = _image_entries(d, source)
    grants = {k: _grant(k, g) for k, g in (d.get("grants") or {}).items()}
    ranges = []
    for r in d["ranges"]:
        busl = None
        if "busl" in r:
            b = r["busl"]
            relative = b.get("change_date_relative") or {}
            busl = Busl(
                b["licensor"],
                dt.date.fromisoformat(b["change_date"]) if "change_date" in b else None,
                b["change_license"],
                b["anniversary_years"],
                b.get("anniversary_wording"),
                relative.get("years"),
                relative.get("text"),
            )
            if (busl.change_date is None) == (busl.change_after_years is None):
                raise DataError(
                    f"range {r['versions']} needs exactly one of change_date and "
                    "change_date_relative",
                    source,
                )
        grant = None
        if "grant" in r:
            if r["grant"] not in grants:
                raise DataError(f"range {r['versions']} names unknown grant {r['grant']!r}", source)
            grant = grants[r["grant"]]
        ranges.append(
            LicenseRange(
                VersionRange.parse(r["versions"]),
                r["license"],
                r["verified_at_tags"],
                tuple(_evidence(e) for e in r["evidence"]),
                busl,
                grant,
                tuple(r.get("notes", [])),
                VersionRange.parse(r["unverified_releases"])
                if "unverified_releases" in r
                else None,
            )
        )
    releases = []
    for rel in d["releases"]:
        parsed = Release.parse(rel["version"])
        if parsed is None:
            raise DataError(f"release {rel['version']!r} is not a version", source)
        releases.append((parsed, dt.date.fromisoformat(rel["date"])))
    releases.sort(key=lambda item: item[0].version)
    newest = Release.parse(d["newest_known"])
    if newest is None:
        raise DataError(f"newest_known {d['newest_known']!r} is not a version", source)
    g = d["governance"]
    governance = Governance(
        steward=g["steward"],
        model=g["model"],
        cla=_contributor_terms(g["cla"]),
        history=tuple(
            (h["date"], h["event"], _evidence(h["evidence"]) if "evidence" in h else None)
            for h in g["history"]
        ),
        notes=tuple(g.get("notes", [])),
    )
    engine = Engine(
        id=d["id"],
        name=d["name"],
        kind=d["kind"],
        protocol=d["protocol"],
        lineage=d.get("lineage"),
        repository=d["repository"],
        aliases=tuple(d.get("aliases", [])),
        governance=governance,
        images=tuple(e.image for e in entries if e.role == "server"),
        derived_images=tuple(e.image for e in entries if e.role == "derived"),
        newest_known=newest,
        verified_note=d.get("verified_note"),
        releases_complete_from=_complete_from(d, source),
        ranges=tuple(ranges),
        releases=tuple(releases),
        release_notes=tuple(
            ReleaseNote(
                VersionRange.parse(n["versions"]),
                n["note"],
                _evidence(n["evidence"]) if "evidence" in n else None,
                DefectiveLicense(**n["defective_license"]) if "defective_license" in n else None,
                ConfirmDuty(tuple(Use(u) for u in n["confirm"]["uses"]), n["confirm"]["statement"])
                if "confirm" in n
                else None,
            )
            for n in d.get("release_notes", [])
        ),
        build_suffix=_build_suffix(
            d.get("build_suffix"),
            _version_texts(d),
            source,
        ),
        source_builds=_source_builds(d.get("source_builds"), source),
        packages=_packages(d.get("packages")),
        image_entries=entries,
        compatibility=_compatibility(d.get("compatibility")),
    )
    _check_ranges(engine, source)
    return engine


def _compatibility(d: dict[str, Any] | None) -> Compatibility | None:
    if d is None:
        return None
    return Compatibility(
        d["follows"],
        Version(d["up_to"]),
        d["summary"],
        tuple(_evidence(e) for e in d["evidence"]),
    )


def _image_entries(d: dict[str, Any], source: str) -> tuple[ImageEntry, ...]:
    """The engine's ``images``, ``derived_images`` and ``related_images`` as entries.

    A plain string is an image whose tag is the engine release (or, derived, the image's
    own version), as the catalog first wrote them; an object says more and cites evidence.
    """
    entries: list[ImageEntry] = []
    for key, role in (
        ("images", "server"),
        ("derived_images", "derived"),
        ("related_images", "related"),
    ):
        for item in d.get(key, []):
            spec: dict[str, Any] = {"image": item} if isinstance(item, str) else item
            prefix = None
            if "tag_prefix" in spec:
                prefix = _pattern(spec["tag_prefix"], "tag_prefix", source)
            default_tag = {"server": "release", "derived": "image", "related": "image"}[role]
            entries.append(
                ImageEntry(
                    image=spec["image"].lower(),
                    engine=d["id"],
                    role=role,
                    tag=spec.get("tag", default_tag),
                    tag_prefix=prefix,
                    note=spec.get("note") or spec.get("why"),
                    evidence=tuple(_evidence(e) for e in spec.get("evidence", [])),
                    discontinued=spec.get("discontinued"),
                )
            )
    return tuple(entries)


def _pattern(text: str, what: str, source: str) -> re.Pattern[str]:
    try:
        pattern = re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise DataError(f"{what} {text!r} is not a regular expression: {exc}", source) from None
    if pattern.fullmatch(""):
        raise DataError(f"{what} {text!r} matches the empty string", source)
    return pattern


def _version_texts(d: dict[str, Any]) -> list[str]:
    """Every version the entry writes: releases, newest_known and the bounds of its ranges."""
    texts = [str(r["version"]) for r in d["releases"]] + [str(d["newest_known"])]
    for key in ("ranges", "release_notes"):
        for r in d.get(key, []):
            texts += [p.strip().lstrip("<>=!").strip() for p in r["versions"].split(",")]
    return [t for t in texts if t]


def _build_suffix(d: dict[str, Any] | None, versions: list[str], source: str) -> BuildSuffix | None:
    """The engine's build suffix, refused when it could swallow a version the entry writes.

    A pattern that matched the ``-rc2`` of ``7.0.6-rc2`` would judge that release
    candidate as 7.0.6, a different license era; catalogued versions must not read as builds.
    """
    if d is None:
        return None
    try:
        pattern = re.compile(d["pattern"], re.IGNORECASE)
    except re.error as exc:
        raise DataError(
            f"build_suffix pattern {d['pattern']!r} is not a regular expression: {exc}", source
        ) from None
    if pattern.fullmatch(""):
        raise DataError(f"build_suffix pattern {d['pattern']!r} matches the empty string", source)
    suffix = BuildSuffix(pattern, d["meaning"], _evidence(d["evidence"]))
    for text in versions:
        found = suffix.split(text)
        if found is not None:
            raise DataError(
                f"build_suffix pattern {d['pattern']!r} reads version {text!r} as build "
                f"{found[1]!r} of {found[0]!r}",
                source,
            )
    return suffix


def _source_builds(d: dict[str, Any] | None, source: str) -> SourceBuilds | None:
    """Download templates compiled; a clone names no version, an archive exactly one."""
    if d is None:
        return None
    downloads = []
    for group in d["downloads"]:
        clone = bool(group.get("clone", False))
        for template in group["urls"]:
            if template.count("{version}") != (0 if clone else 1):
                raise DataError(
                    f"download {template!r} must name {{version}} "
                    + ("nowhere (a repository to clone)" if clone else "once"),
                    source,
                )
            pattern = download_pattern(template, clone)
            downloads.append(Download(template, pattern, clone, _evidence(group["evidence"])))
    return SourceBuilds(
        tuple(downloads), tuple(d.get("variables", [])), tuple(d.get("binaries", []))
    )


def _packages(d: dict[str, Any] | None) -> Packages | None:
    if d is None:
        return None
    names: dict[str, tuple[str, ...]] = {
        family: tuple(d[family]) for family in ("apt", "apk", "rpm") if family in d
    }
    return Packages(names, tuple(_evidence(e) for e in d["evidence"]))


def _check_ranges(engine: Engine, source: str) -> None:
    """Every release must fall in exactly one range: overlapping eras would be a data bug."""
    for rel, _ in engine.releases:
        holders = [r for r in engine.ranges if r.versions.contains(rel.version)]
        if len(holders) != 1:
            raise DataError(
                f"release {rel} of {engine.id} falls in {len(holders)} license ranges, expected 1",
                source,
            )


@cache
def catalog() -> Catalog:
    """The bundled engine catalog, loaded on first use.

    Its consistency (ranges, releases, build suffixes) is checked here; its schema by
    ``data.check_bundled``, off the path to the first parsed file. Building it reads
    every engine file (a fifth of a second); the built catalog is remembered in the
    cache folder by the digest of those files and of the code that builds it.
    """
    files = sorted((data_dir("licenses") / "engines").glob("*.yaml"))
    code = [
        Path(__file__),
        Path(versions_module.__file__ or ""),
        Path(knowledge_module.__file__ or ""),
    ]
    return remembered("catalog", [*files, *code], lambda: _build_catalog(files))


def _build_catalog(files: list[Path]) -> Catalog:
    engines: dict[str, Engine] = {}
    names: dict[str, str] = {}
    for path in files:
        doc = load_file(path)
        engine = _engine(doc.value, str(path))
        if path.stem != engine.id:
            raise DataError(f"file name does not match id {engine.id!r}", str(path))
        engines[engine.id] = engine
        for name in (engine.id, *engine.aliases):
            names[name.lower()] = engine.id
    return Catalog(engines, names)
