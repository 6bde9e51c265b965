"""Migration audit for the ADR: what is deployed today, and what each candidate keeps of it.

A decision record that stops at scores leaves the real work out: the seed ADR asks for an
inventory of every module loaded and every setting that touches persistence or cluster
internals before any move. ``adr --from PATH`` scans PATH as ``check`` does and reads,
from ``licenses/modules/migration.yaml`` (facts with evidence), whether each candidate
offers the capability each loaded module provides, which redis.conf directives change
meaning, and how data can move. Whatever the facts do not settle is a question for the
team, never a silent yes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policycheck.catalog import catalog
from policycheck.data import data_dir, load_validated
from policycheck.errors import InputError
from policycheck.model import Finding, Location
from policycheck.policy import Policy
from policycheck.sources.redisconf import (
    MODULES,
    component_for_module,
    module_identity,
)
from policycheck.sources.redisconf import (
    SOURCE as REDIS_CONF,
)
from policycheck.versions import VersionRange, parse_version
from policycheck.walk import MAX_FILE_BYTES, iter_files

if TYPE_CHECKING:
    from policycheck.adr.record import OptionResult

MIGRATION_FACTS = Path("modules") / "migration.yaml"
PORTABLE = frozenset({"bundled", "same-module", "equivalent"})
"""Statuses under which a loaded module's commands keep working after the move."""
_LOADMODULE_ARG = re.compile(r"""--loadmodule(?:=|["',\s]+)["']?(?P<path>[^\s"',\]]+\.so)\b""")
_ARG_DIRECTIVE = re.compile(
    r"""--(?P<name>[a-z][a-z0-9-]*)(?:=|[ \t]+)["']?(?P<value>[^\s"',\]]+)"""
)


# -- the facts --------------------------------------------------------------------------------


@cache
def migration_facts() -> dict[str, Any]:
    """The bundled migration facts, checked against ``schemas/modules.schema.json``."""
    path = data_dir("licenses") / MIGRATION_FACTS
    return dict(load_validated(path, "modules").value)


def _cite(e: dict[str, Any]) -> str:
    ref = e.get("tag") or (e["commit"][:12] if e.get("commit") else None)
    text = f"{e['repo']}@{ref}:{e['file']}" if ref else f"{e['repo']}:{e['file']}"
    return f"{text} ({e['date']})" if e.get("date") else text


def _applies(versions: str | None, version: str | None) -> bool:
    """Whether a fact for ``versions`` holds for ``version`` (None: unknown -> only 'all')."""
    if not versions:
        return True
    parsed = parse_version(version) if version else None
    return parsed is not None and VersionRange.parse(versions).contains(parsed)


# -- what is deployed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployed:
    """One engine, module or distribution found under the scanned paths."""

    engine: str
    name: str
    kind: str
    version: str | None
    license: str | None
    verdict: str
    location: str | None


@dataclass(frozen=True)
class LoadedModule:
    """A module the deployment loads, the capability it provides, and where it was seen."""

    module: str
    version: str | None
    capability: str | None
    where: str
    how: str


@dataclass(frozen=True)
class Directive:
    """A redis.conf directive whose meaning can change with the engine."""

    directive: str
    value: str
    where: str


# -- per candidate ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleFit:
    """What a candidate offers for one loaded module."""

    module: str
    capability: str | None
    status: str
    portable: bool
    provider: str | None
    license: str | None
    coverage: str | None
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ConfigFit:
    """What a candidate does with one directive (or with redis.conf files as such)."""

    directive: str
    value: str | None
    where: str | None
    status: str
    note: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class MigrationStep:
    """How data moves from one deployed release to the candidate."""

    source: str
    method: str
    note: str
    evidence: tuple[str, ...]


@dataclass
class CandidateAudit:
    """The audit seen from one candidate."""

    option: str
    label: str
    modules: list[ModuleFit] = field(default_factory=list)
    config: list[ConfigFit] = field(default_factory=list)
    migration: list[MigrationStep] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)


@dataclass
class Audit:
    """The migration audit: the deployment, then each candidate's view of it."""

    paths: list[str]
    files: int
    parsed: int
    deployed: list[Deployed]
    modules: list[LoadedModule]
    directives: list[Directive]
    candidates: list[CandidateAudit]
    cache_warmup: str | None


def _kind(engine_id: str) -> str:
    engine = catalog().get(engine_id)
    return engine.kind if engine else "unknown"


def _capability_of(module: str) -> str | None:
    for cap in migration_facts()["capabilities"]:
        if module in cap["modules"]:
            return str(cap["id"])
    return None


def _where(location: Location | None) -> str:
    return str(location) if location else "-"


def _deployed(findings: Sequence[Finding]) -> list[Deployed]:
    out = []
    for f in findings:
        engine = catalog().get(f.engine)
        kind = _kind(f.engine)
        if kind == "unknown" and f.location and _is_conf(f.location):
            kind = "module (not catalogued)"
        out.append(
            Deployed(
                f.engine,
                engine.name if engine else f.engine,
                kind,
                f.version,
                f.license,
                str(f.verdict),
                _where(f.location),
            )
        )
    return out


def _modules_from_findings(findings: Sequence[Finding]) -> Iterator[LoadedModule]:
    caps = migration_facts()["capabilities"]
    for f in findings:
        kind = _kind(f.engine)
        where = _where(f.location)
        if kind == "module" or (kind == "unknown" and f.location and _is_conf(f.location)):
            yield LoadedModule(f.engine, f.version, _capability_of(f.engine), where, "loadmodule")
        elif kind == "distribution":
            for cap in caps:
                if f.engine in cap.get("distributions", []):
                    for module in cap["modules"]:
                        yield LoadedModule(module, None, cap["id"], where, f"in {f.engine}")


def _is_conf(location: Location) -> bool:
    return REDIS_CONF.may_claim(Path(location.path).name.lower())


@dataclass(frozen=True)
class _Text:
    """A file read again for settings and module arguments, as the scan displayed it."""

    display: str
    conf: bool
    lines: list[str]


def _texts(paths: Sequence[str], scanned: set[str]) -> Iterator[_Text]:
    """redis.conf files, and the manifests the scan parsed, walked by the walk's rules.

    The same walk as ``check`` (default excludes, symlinks only inside the folder
    named), so the audit reads nothing the scan would not have read.
    """
    for p in paths:
        root = Path(p)
        files = [(p, p)] if root.is_file() else iter_files(root, p, ())
        for real, display in files:
            conf = _is_conf(Location(display))
            if not conf and display not in scanned:
                continue
            try:
                if Path(real).stat().st_size > MAX_FILE_BYTES:
                    continue  # the scan reports it as too large
                text = Path(real).read_text("utf-8", errors="replace")
            except OSError:
                continue  # the scan reports what it cannot read
            yield _Text(display, conf, text.splitlines())


def _conf_directives(texts: Sequence[_Text]) -> Iterator[Directive]:
    """Tracked directives in redis.conf files (``appendfsync everysec``)."""
    known = {d["directive"] for d in migration_facts()["config"]}
    for t in texts:
        if not t.conf:
            continue
        for number, line in enumerate(t.lines, 1):
            words = line.split(None, 1)
            if len(words) == 2 and words[0].lower() in known:
                value = words[1].strip()[:200]
                yield Directive(words[0].lower(), value, f"{t.display}:{number}")


def _arg_directives(texts: Sequence[_Text]) -> Iterator[Directive]:
    """``--appendfsync everysec`` and the like in server arguments (command, REDIS_ARGS)."""
    known = {d["directive"] for d in migration_facts()["config"]}
    for t in texts:
        if t.conf:
            continue
        for number, line in enumerate(t.lines, 1):
            if "--" not in line:
                continue
            for m in _ARG_DIRECTIVE.finditer(line):
                if m.group("name") in known:
                    value = m.group("value")[:200]
                    yield Directive(m.group("name"), value, f"{t.display}:{number}")


def _loadmodule_args(texts: Sequence[_Text]) -> Iterator[LoadedModule]:
    """``--loadmodule PATH`` in manifests (container args, compose commands, scripts)."""
    for t in texts:
        if t.conf:
            continue
        for number, line in enumerate(t.lines, 1):
            for m in _LOADMODULE_ARG.finditer(line):
                component = component_for_module(m.group("path"), Location(t.display, number))
                module = component.engine
                known = module in MODULES.values()
                yield LoadedModule(
                    module if known else module_identity(m.group("path"))[0],
                    component.version,
                    _capability_of(module) if known else None,
                    f"{t.display}:{number}",
                    "--loadmodule",
                )


# -- the candidate's view --------------------------------------------------------------------------


def _module_fit(m: LoadedModule, engine: str, version: str | None) -> ModuleFit:
    cap = next((c for c in migration_facts()["capabilities"] if c["id"] == m.capability), None)
    if cap is None:
        return ModuleFit(
            m.module,
            None,
            "unknown",
            False,
            None,
            None,
            f"{m.module} is not a catalogued module: whether {engine} offers what it does "
            "is a question for the team.",
            (),
        )
    offer = next(
        (
            o
            for o in cap["offers"]
            if o["engine"] == engine and _applies(o.get("versions"), version)
        ),
        None,
    )
    if offer is None:
        return ModuleFit(
            m.module,
            cap["id"],
            "unknown",
            False,
            None,
            None,
            f"No recorded fact on {cap['name']} for this {engine} release: a question for "
            "the team.",
            (),
        )
    return ModuleFit(
        m.module,
        cap["id"],
        offer["status"],
        offer["status"] in PORTABLE,
        offer["provider"],
        offer["license"],
        offer.get("coverage"),
        tuple(_cite(e) for e in offer["evidence"]),
    )


def _config_fits(directives: Sequence[Directive], engine: str) -> list[ConfigFit]:
    facts = migration_facts()
    out: list[ConfigFit] = []
    if directives:
        files = next((c for c in facts["config_files"] if c["engine"] == engine), None)
        if files is not None and files["status"] != "same":
            out.append(
                ConfigFit(
                    "redis.conf",
                    None,
                    None,
                    files["status"],
                    files["note"],
                    tuple(_cite(e) for e in files["evidence"]),
                )
            )
    for d in directives:
        entry = next(c for c in facts["config"] if c["directive"] == d.directive)
        offer = next((o for o in entry["offers"] if o["engine"] == engine), None)
        if offer is None:
            out.append(
                ConfigFit(
                    d.directive,
                    d.value,
                    d.where,
                    "unknown",
                    f"No recorded fact for {engine}: a question for the team.",
                    (),
                )
            )
            continue
        out.append(
            ConfigFit(
                d.directive,
                d.value,
                d.where,
                offer["status"],
                offer["note"],
                tuple(_cite(e) for e in offer["evidence"]),
            )
        )
    return out


def _migration(deployed: Sequence[Deployed], engine: str) -> list[MigrationStep]:
    out: list[MigrationStep] = []
    candidate = catalog().get(engine)
    protocol = candidate.protocol if candidate else None
    servers = [
        d
        for d in deployed
        if d.kind in ("server", "distribution") and _protocol(d.engine) == protocol
    ]
    for d in servers:
        source = f"{d.name} {d.version or '(version unknown)'} at {d.location}"
        if d.engine == engine:
            out.append(
                MigrationStep(
                    source,
                    "upgrade",
                    "Same engine: an upgrade in place or by replica-and-promote.",
                    (),
                )
            )
            continue
        server_version = d.version if d.engine in ("redis", "redis-stack") else None
        step = next(
            (
                m
                for m in migration_facts()["migration"]
                if m["engine"] == engine
                and d.engine in ("redis", "redis-stack")
                and _applies(m.get("from_versions"), server_version)
            ),
            None,
        )
        if step is None:
            out.append(
                MigrationStep(
                    source,
                    "question",
                    f"No recorded path from {d.name} "
                    f"{d.version or ''} to {engine}: a question for the team.",
                    (),
                )
            )
            continue
        out.append(
            MigrationStep(
                source, step["method"], step["note"], tuple(_cite(e) for e in step["evidence"])
            )
        )
    return out


def _protocol(engine_id: str) -> str | None:
    engine = catalog().get(engine_id)
    return engine.protocol if engine else None


def _candidate(
    o: OptionResult,
    modules: Sequence[LoadedModule],
    directives: Sequence[Directive],
    deployed: Sequence[Deployed],
) -> CandidateAudit:
    engine, version = o.engine.id, o.finding.version
    audit = CandidateAudit(o.id, o.label)
    audit.modules = [_module_fit(m, engine, version) for m in modules]
    audit.config = _config_fits(directives, engine)
    audit.migration = _migration(deployed, engine)
    for m, fit in zip(modules, audit.modules, strict=True):
        if fit.status == "unknown":
            audit.questions.append(f"{m.module} ({m.where}): {fit.coverage}")
        elif not fit.portable:
            audit.questions.append(
                f"{m.module} ({m.where}) is not portable to {o.label} as is ({fit.status}): "
                "check each command you use against what it offers."
            )
    audit.questions += [
        f"{c.directive} ({c.where or 'config files'}): {c.note}"
        for c in audit.config
        if c.status == "unknown" or "question for the team" in c.note
    ]
    audit.questions += [f"{s.source}: {s.note}" for s in audit.migration if s.method == "question"]
    return audit


def build_audit(
    paths: Sequence[str], options: Sequence[OptionResult], policy: Policy, as_of: dt.date
) -> Audit:
    """Scan ``paths`` like ``check`` and read each candidate's fit from the facts."""
    from policycheck.core import check

    for p in paths:
        if not Path(p).exists():
            raise InputError("--from: no such file or folder", p, hint="pass what to audit")
    report = check(list(paths), policy, as_of)
    if report.errors:
        raise report.errors[0]
    findings = sorted(report.findings, key=lambda f: f.sort_key())
    deployed = _deployed(findings)
    modules = list(_modules_from_findings(findings))
    texts = list(_texts(paths, set(report.files)))
    modules += _loadmodule_args(texts)
    directives = [*_conf_directives(texts), *_arg_directives(texts)]
    return Audit(
        list(paths),
        report.scan.files if report.scan else 0,
        report.scan.parsed if report.scan else 0,
        deployed,
        modules,
        directives,
        [_candidate(o, modules, directives, deployed) for o in options],
        migration_facts().get("cache_warmup"),
    )
