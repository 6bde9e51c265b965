"""Pre-adoption architecture decision record: a scored, explained comparison of engines.

A verdict per engine is not enough to choose one: a platform team also has to make its
priorities explicit (weighted decision drivers), see the scored comparison, know how far
a weight must move before the winner changes, and write down what it accepts with each
pick. Scores come from a decision matrix (YAML, ``schemas/matrix.schema.json``); license
facts come from the catalog and the policy evaluation, never from the matrix. The
arithmetic lives in small pure functions so a reviewer can check it by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policycheck.catalog import Engine, LicenseRange, catalog
from policycheck.core import parse_engine_target
from policycheck.data import data_dir, schema_errors
from policycheck.errors import InputError
from policycheck.evaluate import USE_WORDS, Evaluator
from policycheck.knowledge import Use
from policycheck.model import Effect, Finding
from policycheck.policy import Policy, Verdict
from policycheck.versions import parse_version
from policycheck.yamlload import Located, PathKey, load_text, read_text

LICENSING_DRIVER = "licensing-governance"
WEIGHT_TOLERANCE = 1e-9
TIE_DIGITS = 9
"""Totals equal to this many decimal places are a tie (float noise is not a preference)."""
_EPS = 1e-12
MIN_SCORE, MAX_SCORE = 1, 5
GOOD_SCORE = 4
"""Scores at or above this are what an option gives you."""
VERDICT_SCORE = {Verdict.ALLOW: 5, Verdict.REVIEW: 3, Verdict.DENY: 1}
GOVERNANCE_ADJUSTMENT = {"foundation": 0, "community": 0, "single-vendor": -1}
GOVERNANCE_RISK = {
    "foundation": "a foundation holds the project, so a license change for future releases "
    "goes through its governance rather than one company's decision",
    "community": "a community without a controlling company maintains it; continuity depends "
    "on its maintainers",
    "single-vendor": "one company controls the project and can change the license of future "
    "releases on its own",
}
RANKING_RULE = "weighted total, highest first; equal totals (to 9 decimals) by option id"
BUNDLED_MATRIX = Path("adr") / "in-memory-stores.yaml"


# -- the decision matrix ---------------------------------------------------------------


@dataclass(frozen=True)
class Driver:
    """A decision driver and its share of the decision (weights sum to 1)."""

    id: str
    name: str
    weight: float
    description: str | None = None


@dataclass(frozen=True)
class Score:
    """One option's score on one driver, 1 (weakest) to 5, with its reason."""

    value: int
    note: str | None = None


@dataclass(frozen=True)
class MatrixOption:
    """A scored option; candidates are matched to it by catalog engine id."""

    id: str
    label: str
    engine: str
    scores: Mapping[str, Score]


@dataclass(frozen=True)
class Matrix:
    """A checked decision matrix."""

    source: str
    sha256: str
    title: str | None
    drivers: tuple[Driver, ...]
    options: tuple[MatrixOption, ...]

    @property
    def weights(self) -> dict[str, float]:
        """Driver id to weight, in driver order."""
        return {d.id: d.weight for d in self.drivers}

    def option_for(self, engine_id: str) -> MatrixOption | None:
        """The option scoring ``engine_id``, or None."""
        return next((o for o in self.options if o.engine == engine_id), None)


def resolve_matrix_path(path: str | None) -> tuple[Path, str]:
    """The matrix file and the name to show for it; None means the bundled matrix."""
    if path is None:
        bundled = data_dir("policies") / BUNDLED_MATRIX
        return bundled, f"{bundled.name} (bundled)"
    candidate = Path(path)
    if not candidate.is_file():
        raise InputError(
            "decision matrix not found",
            path,
            hint="pass a matrix YAML (see policies/adr/in-memory-stores.yaml) or omit --matrix",
        )
    return candidate, path


def load_matrix(path: str | None) -> Matrix:
    """Load and check a decision matrix; raises the first InputError found."""
    result = check_matrix(path)
    if isinstance(result, Matrix):
        return result
    raise result[0]


def check_matrix(path: str | None) -> Matrix | list[InputError]:
    """Load a decision matrix, or return every error in it, each with file and line."""
    file, display = resolve_matrix_path(path)
    text = read_text(file, display)
    try:
        doc = load_text(text, display)
    except InputError as exc:
        return [exc]
    if not isinstance(doc.value, dict):
        return [InputError("a decision matrix must be a YAML mapping", display, 1)]
    errors = schema_errors(doc, "matrix")
    if errors:
        return errors
    builder = _MatrixBuilder(doc)
    matrix = builder.build(hashlib.sha256(text.encode("utf-8")).hexdigest())
    return builder.errors or matrix


class _MatrixBuilder:
    """Checks what the schema cannot say (sums, cross-references), collecting errors."""

    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.errors: list[InputError] = []

    def error(self, path: PathKey, message: str, hint: str | None = None) -> None:
        self.errors.append(InputError(message, self.doc.source, self.doc.line_of(path), hint))

    def build(self, sha256: str) -> Matrix:
        d = self.doc.value
        drivers = self.drivers(d["drivers"])
        known = [drv.id for drv in drivers]
        options = tuple(
            self.option(oid, o, known) for oid, o in d["options"].items() if isinstance(oid, str)
        )
        self.unique_engines(options)
        return Matrix(self.doc.source, sha256, d.get("title"), drivers, options)

    def drivers(self, items: list[dict[str, Any]]) -> tuple[Driver, ...]:
        out: list[Driver] = []
        for i, item in enumerate(items):
            if any(drv.id == item["id"] for drv in out):
                self.error(("drivers", i, "id"), f"duplicate driver id {item['id']!r}")
            out.append(
                Driver(item["id"], item["name"], float(item["weight"]), item.get("description"))
            )
        total = math.fsum(drv.weight for drv in out)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            terms = " + ".join(f"{drv.weight:g}" for drv in out)
            self.error(
                ("drivers",),
                f"driver weights sum to {total:.10g}, not 1",
                f"the weights are {terms}; adjust them so they add up to exactly 1",
            )
        return tuple(out)

    def option(self, oid: str, o: dict[str, Any], known: list[str]) -> MatrixOption:
        base: PathKey = ("options", oid)
        engine_name = str(o.get("engine", oid))
        engine = catalog().get(engine_name)
        if engine is None:
            self.error(
                (*base, "engine") if "engine" in o else base,
                f"option {oid!r}: unknown engine {engine_name!r}",
                f"set engine: to one of {', '.join(sorted(catalog().engines))}",
            )
        scores = {did: Score(s["score"], s.get("note")) for did, s in o["scores"].items()}
        for did in scores:
            if did not in known:
                self.error(
                    (*base, "scores", did),
                    f"option {oid!r} scores unknown driver {did!r}",
                    f"drivers are: {', '.join(known)}",
                )
        missing = [did for did in known if did not in scores and did != LICENSING_DRIVER]
        if missing:
            self.error(
                (*base, "scores"),
                f"option {oid!r} does not score driver(s) {', '.join(missing)}",
                f"score every driver; only {LICENSING_DRIVER} may be omitted "
                "(it is then derived from the policy verdict)",
            )
        return MatrixOption(oid, o["label"], engine.id if engine else engine_name, scores)

    def unique_engines(self, options: tuple[MatrixOption, ...]) -> None:
        seen: dict[str, str] = {}
        for o in options:
            if o.engine in seen:
                self.error(
                    ("options", o.id),
                    f"options {seen[o.engine]!r} and {o.id!r} both score engine {o.engine!r}",
                    "candidates are matched by engine, so each engine needs exactly one option",
                )
            seen.setdefault(o.engine, o.id)


# -- the arithmetic (pure) ---------------------------------------------------------------


def weighted_total(weights: Mapping[str, float], scores: Mapping[str, float]) -> float:
    """Sum of weight times score over the drivers (fsum: driver order cannot move a digit)."""
    return math.fsum(w * scores[d] for d, w in weights.items())


def rank(totals: Mapping[str, float]) -> list[str]:
    """Option ids best first; see RANKING_RULE for ties."""
    return sorted(totals, key=lambda oid: (-round(totals[oid], TIE_DIGITS), oid))


@dataclass(frozen=True)
class DerivedScore:
    """A licensing-governance score computed from the policy, with its formula spelt out."""

    score: int
    explanation: str


def derive_licensing_score(verdict: Verdict, governance_model: str) -> DerivedScore:
    """Verdict (allow 5, review 3, deny 1) adjusted by governance model, never below 1.

    Used when the matrix gives no licensing-governance score, so that the license part of
    the comparison follows the organization's own policy rather than someone's opinion.
    """
    base = VERDICT_SCORE[verdict]
    adjustment = GOVERNANCE_ADJUSTMENT.get(governance_model, 0)
    score = max(MIN_SCORE, base + adjustment)
    text = f"derived: verdict {verdict} -> {base}, {governance_model} {adjustment:+d} -> {score}"
    if base + adjustment < MIN_SCORE:
        text += f" (minimum {MIN_SCORE})"
    return DerivedScore(score, text)


@dataclass(frozen=True)
class Sensitivity:
    """How far one driver's weight must move before another option wins.

    ``threshold_weight`` is None ("never") when no weight in [0, 1] changes the winner;
    ``direction`` says whether the weight must be raised or lowered to reach it.
    """

    driver: str
    current_weight: float
    threshold_weight: float | None
    new_winner: str | None
    direction: str | None


@dataclass(frozen=True)
class _Line:
    """An option's total as a function of one driver's weight w: at0 + w * (at1 - at0)."""

    at0: float
    at1: float

    @property
    def slope(self) -> float:
        return self.at1 - self.at0

    def value(self, w: float) -> float:
        return self.at0 + w * self.slope


def _line(weights: Mapping[str, float], scores: Mapping[str, float], driver: str) -> _Line:
    """Totals are linear in w when the other weights are scaled by (1 - w) / (1 - w_d).

    At w = 0 the other drivers share all the weight in their current proportions; at
    w = 1 the total is the driver's own score. When the driver already holds all the
    weight (w_d = 1) there are no proportions to keep, so the rest is shared equally.
    """
    others = {d: w for d, w in weights.items() if d != driver}
    mass = math.fsum(others.values())
    if not others:
        at0 = float(scores[driver])
    elif mass <= _EPS:
        at0 = math.fsum(scores[d] for d in others) / len(others)
    else:
        at0 = math.fsum(w * scores[d] for d, w in others.items()) / mass
    return _Line(at0, float(scores[driver]))


def _crossing(other: _Line, winner: _Line, current: float) -> tuple[float, int] | None:
    """Where ``other`` overtakes ``winner`` moving away from ``current``, and the direction.

    None when the lines are parallel, cross outside [0, 1], or ``other`` is not strictly
    better just beyond the crossing (a tie at the very edge of [0, 1] changes nothing).
    """
    slope_diff = other.slope - winner.slope
    if abs(slope_diff) <= _EPS:
        return None
    w = (winner.at0 - other.at0) / slope_diff
    if w < -_EPS or w > 1 + _EPS:
        return None
    w = min(1.0, max(0.0, w))
    # Away from a tie at the current weight, ``other`` is worse on the near side (the
    # winner wins now), so it is better beyond; at a tie, its slope says which side.
    if abs(w - current) <= _EPS:
        direction = 1 if slope_diff > 0 else -1
    else:
        direction = 1 if w > current else -1
    beyond_inside = w < 1 - _EPS if direction > 0 else w > _EPS
    return (w, direction) if beyond_inside else None


def sensitivity_for(
    weights: Mapping[str, float], scores: Mapping[str, Mapping[str, float]], driver: str
) -> Sensitivity:
    """The nearest weight of ``driver`` (others rescaled) at which the winner changes."""
    current = weights[driver]
    totals = {o: weighted_total(weights, s) for o, s in scores.items()}
    winner = rank(totals)[0]
    lines = {o: _line(weights, s, driver) for o, s in scores.items()}
    crossings = [
        c
        for o in sorted(lines)
        if o != winner and (c := _crossing(lines[o], lines[winner], current)) is not None
    ]
    if not crossings:
        return Sensitivity(driver, current, None, None, None)
    w, direction = min(crossings, key=lambda c: (abs(c[0] - current), c[0]))
    after = sorted(
        lines,
        key=lambda o: (
            -round(lines[o].value(w), TIE_DIGITS),
            -round(lines[o].slope * direction, TIE_DIGITS),
            o,
        ),
    )
    return Sensitivity(
        driver, current, round(w, 4), after[0], "raise" if direction > 0 else "lower"
    )


def sensitivity(
    weights: Mapping[str, float], scores: Mapping[str, Mapping[str, float]]
) -> list[Sensitivity]:
    """Sensitivity of the winner to every driver's weight, in driver order."""
    if len(scores) < 2:
        return [Sensitivity(d, w, None, None, None) for d, w in weights.items()]
    return [sensitivity_for(weights, scores, d) for d in weights]


# -- the candidates ----------------------------------------------------------------------


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
    omitted: list[str] = field(default_factory=list)

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


def _option_scores(
    option: MatrixOption, matrix: Matrix, finding: Finding, engine: Engine
) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """Scores, notes and derivations for one option; licensing is derived if missing."""
    scores: dict[str, int] = {}
    notes: dict[str, str] = {}
    derived: dict[str, str] = {}
    for drv in matrix.drivers:
        given = option.scores.get(drv.id)
        if given is not None:
            scores[drv.id] = given.value
            if given.note:
                notes[drv.id] = given.note
            continue
        computed = derive_licensing_score(finding.verdict, engine.governance.model)
        scores[drv.id] = computed.score
        derived[drv.id] = computed.explanation
    return scores, notes, derived


def _effect_line(kind: str, e: Effect) -> str:
    use = USE_WORDS.get(Use(e.use), e.use)
    return f"{kind} under {e.license} ({use}): {e.rationale}"


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


def build_adr(
    candidates: list[str], policy: Policy, matrix_path: str | None, as_of: dt.date
) -> AdrResult:
    """Evaluate the candidates, score them with the matrix and assemble the record."""
    matrix = load_matrix(matrix_path)
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
        component = parse_engine_target(f"{engine.id}@{version}")
        assert component is not None  # parsed above
        finding = evaluator.evaluate(component)
        scores, notes, derived = _option_scores(option, matrix, finding, engine)
        options.append(
            OptionResult(
                option.id,
                option.label,
                text,
                engine,
                finding,
                scores,
                notes,
                derived,
                consequences(text, finding, engine, policy, matrix.drivers, scores, notes, derived),
                timeline(engine, finding),
            )
        )
    weights = matrix.weights
    score_table = {o.id: {d: float(s) for d, s in o.scores.items()} for o in options}
    totals = {oid: weighted_total(weights, s) for oid, s in score_table.items()}
    ranking = rank(totals)
    chosen = {o.id for o in options}
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
    )
