"""The arithmetic of the record, in small pure functions a reviewer can check by hand:
weighted totals, the ranking rule, the licensing score derived from a verdict, and the
sensitivity of the winner to each driver's weight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from policycheck.policy import Verdict

TIE_DIGITS = 9
"""Totals equal to this many decimal places are a tie (float noise is not a preference)."""
_EPS = 1e-12
MIN_SCORE, MAX_SCORE = 1, 5
GOOD_SCORE = 4
"""Scores at or above this are what an option gives you."""
VERDICT_SCORE = {Verdict.ALLOW: 5, Verdict.REVIEW: 3, Verdict.DENY: 1}
GOVERNANCE_ADJUSTMENT = {"foundation": 0, "community": 0, "single-vendor": -1}
RANKING_RULE = "weighted total, highest first; equal totals (to 9 decimals) by option id"


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


def derive_licensing_score(
    verdict: Verdict,
    governance_model: str,
    per_use: Mapping[str, Verdict] | None = None,
) -> DerivedScore:
    """Verdict (allow 5, review 3, deny 1) adjusted by governance model, never below 1.

    Used when the matrix gives no licensing-governance score (or gives one for other
    releases), so that the license part of the comparison follows the organization's own
    policy rather than someone's opinion. ``verdict`` is the policy's verdict under all
    the declared uses together; ``per_use`` (each declared use alone) is shown beside it
    when there are several uses, so a reader sees which use costs the points.
    """
    base = VERDICT_SCORE[verdict]
    adjustment = GOVERNANCE_ADJUSTMENT.get(governance_model, 0)
    score = max(MIN_SCORE, base + adjustment)
    uses = ""
    if per_use and len(per_use) > 1:
        parts = ", ".join(f"{u} {v} -> {VERDICT_SCORE[v]}" for u, v in per_use.items())
        uses = f" (per use: {parts})"
    text = (
        f"derived: verdict {verdict} -> {base}{uses}, {governance_model} {adjustment:+d} -> {score}"
    )
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
