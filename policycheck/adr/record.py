"""The record itself: candidates evaluated under the policy, scored with the matrix, with
their license timelines, consequences, the decision path, claims checked, and the
migration audit when asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from policycheck.adr import path as adr_path
from policycheck.adr.matrix import LICENSING_DRIVER, Driver, Matrix, MatrixOption, load_matrix
from policycheck.adr.scoring import (
    GOOD_SCORE,
    Sensitivity,
    derive_licensing_score,
    rank,
    sensitivity,
    weighted_total,
)
from policycheck.catalog import Engine, LicenseRange, catalog
from policycheck.core import parse_engine_target
from policycheck.errors import InputError
from policycheck.evaluate import USE_WORDS, Evaluator
from policycheck.knowledge import Use
from policycheck.model import Effect, Finding
from policycheck.policy import Policy, Verdict
from policycheck.versions import parse_version

if TYPE_CHECKING:
    from policycheck.adr.audit import Audit

GOVERNANCE_RISK = {
    "foundation": "a foundation holds the project, so a license change for future releases "
    "goes through its governance rather than one company's decision",
    "community": "a community without a controlling company maintains it; continuity depends "
    "on its maintainers",
    "single-vendor": "one company controls the project and can change the license of future "
    "releases on its own",
}


@dataclass(frozen=True)
class TimelineRange:
    """One license era of an engine, as the catalog records it."""

    versions: str
    license: str
    evidence: str | None
    converts: str | None
    verified: bool
    current: bool


@dataclass(frozen=True)
class TimelineEvent:
    """A dated governance or license event from the catalog."""

    date: str
    event: str
    evidence: str | None


@dataclass(frozen=True)
class Timeline:
    """An engine's license eras and governance history, for the ADR's context."""

    steward: str
    model: str
    ranges: tuple[TimelineRange, ...]
    events: tuple[TimelineEvent, ...]


@dataclass(frozen=True)
class Consequences:
    """What a team accepts and what it gets by choosing an option."""

    accept: tuple[str, ...]
    get: tuple[str, ...]


@dataclass
class OptionResult:
    """One candidate: its finding, its scores (given or derived) and what choosing it means."""

    id: str
    label: str
    candidate: str
    engine: Engine
    finding: Finding
    scores: dict[str, int]
    score_notes: dict[str, str]
    derived: dict[str, str]
    consequences: Consequences
    timeline: Timeline
    matrix_label: str = ""
    """The matrix row that scored it (``Redis 8.x``); ``label`` names the release asked for."""
    scope_note: str | None = None
    """Set when the release is outside the releases the matrix row was written for."""


@dataclass(frozen=True)
class Decision:
    """The recommendation; people complete the record (who, when, status)."""

    recommended: str
    runner_up: str | None
    margin: float | None
    caveat: str | None


@dataclass
class AdrResult:
    """Everything the renderers need; computed once, rendered many ways."""

    as_of: dt.date
    policy: Policy
    matrix: Matrix
    options: list[OptionResult]
    totals: dict[str, float]
    ranking: list[str]
    sensitivity: list[Sensitivity]
    decision: Decision
    path: adr_path.DecisionPath
    """Hard constraints, then the weight questions."""
    omitted: list[str] = field(default_factory=list)
    claims: list[adr_path.ClaimResult] = field(default_factory=list)
    """Each claim of the matrix, checked."""
    claims_skipped: str | None = None
    """Why the matrix's claims were not checked on these candidates."""
    what_if: adr_path.WhatIf | None = None
    """The ranking at the weights of ``--what-if``."""
    audit: Audit | None = None
    """The migration audit of ``--from``."""

    @property
    def drivers(self) -> tuple[Driver, ...]:
        """The matrix's drivers, in order."""
        return self.matrix.drivers

    def option(self, option_id: str) -> OptionResult:
        """The candidate option with this id."""
        return next(o for o in self.options if o.id == option_id)


def parse_candidates(candidates: Sequence[str]) -> list[tuple[str, Engine, str]]:
    """``engine@version`` texts as (text, catalogued engine, version); each engine once."""
    out: list[tuple[str, Engine, str]] = []
    for text in candidates:
        component = parse_engine_target(text)
        if component is None or component.version is None:
            raise InputError(
                f"candidate {text!r} is not ENGINE@VERSION",
                hint="write e.g. valkey@latest or redis@8.2.1",
            )
        engine = catalog().get(component.engine)
        if engine is None:
            raise InputError(
                f"candidate {text!r}: unknown engine {component.engine!r}",
                hint=f"known engines: {', '.join(sorted(catalog().engines))}",
            )
        if any(e.id == engine.id for _, e, _ in out):
            raise InputError(
                f"engine {engine.id!r} is a candidate twice",
                hint="the matrix scores engines, so give each engine once",
            )
        out.append((text, engine, component.version))
    if not out:
        raise InputError("no candidates", hint="name at least one ENGINE@VERSION")
    return out


def _in_scope(option: MatrixOption, finding: Finding) -> bool:
    """Whether the candidate's release is one the matrix row was written for."""
    if option.versions is None:
        return True
    version = parse_version(finding.version) if finding.version and finding.resolved else None
    return version is not None and option.versions.contains(version)


def _option_scores(
    option: MatrixOption,
    matrix: Matrix,
    finding: Finding,
    engine: Engine,
    per_use: Mapping[str, Verdict] | None = None,
) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """Scores, notes and derivations for one option.

    The licensing score is derived from the finding when the matrix omits it, or when
    the candidate's release is outside the releases the row was written for (a Redis
    8 row says nothing about the license of Redis 7.2.4).
    """
    in_scope = _in_scope(option, finding)
    scores: dict[str, int] = {}
    notes: dict[str, str] = {}
    derived: dict[str, str] = {}
    for drv in matrix.drivers:
        given = option.scores.get(drv.id)
        if given is not None and (in_scope or drv.id != LICENSING_DRIVER):
            scores[drv.id] = given.value
            if given.note:
                notes[drv.id] = given.note
            continue
        computed = derive_licensing_score(finding.verdict, engine.governance.model, per_use)
        scores[drv.id] = computed.score
        derived[drv.id] = computed.explanation
    return scores, notes, derived


def option_label(engine: Engine, finding: Finding, candidate: str) -> str:
    """The release asked for, as people say it: ``Redis 7.2.4``, not the matrix row."""
    if finding.version and finding.resolved:
        return f"{engine.name} {finding.version}"
    return f"{engine.name} ({candidate})"


def _effect_line(kind: str, e: Effect) -> str:
    use = USE_WORDS.get(Use(e.use), e.use)
    clause = f" [{e.clause}]" if e.clause else ""
    return f"{kind} under {e.license} ({use}): {e.rationale}{clause}"


def _alternative_lines(f: Finding, policy: Policy) -> list[str]:
    """What the licenses not elected would ask under the declared uses.

    The election picks one side of an OR; whoever reads the record should still see what
    the other sides say for these uses (Redis 7.4 under managed-service: the RSALv2
    prohibition, and the SSPL condition on offering it as a service).
    """
    from policycheck.knowledge import Effect as UseEffectKind
    from policycheck.knowledge import knowledge

    lines: list[str] = []
    for alt in f.alternatives:
        if alt.elected:
            continue
        record = knowledge().get(alt.license)
        if record is None:
            lines.append(f"Alternative {alt.license} (not elected): no license record.")
            continue
        for use in policy.uses:
            e = record.effects.get(use)
            if e is None or e.effect is UseEffectKind.NONE:
                continue
            words = USE_WORDS.get(use, use.value)
            lines.append(
                f"Alternative {alt.license} (not elected), {e.effect} ({words}): "
                f"{e.rationale} [{e.clause}]"
            )
    return lines


def _license_path(engine: Engine) -> list[str]:
    """The engine's licenses in release order, consecutive repeats merged."""
    path: list[str] = []
    for r in engine.ranges:
        if not path or path[-1] != r.license:
            path.append(r.license)
    return path


def _governance_line(engine: Engine) -> str:
    g = engine.governance
    risk = GOVERNANCE_RISK.get(g.model, "its governance model is not classified")
    path = _license_path(engine)
    changes = len(path) - 1
    history = (
        f"its license changed {changes} time(s) across catalogued releases: " + " -> ".join(path)
        if changes
        else f"its license has not changed across catalogued releases ({path[0]})"
    )
    return f"Governance: {g.model} (steward {g.steward}); {risk}; {history}."


def _release_lines(candidate: str, f: Finding, engine: Engine) -> list[str]:
    """Notes on pinning, assumptions and resolution: what the version does not promise."""
    lines: list[str] = []
    if not f.resolved:
        lines.append(f"{candidate} could not be resolved to a catalogued license: {f.rationale[0]}")
        return lines
    if not f.pinned:
        lines.append(
            f"{candidate} is not pinned: it resolves to {f.version} today and can move to a "
            "release under another license; pin an exact version."
        )
    version = parse_version(f.version) if f.version else None
    if version is not None and version > engine.newest_known.version:
        lines.append(
            f"The license of {f.version} is assumed from the latest catalogued range; the "
            f"newest release verified at its tag is {engine.newest_known}."
        )
    if version is not None:
        lines.extend(f"Caveat: {n.note}" for n in engine.notes_for(version))
    return lines


def _verdict_lines(f: Finding, policy: Policy) -> list[str]:
    lines = [
        f"Policy {policy.name} verdict: {f.verdict}"
        + (f" (rules: {', '.join(f.rules)})" if f.rules else "")
        + "."
    ]
    for rule in policy.rules:
        if rule.id in f.rules and rule.verdict > Verdict.ALLOW:
            lines.append(f"Rule {rule.id} ({rule.verdict}): {rule.rationale}")
    return lines


def _license_lines(f: Finding) -> list[str]:
    if f.license is None:
        return []
    text = f"License {f.license}"
    if f.elected:
        text += f"; the policy evaluation elects {f.elected}"
    if f.effective_license and f.effective_license != f.license and not f.elected:
        text += f"; effective as of the ADR date: {f.effective_license}"
    lines = [text + "."]
    if f.converts:
        lines.append(
            f"BUSL-1.1 terms apply until {f.converts['date']}; then the release converts "
            f"to {f.converts['to']}."
        )
    return lines


def consequences(
    candidate: str,
    f: Finding,
    engine: Engine,
    policy: Policy,
    drivers: Sequence[Driver],
    scores: Mapping[str, int],
    notes: Mapping[str, str],
    derived: Mapping[str, str],
) -> Consequences:
    """What choosing this option commits you to, and what the matrix says you gain."""
    accept = [
        *_verdict_lines(f, policy),
        *_license_lines(f),
        *(_effect_line("Obligation", e) for e in f.obligations),
        *(_effect_line("Restriction", e) for e in f.restrictions),
        *_alternative_lines(f, policy),
        _governance_line(engine),
        *_release_lines(candidate, f, engine),
    ]
    get = []
    for drv in drivers:
        if scores[drv.id] >= GOOD_SCORE:
            reason = notes.get(drv.id) or derived.get(drv.id)
            get.append(f"{drv.name} ({scores[drv.id]}/5)" + (f": {reason}" if reason else ""))
    return Consequences(tuple(accept), tuple(get))


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")


def timeline(engine: Engine, f: Finding) -> Timeline:
    """The catalog's license eras and governance history of ``engine``."""
    version = parse_version(f.version) if f.version and f.resolved else None
    holding: LicenseRange | None = engine.range_for(version) if version else None
    ranges = []
    for r in engine.ranges:
        converts = None
        if r.busl is not None:
            converts = (
                f"converts to {r.busl.change_license} on the earlier of {r.busl.change_date_label} "
                f"and each release's {_ordinal(r.busl.anniversary_years)} anniversary"
            )
        ranges.append(
            TimelineRange(
                str(r.versions),
                r.license,
                r.evidence[0].cite() if r.evidence else None,
                converts,
                r.verified_at_tags,
                r is holding,
            )
        )
    events = tuple(
        TimelineEvent(d, ev, e.cite() if e else None) for d, ev, e in engine.governance.history
    )
    g = engine.governance
    return Timeline(g.steward, g.model, tuple(ranges), events)


def _decision(
    options: Sequence[OptionResult], totals: Mapping[str, float], ranking: list[str], policy: Policy
) -> Decision:
    best = ranking[0]
    runner = ranking[1] if len(ranking) > 1 else None
    margin = totals[best] - totals[runner] if runner else None
    by_id = {o.id: o for o in options}
    chosen = by_id[best]
    caveat = None
    if chosen.finding.verdict is Verdict.DENY:
        fallback = next((o for o in ranking if by_id[o].finding.verdict is not Verdict.DENY), None)
        caveat = (
            f"{chosen.label} is denied by policy {policy.name} for the declared uses; adopting "
            "it needs a waiver or a commercial license."
            + (
                f" The best-ranked option the policy does not deny is {fallback}."
                if fallback
                else ""
            )
        )
    elif chosen.finding.verdict is Verdict.REVIEW:
        why = [
            r.id for r in policy.rules if r.id in chosen.finding.rules and r.verdict > Verdict.ALLOW
        ]
        caveat = (
            f"{chosen.label} needs review under policy {policy.name} "
            f"({', '.join(why) or 'no rule matched; the default applies'}); record the "
            "sign-off before adopting it."
        )
    return Decision(best, runner, margin, caveat)


def _constraint(o: OptionResult, policy: Policy) -> adr_path.Constraint:
    f = o.finding
    rules = tuple(
        (r.id, r.rationale) for r in policy.rules if r.id in f.rules and r.verdict > Verdict.ALLOW
    )
    return adr_path.Constraint(
        o.id, str(f.verdict), rules, tuple(f.confirm), f.verdict is Verdict.DENY
    )


def _per_use_verdicts(policy: Policy, as_of: dt.date, text: str) -> dict[str, Verdict]:
    """The verdict under each declared use alone, for the derived licensing score."""
    component = parse_engine_target(text)
    assert component is not None  # parsed by parse_candidates
    return {
        u.value: Evaluator(policy.with_uses((u,)), as_of).evaluate(component).verdict
        for u in policy.uses
    }


def build_adr(
    candidates: list[str],
    policy: Policy,
    matrix_path: str | None,
    as_of: dt.date,
    what_if: Sequence[str] = (),
    from_paths: Sequence[str] = (),
) -> AdrResult:
    """Evaluate the candidates, score them with the matrix and assemble the record.

    ``what_if`` (``DRIVER=WEIGHT``) adds a ranking at those weights; ``from_paths``
    scans what is deployed there and adds the migration audit.
    """
    matrix = load_matrix(matrix_path)
    asked = adr_path.parse_what_if(what_if, matrix)
    evaluator = Evaluator(policy, as_of)
    options: list[OptionResult] = []
    for text, engine, version in parse_candidates(candidates):
        option = matrix.option_for(engine.id)
        if option is None:
            raise InputError(
                f"no option in the decision matrix scores engine {engine.id!r} ({text})",
                matrix.source,
                hint=f"add an option with engine: {engine.id}, or drop the candidate",
            )
        target = f"{engine.id}@{version}"
        component = parse_engine_target(target)
        assert component is not None  # parsed above
        finding = evaluator.evaluate(component)
        derives = LICENSING_DRIVER not in option.scores or not _in_scope(option, finding)
        per_use = (
            _per_use_verdicts(policy, as_of, target) if derives and len(policy.uses) > 1 else None
        )
        scores, notes, derived = _option_scores(option, matrix, finding, engine, per_use)
        scope = None
        if not _in_scope(option, finding):
            scope = (
                f"The matrix row {option.label!r} was written for releases {option.versions}; "
                f"{text} resolves to {finding.version or 'no catalogued release'}, so its "
                f"{LICENSING_DRIVER} score is derived from its own finding and the other "
                "scores should be checked for this release."
            )
        options.append(
            OptionResult(
                option.id,
                option_label(engine, finding, text),
                text,
                engine,
                finding,
                scores,
                notes,
                derived,
                consequences(text, finding, engine, policy, matrix.drivers, scores, notes, derived),
                timeline(engine, finding),
                option.label,
                scope,
            )
        )
    weights = matrix.weights
    score_table = {o.id: {d: float(s) for d, s in o.scores.items()} for o in options}
    totals = {oid: weighted_total(weights, s) for oid, s in score_table.items()}
    ranking = rank(totals)
    chosen = {o.id for o in options}
    claims, claims_skipped = [], None
    if matrix.claims:
        claims_skipped = _claims_skipped(matrix, options)
        if claims_skipped is None:
            claims = [adr_path.check_claim(c, weights, score_table) for c in matrix.claims]
    audit = None
    if from_paths:
        from policycheck.adr.audit import build_audit

        audit = build_audit(from_paths, options, policy, as_of)
    return AdrResult(
        as_of=as_of,
        policy=policy,
        matrix=matrix,
        options=options,
        totals=totals,
        ranking=ranking,
        sensitivity=sensitivity(weights, score_table),
        decision=_decision(options, totals, ranking, policy),
        omitted=[o.id for o in matrix.options if o.id not in chosen],
        path=adr_path.decision_path(
            [_constraint(o, policy) for o in options], weights, score_table
        ),
        claims=claims,
        claims_skipped=claims_skipped,
        what_if=adr_path.what_if(weights, score_table, asked) if asked else None,
        audit=audit,
    )


def _claims_skipped(matrix: Matrix, options: Sequence[OptionResult]) -> str | None:
    """Why the matrix's claims cannot be checked on these candidates, or None.

    A claim speaks of the matrix as written: every option, with its own scores. With an
    option missing, or a licensing score derived for a release outside its row, the
    numbers are another matrix's and checking the claim against them would mislead.
    """
    missing = [o.id for o in matrix.options if o.id not in {x.id for x in options}]
    if missing:
        return f"not checked: the claims compare all the matrix's options, and {', '.join(missing)} is not a candidate"
    derived = [o.label for o in options if o.derived]
    if derived:
        return (
            f"not checked: the scores of {', '.join(derived)} are not the matrix's own "
            f"(a derived {LICENSING_DRIVER} score)"
        )
    return None
