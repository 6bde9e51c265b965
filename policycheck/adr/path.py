"""Weights moved on purpose: what-if rankings, claims checked, and the decision path.

Everything here moves driver weights the way the sensitivity table does: the driver(s)
named take the weight given, the other drivers keep their proportions and share the rest
(``w_j' = w_j x (1 - S) / (1 - S_0)``). Totals are then linear in one driver's weight, so
the winner along a driver's weight is a handful of segments between line crossings; the
decision path and the claims are read off those segments, never written by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from policycheck.adr.matrix import WEIGHT_TOLERANCE, Matrix, TotalClaim, WeightClaim
from policycheck.adr.scoring import TIE_DIGITS, _line, rank, sensitivity, weighted_total
from policycheck.errors import InputError

Scores = Mapping[str, Mapping[str, float]]
_EPS = 1e-12
#: Crossings closer than this are one crossing (totals are compared to 9 digits).
_MERGE = 1e-9


# -- weights ---------------------------------------------------------------------------------


def rescaled(weights: Mapping[str, float], fixed: Mapping[str, float]) -> dict[str, float]:
    """``weights`` with the ``fixed`` drivers set and the others scaled to fill the rest.

    The others keep their proportions; when they held no weight at all, the rest is
    shared equally between them (as the sensitivity does). Raises ValueError when the
    fixed weights exceed 1 or leave weight that no other driver can take.
    """
    named = math.fsum(fixed.values())
    if named > 1 + WEIGHT_TOLERANCE:
        raise ValueError(f"the weights given sum to {named:.6g}, more than 1")
    others = {d: w for d, w in weights.items() if d not in fixed}
    rest = max(0.0, 1.0 - named)
    if not others:
        if abs(rest) > WEIGHT_TOLERANCE:
            raise ValueError(f"every driver is given a weight, and they sum to {named:.6g}")
        return {d: fixed[d] for d in weights}
    mass = math.fsum(others.values())
    out: dict[str, float] = {}
    for d, w in weights.items():
        if d in fixed:
            out[d] = fixed[d]
        elif mass <= _EPS:
            out[d] = rest / len(others)
        else:
            out[d] = w * rest / mass
    return out


def totals_at(weights: Mapping[str, float], scores: Scores) -> dict[str, float]:
    """Weighted total of every option at ``weights``."""
    return {o: weighted_total(weights, s) for o, s in scores.items()}


def winner_at(weights: Mapping[str, float], scores: Scores) -> str:
    """The best-ranked option at ``weights`` (ties by the ranking rule)."""
    return rank(totals_at(weights, scores))[0]


# -- what-if -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    """The ranking at weights someone asked for (``--what-if DRIVER=WEIGHT``)."""

    asked: dict[str, float]
    weights: dict[str, float]
    totals: dict[str, float]
    ranking: list[str]


def parse_what_if(texts: Sequence[str], matrix: Matrix) -> dict[str, float]:
    """``DRIVER=WEIGHT`` texts as {driver: weight}; InputError names what is wrong."""
    known = [d.id for d in matrix.drivers]
    out: dict[str, float] = {}
    for text in texts:
        driver, sep, value = text.partition("=")
        driver = driver.strip()
        if not sep:
            raise InputError(
                f"--what-if {text!r} is not DRIVER=WEIGHT",
                hint=f"e.g. --what-if {known[0]}=0.4; drivers: {', '.join(known)}",
            )
        if driver not in known:
            raise InputError(
                f"--what-if: unknown driver {driver!r}",
                matrix.source,
                hint=f"drivers of this matrix: {', '.join(known)}",
            )
        try:
            weight = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
        except ValueError:
            raise InputError(
                f"--what-if {text!r}: {value!r} is not a number",
                hint="write a fraction of 1 (0.4) or a percentage (40%)",
            ) from None
        if not 0 <= weight <= 1:
            raise InputError(
                f"--what-if {text!r}: the weight must be between 0 and 1",
                hint="write a fraction of 1 (0.4) or a percentage (40%)",
            )
        if driver in out:
            raise InputError(f"--what-if gives driver {driver!r} twice")
        out[driver] = weight
    return out


def what_if(weights: Mapping[str, float], scores: Scores, asked: Mapping[str, float]) -> WhatIf:
    """Rank the options at the asked weights, the other drivers rescaled."""
    try:
        moved = rescaled(weights, asked)
    except ValueError as exc:
        raise InputError(f"--what-if: {exc}", hint="the weights given must leave room") from None
    totals = totals_at(moved, scores)
    return WhatIf(dict(asked), moved, totals, rank(totals))


# -- the winner along one driver's weight --------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """Over ``low``..``high`` of one driver's weight, ``winner`` ranks first."""

    low: float
    high: float
    winner: str

    @property
    def middle(self) -> float:
        return (self.low + self.high) / 2


def _breakpoints(weights: Mapping[str, float], scores: Scores, driver: str) -> list[float]:
    lines = [_line(weights, s, driver) for _, s in sorted(scores.items())]
    points = {0.0, 1.0}
    for i, a in enumerate(lines):
        for b in lines[i + 1 :]:
            slope = a.slope - b.slope
            if abs(slope) > _EPS:
                w = (b.at0 - a.at0) / slope
                if _EPS < w < 1 - _EPS:
                    points.add(w)
    # Three or more lines crossing at one weight give crossings that differ in the last
    # bits; keep one, or a sliver between them would name a winner of no real width.
    merged: list[float] = []
    for w in sorted(points):
        if merged and w - merged[-1] <= _MERGE:
            continue
        merged.append(w)
    if merged[-1] != 1.0:
        merged[-1] = 1.0
    return merged


def segments(weights: Mapping[str, float], scores: Scores, driver: str) -> list[Segment]:
    """Who wins along ``driver``'s weight over [0, 1], adjacent equal winners merged.

    The winner of a segment is the winner at its middle, where no two lines cross.
    """
    points = _breakpoints(weights, scores, driver)
    out: list[Segment] = []
    for low, high in zip(points, points[1:], strict=False):
        winner = winner_at(rescaled(weights, {driver: (low + high) / 2}), scores)
        if out and out[-1].winner == winner:
            out[-1] = Segment(out[-1].low, high, winner)
        else:
            out.append(Segment(low, high, winner))
    return out


# -- claims -------------------------------------------------------------------------------------


Claim = WeightClaim | TotalClaim


@dataclass(frozen=True)
class ClaimResult:
    """A claim checked against the matrix.

    For a weight claim: the ranking at the claimed weights, and ``holds_over``, the
    ranges of the driver's weight where the expected option does lead (empty: never);
    ``nearest`` is the weight in them closest to the claim. For a total claim: the
    computed total (``holds`` when equal to two decimals, as totals are printed).
    """

    claim: Claim
    holds: bool
    winner: str | None
    totals: dict[str, float]
    weights: dict[str, float]
    holds_over: tuple[tuple[float, float], ...]
    nearest: float | None


def _nearest(ranges: Sequence[tuple[float, float]], w: float) -> float | None:
    if not ranges:
        return None
    return min((min(max(w, lo), hi) for lo, hi in ranges), key=lambda x: (abs(x - w), x))


def check_claim(claim: Claim, weights: Mapping[str, float], scores: Scores) -> ClaimResult:
    """Evaluate one claim at the matrix's weights."""
    if isinstance(claim, TotalClaim):
        totals = totals_at(weights, scores)
        computed = totals.get(claim.option)
        holds = computed is not None and round(computed, 2) == round(claim.total, 2)
        return ClaimResult(claim, holds, None, totals, dict(weights), (), None)
    moved = rescaled(weights, {claim.driver: claim.weight})
    totals = totals_at(moved, scores)
    winner = rank(totals)[0]
    ranges = tuple(
        (s.low, s.high)
        for s in segments(weights, scores, claim.driver)
        if s.winner == claim.expect_winner
    )
    return ClaimResult(
        claim,
        winner == claim.expect_winner,
        winner,
        totals,
        moved,
        ranges,
        _nearest(ranges, claim.weight),
    )


# -- the decision path ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """Where a path ends: ``option`` wins at ``weights`` (representative of the path)."""

    option: str
    weights: dict[str, float]
    total: float


@dataclass(frozen=True)
class Question:
    """Is ``driver``'s weight ``op`` ``threshold``? ``yes`` / ``no`` continue the path.

    ``op`` is ``>`` or ``>=`` (raising the weight), ``<`` or ``<=`` (lowering it): the
    equal sign is there when, at exactly the threshold, the ranking rule already gives
    the ``yes`` side's winner.
    """

    driver: str
    op: str
    threshold: float
    yes: Node
    no: Node


Node = Leaf | Question


def _leaf(weights: Mapping[str, float], scores: Scores, driver: str | None, w: float) -> Leaf:
    moved = rescaled(weights, {driver: w}) if driver else dict(weights)
    totals = totals_at(moved, scores)
    best = rank(totals)[0]
    return Leaf(best, moved, totals[best])


def _op(raise_: bool, at_threshold: str, yes_winner: str) -> str:
    base = ">" if raise_ else "<"
    return base + "=" if at_threshold == yes_winner else base


def _beyond(
    weights: Mapping[str, float], scores: Scores, driver: str, segs: list[Segment], raise_: bool
) -> Node:
    """The path past a threshold: one leaf, or a question per further change of winner."""
    if len(segs) == 1:
        return _leaf(weights, scores, driver, segs[0].middle)
    near, rest = segs[0], segs[1:]
    boundary = near.high if raise_ else near.low
    at = winner_at(rescaled(weights, {driver: boundary}), scores)
    return Question(
        driver,
        _op(raise_, at, rest[0].winner),
        boundary,
        _beyond(weights, scores, driver, rest, raise_),
        _leaf(weights, scores, driver, near.middle),
    )


def decision_tree(weights: Mapping[str, float], scores: Scores) -> Node:
    """Questions on the drivers whose weight can change the winner, nearest change first.

    Each question moves one driver's weight from the matrix's (the others rescaled), as
    the sensitivity table does, so its threshold is that table's; its ``yes`` side names
    who wins beyond it, and the final ``no`` is the winner at the weights as given.
    """
    fallback = _leaf(weights, scores, None, 0.0)
    if len(scores) < 2:
        return fallback
    order = {d: i for i, d in enumerate(weights)}
    moves = sorted(
        (s for s in sensitivity(weights, scores) if s.threshold_weight is not None),
        key=lambda s: (abs((s.threshold_weight or 0) - s.current_weight), order[s.driver]),
    )
    node: Node = fallback
    for s in reversed(moves):
        raise_ = s.direction == "raise"
        segs = segments(weights, scores, s.driver)
        current = s.current_weight
        side = (
            [g for g in segs if g.middle > current]
            if raise_
            else [g for g in reversed(segs) if g.middle < current]
        )
        # From the first segment on that side where today's winner no longer leads.
        first = next((i for i, g in enumerate(side) if g.winner != fallback.option), None)
        if first is None:
            continue
        beyond = side[first:]
        threshold = beyond[0].low if raise_ else beyond[0].high
        at = winner_at(rescaled(weights, {s.driver: threshold}), scores)
        node = Question(
            s.driver,
            _op(raise_, at, beyond[0].winner),
            threshold,
            _beyond(weights, scores, s.driver, beyond, raise_),
            node,
        )
    return node


def leaves(node: Node) -> list[Leaf]:
    """Every leaf of a path, yes side first."""
    if isinstance(node, Leaf):
        return [node]
    return leaves(node.yes) + leaves(node.no)


def questions(node: Node) -> list[Question]:
    """Every question of a path, in the order a reader meets them (yes side first)."""
    if isinstance(node, Leaf):
        return []
    return [node, *questions(node.yes), *questions(node.no)]


def tie_rounded(x: float) -> float:
    """Rounded as the ranking compares totals."""
    return round(x, TIE_DIGITS)


@dataclass(frozen=True)
class Constraint:
    """What the policy says about one option before any weight counts.

    ``out``: the finding is deny under the declared uses, so no weight brings it back
    (``rules`` say why, as (rule id, rationale)). A review option stays in, carrying
    ``confirm``: the statements legal must sign before it is adopted.
    """

    option: str
    verdict: str
    rules: tuple[tuple[str, str], ...]
    confirm: tuple[str, ...]
    out: bool


@dataclass(frozen=True)
class DecisionPath:
    """Hard constraints first, then questions on weights among the options left."""

    constraints: tuple[Constraint, ...]
    admissible: tuple[str, ...]
    root: Node | None


def decision_path(
    constraints: Sequence[Constraint], weights: Mapping[str, float], scores: Scores
) -> DecisionPath:
    """The path: options the policy denies are out, the rest go through the questions."""
    admissible = tuple(c.option for c in constraints if not c.out)
    kept = {o: scores[o] for o in admissible}
    root = decision_tree(weights, kept) if kept else None
    return DecisionPath(tuple(constraints), admissible, root)
