"""Policies: an organization's uses and the rules that turn license facts into verdicts.

A policy is YAML validated against ``schemas/policy.schema.json``. Beyond the schema we
check what only the knowledge can tell: license ids, engines and version ranges must
exist, so a typo never turns into a rule that silently matches nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from policycheck.catalog import catalog
from policycheck.data import data_dir, schema_errors, schema_errors_once
from policycheck.errors import InputError
from policycheck.knowledge import Use, knowledge
from policycheck.registries import TAG_READINGS, DeclaredImage, Mirror, Registries
from policycheck.suggest import did_you_mean
from policycheck.versions import VersionRange
from policycheck.yamlload import Located, load_text, read_text


class Verdict(IntEnum):
    """Ordered by severity, so ``max`` is the worst and ``min`` the best."""

    ALLOW = 0
    REVIEW = 1
    DENY = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Verdict:
        """From the lower-case name used in YAML and JSON."""
        return cls[text.upper()]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Condition:
    """The ``when`` of a rule; ``None`` fields are not tested."""

    licenses: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    osi_approved: bool | None = None
    fsf_libre: bool | None = None
    triggers: str | None = None
    uses: frozenset[Use] | None = None
    judgement_call: bool | None = None
    engines: frozenset[str] | None = None
    versions: VersionRange | None = None
    governance_models: frozenset[str] | None = None
    contributor_terms: frozenset[str] | None = None
    pinned: bool | None = None
    provider_managed: bool | None = None
    verified_at_tags: bool | None = None
    contexts: frozenset[str] | None = None

    @property
    def mentions_provider(self) -> bool:
        """Rules that say nothing about provider management do not apply to managed offerings."""
        return self.provider_managed is not None


@dataclass(frozen=True)
class Rule:
    """A policy rule: when the condition holds, the verdict applies for the rationale."""

    id: str
    when: Condition
    verdict: Verdict
    rationale: str
    line: int | None = None


@dataclass(frozen=True)
class Election:
    """A recorded choice of one side of an OR for some releases of an engine."""

    engine: str
    versions: VersionRange | None
    license: str
    approved_by: str
    approved_on: str | None
    reason: str
    line: int | None = None


@dataclass(frozen=True)
class Waiver:
    """A time-limited, approved exception that changes a finding's verdict."""

    id: str
    engine: str
    versions: VersionRange | None
    path: str | None
    rule: str | None
    verdict: Verdict
    reason: str
    approved_by: str
    approved_on: str
    expires: str
    line: int | None = None


@dataclass(frozen=True)
class Policy:
    """A loaded, checked policy."""

    name: str
    description: str
    uses: tuple[Use, ...]
    rules: tuple[Rule, ...]
    default_verdict: Verdict
    default_rationale: str
    sha256: str
    source: str
    elections: tuple[Election, ...] = field(default=())
    waivers: tuple[Waiver, ...] = field(default=())
    registries: Registries = field(default=Registries())

    def with_uses(self, uses: tuple[Use, ...]) -> Policy:
        """The same policy evaluated for other declared uses (``--use``)."""
        return Policy(
            self.name,
            self.description,
            uses,
            self.rules,
            self.default_verdict,
            self.default_rationale,
            self.sha256,
            self.source,
            self.elections,
            self.waivers,
            self.registries,
        )


BUNDLED_HINT = "use a bundled policy name ({names}) or a path to a policy YAML file"


def bundled_names() -> list[str]:
    """Names of the policies that ship with policycheck."""
    return sorted(p.stem for p in data_dir("policies").glob("*.yaml"))


def resolve_policy_path(name_or_path: str) -> Path:
    """A bundled policy name or a file path, as given to ``--policy``."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists() or "/" in name_or_path:
        if not candidate.is_file():
            raise InputError(
                "policy file not found",
                name_or_path,
                hint=BUNDLED_HINT.format(names=", ".join(bundled_names())),
            )
        return candidate
    bundled = data_dir("policies") / f"{name_or_path}.yaml"
    if not bundled.is_file():
        from policycheck.suggest import did_you_mean

        raise InputError(
            f"unknown policy {name_or_path!r}{did_you_mean(name_or_path, bundled_names())}",
            hint=BUNDLED_HINT.format(names=", ".join(bundled_names())),
        )
    return bundled


def declares_registries(name_or_path: str) -> bool:
    """Whether the policy may declare ``registries`` (its text names them), cheaply.

    The scan needs a policy's registries before it starts, so such a policy is loaded
    first; any other is loaded while the scan runs. A false yes only costs that.
    """
    path = resolve_policy_path(name_or_path)
    try:
        return b"registries" in path.read_bytes()
    except OSError:
        return False  # load_policy reports the unreadable file


def load_policy(name_or_path: str) -> Policy:
    """Load and check a policy; raises the first InputError found."""
    errors = check_policy(name_or_path)
    if isinstance(errors, Policy):
        return errors
    raise errors[0]


def check_policy(name_or_path: str) -> Policy | list[InputError]:
    """Load a policy, or return every error found in it (for ``validate``)."""
    path = resolve_policy_path(name_or_path)
    display = name_or_path if Path(name_or_path).is_file() else f"{path.name} (bundled)"
    text = read_text(path, display)
    try:
        doc = load_text(text, display)
    except InputError as exc:
        return [exc]
    if not isinstance(doc.value, dict):
        return [
            InputError(
                "a policy must be a YAML mapping",
                display,
                1,
                "run 'policycheck init' for a starter policy",
            )
        ]
    errors = schema_errors_once(doc, "policy", text.encode("utf-8"))
    builder = _Builder(doc)
    if errors:
        # Schema errors must not hide the independent ones: unknown ids, bad dates,
        # duplicates, elections of licenses not offered, in every part still readable.
        builder.lint(path)
        return _unique(errors + builder.errors)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    policy = builder.build(sha, path)
    return builder.errors or policy


def _unique(errors: list[InputError]) -> list[InputError]:
    """Each error once (a check the schema and the builder both make), in line order."""
    seen: set[tuple[int | None, str]] = set()
    out = []
    for e in sorted(errors, key=lambda e: e.line or 0):
        if (e.line, e.message) not in seen:
            seen.add((e.line, e.message))
            out.append(e)
    return out


#: What a lenient pass skips: a part of the wrong shape, which the schema reported.
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, AssertionError)


class _Builder:
    """Turns a schema-valid document into a Policy, collecting semantic errors with lines."""

    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.errors: list[InputError] = []

    def error(self, path: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        self.errors.append(InputError(message, self.doc.source, self.doc.line_of(path), hint))

    def license_id(self, path: tuple[str | int, ...], key: str) -> str:
        cid = knowledge().canonical_id(key)
        if cid is None:
            listed = knowledge().listed(key)  # an SPDX id without an effects record
            if listed is not None:
                return listed.id
            maybe = did_you_mean(key, knowledge().licenses)
            self.error(
                path,
                f"unknown license id {key!r}{maybe}",
                "use an SPDX License List id; run 'policycheck licenses' for those with effects records",
            )
            return key
        return cid

    def engine_id(self, path: tuple[str | int, ...], key: str) -> str:
        engine = catalog().get(key)
        if engine is None:
            known = ", ".join(sorted(catalog().engines))
            maybe = did_you_mean(key, catalog().engines)
            self.error(path, f"unknown engine {key!r}{maybe}", f"known engines: {known}")
            return key
        return engine.id

    def version_range(self, path: tuple[str | int, ...], text: str | None) -> VersionRange | None:
        if text is None:
            return None
        try:
            return VersionRange.parse(text)
        except ValueError as exc:
            self.error(path, f"bad version range {text!r}: {exc}", "write e.g. '>=7.4.0,<8.0.0'")
            return None

    def date(self, path: tuple[str | int, ...], text: str) -> str:
        from policycheck.dates import parse_day

        try:
            parse_day(text)
        except ValueError as exc:
            why = str(exc).removeprefix(f"{text}: ")
            self.error(
                path, f"{text!r} is not a real date ({why})", "write an existing day as YYYY-MM-DD"
            )
        return text

    def lint(self, path: Path) -> None:
        """The checks of ``build`` on a document that broke the schema: each rule,
        election, waiver and registry entry on its own, skipping those of the wrong shape."""
        d = self.doc.value
        if not isinstance(d, dict):
            return
        rules = d.get("rules")
        seen: set[str] = set()
        for i, r in enumerate(rules if isinstance(rules, list) else []):
            with contextlib.suppress(*_SHAPE_ERRORS):
                self.rule_id(i, r["id"], seen)
            with contextlib.suppress(*_SHAPE_ERRORS):
                self.condition(("rules", i, "when"), r["when"])
        elections = d.get("elections")
        for i, e in enumerate(elections if isinstance(elections, list) else []):
            with contextlib.suppress(*_SHAPE_ERRORS):
                self.elections([{}] * i + [e])
        waivers = d.get("waivers")
        seen_waivers: set[str] = set()
        for i, w in enumerate(waivers if isinstance(waivers, list) else []):
            with contextlib.suppress(*_SHAPE_ERRORS):
                self.waiver(i, w, seen_waivers)
        with contextlib.suppress(*_SHAPE_ERRORS):
            self.waivers_file(d, path)
        with contextlib.suppress(*_SHAPE_ERRORS):
            self.registries(d.get("registries"))

    def rule_id(self, i: int, rule_id: str, seen: set[str]) -> None:
        """A duplicate rule id is an error: waivers and reports name rules by id."""
        if rule_id in seen:
            self.error(
                ("rules", i, "id"), f"duplicate rule id {rule_id!r}", "rule ids must be unique"
            )
        seen.add(rule_id)

    def condition(self, base: tuple[str | int, ...], w: dict[str, Any]) -> Condition:
        def strs(key: str) -> list[str]:
            return [str(x) for x in _as_list(w.get(key))]

        licenses = None
        if "license" in w:
            licenses = frozenset(self.license_id((*base, "license"), k) for k in strs("license"))
        engines = None
        if "engine" in w:
            engines = frozenset(self.engine_id((*base, "engine"), e) for e in strs("engine"))
        if "versions" in w and "engine" not in w:
            self.error(
                (*base, "versions"),
                "'versions' needs 'engine' in the same condition",
                "add engine: <name> next to versions",
            )
        if "uses" in w and "triggers" not in w:
            self.error(
                (*base, "uses"), "'uses' only narrows 'triggers'", "add triggers: restriction"
            )
        return Condition(
            licenses=licenses,
            categories=frozenset(strs("category")) if "category" in w else None,
            osi_approved=w.get("osi_approved"),
            fsf_libre=w.get("fsf_libre"),
            triggers=w.get("triggers"),
            uses=frozenset(Use(u) for u in w["uses"]) if "uses" in w else None,
            judgement_call=w.get("judgement_call"),
            engines=engines,
            versions=self.version_range((*base, "versions"), w.get("versions")),
            governance_models=frozenset(strs("governance_model"))
            if "governance_model" in w
            else None,
            contributor_terms=frozenset(strs("contributor_terms"))
            if "contributor_terms" in w
            else None,
            pinned=w.get("pinned"),
            provider_managed=w.get("provider_managed"),
            verified_at_tags=w.get("verified_at_tags"),
            contexts=frozenset(strs("context")) if "context" in w else None,
        )

    def build(self, sha: str, path: Path) -> Policy:
        d = self.doc.value
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, r in enumerate(d["rules"]):
            self.rule_id(i, r["id"], seen)
            rules.append(
                Rule(
                    r["id"],
                    self.condition(("rules", i, "when"), r["when"]),
                    Verdict.parse(r["verdict"]),
                    r["rationale"],
                    self.doc.line_of(("rules", i)),
                )
            )
        default = d.get("default") or {
            "verdict": "review",
            "rationale": "No rule of the policy covers this; a person must decide.",
        }
        return Policy(
            name=d["name"],
            description=d.get("description", ""),
            uses=tuple(Use(u) for u in d["uses"]),
            rules=tuple(rules),
            default_verdict=Verdict.parse(default["verdict"]),
            default_rationale=default["rationale"],
            sha256=sha,
            source=str(path),
            elections=tuple(self.elections(d.get("elections", []))),
            waivers=tuple(self.waivers(d.get("waivers", []), path) + self.waivers_file(d, path)),
            registries=self.registries(d.get("registries")),
        )

    def registries(self, d: dict[str, Any] | None) -> Registries:
        """The declared mirrors and in-house images; engines are checked like rules'."""
        if not d:
            return Registries()
        mirrors = tuple(
            Mirror(
                self.registry_path(("registries", "mirrors", i, "prefix"), m["prefix"]),
                self.registry_path(("registries", "mirrors", i, "of"), m["of"]),
                self.doc.line_of(("registries", "mirrors", i)),
            )
            for i, m in enumerate(d.get("mirrors", []))
        )
        images = tuple(
            self.declared_image(str(name), value) for name, value in (d.get("images") or {}).items()
        )
        return Registries(mirrors, images, self.doc.source)

    def registry_path(self, path: tuple[str | int, ...], text: str) -> str:
        """``host[/path]`` of a mirror, lower-cased, Docker Hub's hosts as docker.io."""
        host, _, rest = text.strip().strip("/").lower().partition("/")
        if not ("." in host or ":" in host or host == "localhost"):
            self.error(
                path,
                f"{text!r} does not start with a registry host",
                "write the registry as in an image reference, e.g. "
                "artifactory.corp.example/dockerhub or docker.io",
            )
        if host in ("index.docker.io", "registry-1.docker.io"):
            host = "docker.io"
        return f"{host}/{rest}" if rest else host

    def declared_image(self, name: str, value: str | dict[str, Any]) -> DeclaredImage:
        from policycheck.images import parse_image

        base: tuple[str | int, ...] = ("registries", "images", name)
        spec = {"engine": value} if isinstance(value, str) else value
        where = (*base, "engine") if isinstance(value, dict) else base
        ref = parse_image(name)
        if ref is None or ref.tag is not None or ref.digest is not None:
            self.error(
                base,
                f"{name!r} is not an image repository",
                "write [registry/]repository without tag or digest, e.g. corp/redis-hardened",
            )
        engine: str | None = None
        if str(spec["engine"]).strip().lower() != "none":
            engine = self.engine_id(where, str(spec["engine"]))
        elif "tag" in spec:
            self.error(
                (*base, "tag"),
                "an image that runs no engine has no tag to read",
                "remove tag, or name the engine the image runs",
            )
        tag = spec.get("tag", "image")
        assert tag in TAG_READINGS  # the schema allows nothing else
        return DeclaredImage(name.lower(), engine, tag, spec.get("note"), self.doc.line_of(base))

    def waivers_file(self, d: dict[str, Any], policy_path: Path) -> list[Waiver]:
        """Waivers kept in a separate file named by ``waivers_file`` (relative to the policy)."""
        name = d.get("waivers_file")
        if name is None:
            return []
        path = policy_path.parent / name
        if not path.is_file():
            self.error(
                ("waivers_file",),
                f"waivers file {name!r} not found",
                "the path is relative to the policy file",
            )
            return []
        try:
            doc = load_text(read_text(path, str(path)), str(path))
        except InputError as exc:
            self.errors.append(exc)
            return []
        errors = schema_errors(doc, "waivers")
        if errors:
            self.errors.extend(errors)
            return []
        sub = _Builder(doc)
        items = sub.waivers(doc.value["waivers"], path)
        self.errors.extend(sub.errors)
        return items

    def elections(self, items: list[dict[str, Any]]) -> list[Election]:
        out = []
        for i, e in enumerate(items):
            if not e:
                continue  # a placeholder from lint, which checks one election at a time
            base = ("elections", i)
            self.check_election_offered(base, e)
            out.append(
                Election(
                    engine=self.engine_id((*base, "engine"), e["engine"]),
                    versions=self.version_range((*base, "versions"), e.get("versions")),
                    license=self.license_id((*base, "license"), e["license"]),
                    approved_by=e["approved_by"],
                    approved_on=self.date((*base, "approved_on"), e["approved_on"])
                    if "approved_on" in e
                    else None,
                    reason=e["reason"],
                    line=self.doc.line_of(base),
                )
            )
        return out

    def check_election_offered(self, base: tuple[str | int, ...], e: dict[str, Any]) -> None:
        """An election must name a license that some release in its range offers in an OR."""
        from policycheck.expression import AnyOf, parse

        engine = catalog().get(e["engine"])
        lic = knowledge().canonical_id(e["license"])
        if engine is None or lic is None:
            return  # reported by engine_id / license_id
        try:
            scope = VersionRange.parse(e["versions"]) if "versions" in e else None
        except ValueError:
            return  # reported by version_range
        offered: set[str] = set()
        for r in engine.ranges:
            releases = [
                rel.version for rel, _ in engine.releases if r.versions.contains(rel.version)
            ]
            if scope is not None and not any(scope.contains(v) for v in releases):
                continue
            tree = parse(r.license)
            if isinstance(tree, AnyOf):
                offered.update(str(o) for o in tree.options)
        if lic not in offered:
            where = f"{engine.id} {e.get('versions', '(all versions)')}"
            choices = (
                ", ".join(sorted(offered)) or "none: no release in that range is multi-licensed"
            )
            self.error(
                (*base, "license"),
                f"election of {lic} for {where}: no catalogued release there offers it as a choice",
                f"elect one of: {choices}",
            )

    def waivers(self, items: list[dict[str, Any]], path: Path) -> list[Waiver]:
        seen: set[str] = set()
        return [self.waiver(i, w, seen) for i, w in enumerate(items)]

    def waiver(self, i: int, w: dict[str, Any], seen: set[str]) -> Waiver:
        """One waiver: unique id, known engine, real dates, expiring after approval."""
        base = ("waivers", i)
        if w.get("id") in seen:
            self.error(
                (*base, "id"), f"duplicate waiver id {w['id']!r}", "waiver ids must be unique"
            )
        seen.add(str(w.get("id")))
        approved = self.date((*base, "approved_on"), w["approved_on"])
        expires = self.date((*base, "expires"), w["expires"])
        if _ordered_days(expires, approved):
            self.error(
                (*base, "expires"),
                f"waiver {w['id']!r} expires on {expires}, before it was approved on {approved}",
                "check both dates; a waiver runs from approved_on to expires",
            )
        return Waiver(
            id=w["id"],
            engine=self.engine_id((*base, "engine"), w["engine"]),
            versions=self.version_range((*base, "versions"), w.get("versions")),
            path=w.get("path"),
            rule=w.get("rule"),
            verdict=Verdict.parse(w["verdict"]),
            reason=w["reason"],
            approved_by=w["approved_by"],
            approved_on=approved,
            expires=expires,
            line=self.doc.line_of(base),
        )


def _ordered_days(earlier: str, later: str) -> bool:
    """True when both are real dates and ``earlier`` is strictly before ``later``."""
    from policycheck.dates import parse_day

    try:
        return parse_day(earlier) < parse_day(later)
    except ValueError:
        return False
