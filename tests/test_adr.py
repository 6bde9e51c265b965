"""The ADR: matrix checks, the arithmetic (by hand and by brute force), and the renderers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.adr import (
    AdrResult,
    Sensitivity,
    build_adr,
    check_matrix,
    derive_licensing_score,
    load_matrix,
    rank,
    sensitivity,
    sensitivity_for,
    weighted_total,
)
from policycheck.adr.render import adr_json, render_html, render_json, render_markdown
from policycheck.errors import InputError
from policycheck.policy import Policy, Verdict, load_policy

AS_OF = dt.date(2026, 11, 27)
ROOT = Path(__file__).resolve().parents[1]
SEED_MATRIX = str(ROOT / "policies" / "adr" / "in-memory-stores.yaml")
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "adr"
LATEST = ["valkey@latest", "redis@latest", "dragonfly@latest"]


@pytest.fixture(scope="module")
def seed() -> AdrResult:
    return build_adr(LATEST, load_policy("default"), SEED_MATRIX, AS_OF)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "matrix.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- totals and ranking ------------------------------------------------------------------


def test_seed_totals_equal_the_hand_computation(seed: AdrResult) -> None:
    # weights: licensing .25, throughput .20, clustering .15, compatibility .15,
    # memory .10, maturity .10, ecosystem .05
    valkey = 0.25 * 5 + 0.20 * 4 + 0.15 * 5 + 0.15 * 5 + 0.10 * 4 + 0.10 * 4 + 0.05 * 4
    redis = 0.25 * 2 + 0.20 * 3 + 0.15 * 5 + 0.15 * 5 + 0.10 * 4 + 0.10 * 5 + 0.05 * 5
    dragonfly = 0.25 * 3 + 0.20 * 5 + 0.15 * 3 + 0.15 * 4 + 0.10 * 4 + 0.10 * 3 + 0.05 * 3
    assert seed.totals == pytest.approx(
        {"valkey": valkey, "redis": redis, "dragonfly": dragonfly}, abs=1e-12
    )
    assert adr_json(seed)["totals"] == {"valkey": 4.55, "redis": 3.75, "dragonfly": 3.65}


def test_seed_ranking_and_decision(seed: AdrResult) -> None:
    assert seed.ranking == ["valkey", "redis", "dragonfly"]
    assert seed.decision.recommended == "valkey"
    assert seed.decision.runner_up == "redis"
    assert seed.decision.margin == pytest.approx(4.55 - 3.75)


def test_weighted_total_is_the_sum_of_weight_times_score() -> None:
    assert weighted_total({"a": 0.5, "b": 0.3, "c": 0.2}, {"a": 4, "b": 2, "c": 5}) == (
        pytest.approx(0.5 * 4 + 0.3 * 2 + 0.2 * 5)
    )


def test_ranking_breaks_ties_by_option_id_and_ignores_float_noise() -> None:
    assert rank({"b": 1.0, "a": 1.0, "c": 2.0}) == ["c", "a", "b"]
    assert rank({"x": 0.1 + 0.2, "w": 0.3}) == ["w", "x"]


# -- sensitivity -------------------------------------------------------------------------


def test_sensitivity_two_drivers_solved_on_paper() -> None:
    # speed w, cost 1-w.  valkey = 5w + 1(1-w) = 1 + 4w;  redis = 2w + 5(1-w) = 5 - 3w.
    # Tie: 1 + 4w = 5 - 3w  ->  w = 4/7 = 0.5714; valkey wins above it (now 0.6).
    # For cost as the driver: valkey = 5 - 4w, redis = 2 + 3w  ->  w = 3/7 = 0.4286.
    result = build_adr(
        ["valkey@8.0.1", "redis@7.2.4"],
        load_policy("default"),
        str(FIXTURES / "two-drivers.yaml"),
        AS_OF,
    )
    assert result.totals == pytest.approx({"valkey": 3.4, "redis": 3.2})
    assert result.sensitivity == [
        Sensitivity("speed", 0.6, round(4 / 7, 4), "redis", "lower"),
        Sensitivity("cost", 0.4, round(3 / 7, 4), "redis", "raise"),
    ]


def test_sensitivity_when_the_driver_holds_all_the_weight() -> None:
    # a = 1: the others have no proportions, so 1 - w is shared equally between b and c.
    # x = 3w + 5(1-w) = 5 - 2w;  y = 4w + 1(1-w) = 1 + 3w  ->  tie at w = 4/5.
    weights = {"a": 1.0, "b": 0.0, "c": 0.0}
    scores = {"x": {"a": 3, "b": 5, "c": 5}, "y": {"a": 4, "b": 1, "c": 1}}
    assert sensitivity_for(weights, scores, "a") == Sensitivity("a", 1.0, 0.8, "x", "lower")
    # b = 0, a holds the rest: x = 3(1-w) + 5w, y = 4(1-w) + w  ->  tie at w = 1/5.
    assert sensitivity_for(weights, scores, "b") == Sensitivity("b", 0.0, 0.2, "x", "raise")


def test_sensitivity_from_a_tie_at_the_current_weight() -> None:
    # x and y tie at 3.0; x wins on id. Lowering a makes y strictly better at once.
    weights = {"a": 0.5, "b": 0.5}
    scores = {"x": {"a": 4, "b": 2}, "y": {"a": 2, "b": 4}}
    assert sensitivity_for(weights, scores, "a") == Sensitivity("a", 0.5, 0.5, "y", "lower")


def test_sensitivity_never_and_single_option() -> None:
    weights = {"a": 0.5, "b": 0.5}
    dominant = {"x": {"a": 5, "b": 5}, "y": {"a": 1, "b": 4}}
    assert [s.threshold_weight for s in sensitivity(weights, dominant)] == [None, None]
    single = sensitivity(weights, {"x": {"a": 1, "b": 2}})
    assert [s.new_winner for s in single] == [None, None]


def _rescaled_totals(
    weights: Mapping[str, float], scores: Mapping[str, Mapping[str, float]], d: str, w: float
) -> dict[str, float]:
    """Independent of the code under test: w_j' = w_j * (1 - w) / (1 - w_d)."""
    wd = weights[d]
    new = {j: w if j == d else wj * (1 - w) / (1 - wd) for j, wj in weights.items()}
    return {o: sum(new[j] * s[j] for j in new) for o, s in scores.items()}


def _brute_force(
    weights: Mapping[str, float], scores: Mapping[str, Mapping[str, float]], d: str, steps: int
) -> tuple[float, str] | None:
    """Nearest grid weight where some option is strictly better than today's winner."""
    winner = rank({o: weighted_total(weights, s) for o, s in scores.items()})[0]
    grid = sorted((i / steps for i in range(steps + 1)), key=lambda w: abs(w - weights[d]))
    for w in grid:
        totals = _rescaled_totals(weights, scores, d, w)
        best = max(sorted(totals), key=lambda o: totals[o])
        if totals[best] > totals[winner] + 1e-9:
            return w, best
    return None


def test_seed_sensitivity_matches_brute_force_over_a_fine_grid(seed: AdrResult) -> None:
    weights = seed.matrix.weights
    scores = {o.id: {d: float(v) for d, v in o.scores.items()} for o in seed.options}
    for s in seed.sensitivity:
        found = _brute_force(weights, scores, s.driver, 10_000)
        if found is None:
            assert s.threshold_weight is None and s.new_winner is None, s
        else:
            assert s.threshold_weight is not None, s
            assert abs(found[0] - s.threshold_weight) <= 2e-4, (s, found)
            assert found[1] == s.new_winner
    # throughput 11/19, maturity 1/2, ecosystem 17/36; clustering and compatibility only
    # tie Valkey at weight 1 (5 = 5), which is not a change.
    assert {s.driver: (s.threshold_weight, s.new_winner) for s in seed.sensitivity} == {
        "licensing-governance": (None, None),
        "throughput-scaling": (0.5789, "dragonfly"),
        "clustering-ha": (None, None),
        "compatibility": (None, None),
        "memory-efficiency": (None, None),
        "operational-maturity": (0.5, "redis"),
        "ecosystem": (0.4722, "redis"),
    }


@st.composite
def matrices(draw: st.DrawFn) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    drivers = [f"d{i}" for i in range(draw(st.integers(2, 4)))]
    raw = [draw(st.integers(1, 20)) for _ in drivers]
    weights = {d: r / sum(raw) for d, r in zip(drivers, raw, strict=True)}
    options = [f"o{i}" for i in range(draw(st.integers(2, 3)))]
    scores = {o: {d: float(draw(st.integers(1, 5))) for d in drivers} for o in options}
    return weights, scores


@settings(max_examples=60, deadline=None)
@given(matrices())
def test_sensitivity_threshold_is_the_nearest_strict_change(
    m: tuple[dict[str, float], dict[str, dict[str, float]]],
) -> None:
    weights, scores = m
    winner = rank({o: weighted_total(weights, s) for o, s in scores.items()})[0]
    for s in sensitivity(weights, scores):
        found = _brute_force(weights, scores, s.driver, 500)
        if s.threshold_weight is None:
            assert found is None, (s, found)
            continue
        assert s.new_winner is not None
        step = 2e-4 if s.direction == "raise" else -2e-4
        beyond = s.threshold_weight + step
        if 0 <= beyond <= 1:
            totals = _rescaled_totals(weights, scores, s.driver, beyond)
            assert totals[s.new_winner] > totals[winner]
        if found is not None:
            assert (
                abs(found[0] - s.current_weight)
                >= abs(s.threshold_weight - s.current_weight) - 2e-4 - 1 / 500
            )


# -- derived licensing score -------------------------------------------------------------


def test_derived_score_formula() -> None:
    assert derive_licensing_score(Verdict.REVIEW, "single-vendor").explanation == (
        "derived: verdict review -> 3, single-vendor -1 -> 2"
    )
    assert derive_licensing_score(Verdict.ALLOW, "foundation").score == 5
    assert derive_licensing_score(Verdict.REVIEW, "community").score == 3
    floor = derive_licensing_score(Verdict.DENY, "single-vendor")
    assert (floor.score, floor.explanation) == (
        1,
        "derived: verdict deny -> 1, single-vendor -1 -> 1 (minimum 1)",
    )


def test_derived_licensing_score_when_the_matrix_omits_it(default_policy: Policy) -> None:
    result = build_adr(
        ["valkey@8.0.1", "redis@8.2.1", "dragonfly@v1.25.0"],
        default_policy,
        str(FIXTURES / "derived-licensing.yaml"),
        AS_OF,
    )
    scores = {o.id: o.scores["licensing-governance"] for o in result.options}
    assert scores == {"valkey": 5, "redis": 2, "dragonfly": 2}
    assert result.option("valkey").derived == {
        "licensing-governance": "derived: verdict allow -> 5 (per use: internal allow -> 5, "
        "saas allow -> 5), foundation +0 -> 5"
    }
    assert result.option("redis").derived["licensing-governance"] == (
        "derived: verdict review -> 3 (per use: internal review -> 3, saas review -> 3), "
        "single-vendor -1 -> 2"
    )
    # valkey 0.5*5 + 0.5*3 = 4.0; dragonfly 0.5*2 + 0.5*5 = 3.5; redis 0.5*2 + 0.5*4 = 3.0
    assert result.totals == pytest.approx({"valkey": 4.0, "redis": 3.0, "dragonfly": 3.5})
    assert result.ranking == ["valkey", "dragonfly", "redis"]
    md = render_markdown(result)
    assert "5 (derived: verdict allow -> 5 (per use: internal allow -> 5, saas allow -> 5), " in md
    assert "derived from the policy verdict" in md


# -- matrix errors -----------------------------------------------------------------------

GOOD_OPTION = """\
options:
  valkey:
    label: Valkey
    scores:
      speed: {score: 4}
      cost: {score: 2}
"""


@pytest.mark.parametrize(
    ("text", "message", "marker"),
    [
        pytest.param(
            "drivers:\n  - {id: speed, name: Speed, weight: 0.5}\n"
            "  - {id: cost, name: Cost, weight: 0.4}\n" + GOOD_OPTION,
            "driver weights sum to 0.9, not 1",
            "drivers:",
            id="weights-not-summing-to-1",
        ),
        pytest.param(
            "drivers:\n  - {id: speed, name: Speed, weight: 0.5}\n"
            "  - {id: cost, name: Cost, weight: 0.5}\n"
            + GOOD_OPTION
            + "      latency: {score: 3}\n",
            "option 'valkey' scores unknown driver 'latency'",
            "latency:",
            id="unknown-driver-id",
        ),
        pytest.param(
            "drivers:\n  - {id: speed, name: Speed, weight: 0.5}\n"
            "  - {id: cost, name: Cost, weight: 0.5}\n"
            "options:\n  valkey:\n    label: Valkey\n    scores:\n      speed: {score: 4}\n",
            "option 'valkey' does not score driver(s) cost",
            "scores:",
            id="missing-score",
        ),
        pytest.param(
            "drivers:\n  - {id: speed, name: Speed, weight: 0.5}\n"
            "  - {id: cost, name: Cost, weight: 0.5}\n"
            "options:\n  nosuch:\n    label: X\n    scores:\n"
            "      speed: {score: 4}\n      cost: {score: 4}\n",
            "option 'nosuch': unknown engine 'nosuch'",
            "nosuch:",
            id="unknown-engine",
        ),
        pytest.param(
            "drivers:\n  - {id: speed, name: Speed, weight: 1.0}\n"
            "options:\n  valkey:\n    label: Valkey\n    scores:\n      speed: {score: 6}\n",
            "options/valkey/scores/speed/score: 6 is greater than the maximum of 5",
            "speed: {score: 6}",
            id="score-out-of-range",
        ),
        pytest.param(
            "drivers:\n  - {id: speed, name: Speed, weight: 1.0}\n"
            "options:\n  a:\n    label: A\n    engine: redis\n    scores: {speed: {score: 1}}\n"
            "  b:\n    label: B\n    engine: redis-server\n    scores: {speed: {score: 2}}\n",
            "options 'a' and 'b' both score engine 'redis'",
            "  b:",
            id="engine-twice",
        ),
    ],
)
def test_matrix_errors_name_file_and_line(
    tmp_path: Path, text: str, message: str, marker: str
) -> None:
    """Each error points at the first line holding ``marker``."""
    line = next(i for i, t in enumerate(text.splitlines(), 1) if marker in t)
    path = write(tmp_path, text)
    errors = check_matrix(path)
    assert isinstance(errors, list)
    assert [(e.message, e.line, e.path) for e in errors] == [(message, line, path)]


def test_weights_within_tolerance_are_accepted(tmp_path: Path) -> None:
    thirds = "\n".join(
        f"  - {{id: d{i}, name: D{i}, weight: 0.3333333333333333}}" for i in range(3)
    )
    scores = ", ".join(f"d{i}: {{score: 3}}" for i in range(3))
    path = write(
        tmp_path, f"drivers:\n{thirds}\noptions:\n  valkey: {{label: V, scores: {{{scores}}}}}\n"
    )
    assert load_matrix(path).weights == {f"d{i}": pytest.approx(1 / 3) for i in range(3)}


def test_missing_matrix_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="decision matrix not found"):
        load_matrix(str(tmp_path / "none.yaml"))


def test_bundled_matrix_is_the_default() -> None:
    matrix = load_matrix(None)
    assert matrix.source == "in-memory-stores.yaml (bundled)"
    assert [o.id for o in matrix.options] == ["valkey", "redis", "dragonfly"]
    assert matrix.weights == load_matrix(SEED_MATRIX).weights


# -- candidates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        (["valkey"], "is not ENGINE@VERSION"),
        (["nosuch@1.0"], "unknown engine 'nosuch'"),
        (["redis@7.2.4", "redis-server@8.2.1"], "engine 'redis' is a candidate twice"),
        (["keydb@6.3.4"], "no option in the decision matrix scores engine 'keydb'"),
    ],
)
def test_bad_candidates(default_policy: Policy, candidates: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_adr(candidates, default_policy, SEED_MATRIX, AS_OF)


def test_options_match_candidates_by_engine_and_others_are_omitted(
    default_policy: Policy,
) -> None:
    result = build_adr(["redis-server@8.2.1", "valkey@8.0.1"], default_policy, SEED_MATRIX, AS_OF)
    assert [o.id for o in result.options] == ["redis", "valkey"]
    assert result.omitted == ["dragonfly"]
    assert result.option("redis").finding.version == "8.2.1"


# -- consequences, context, decision -------------------------------------------------------


def test_consequences_carry_restrictions_conversion_and_governance() -> None:
    result = build_adr(
        ["dragonfly@v1.25.0", "valkey@8.0.1"],
        load_policy("managed-service-provider"),
        SEED_MATRIX,
        AS_OF,
    )
    accept = result.option("dragonfly").consequences.accept
    assert accept[0].startswith("Policy managed-service-provider verdict: deny")
    assert any(
        a.startswith("Restriction under BUSL-1.1 (offering it as a managed service)")
        for a in accept
    )
    assert (
        "BUSL-1.1 terms apply until 2028-09-01; then the release converts to Apache-2.0." in accept
    )
    assert any(a.startswith("Governance: single-vendor") for a in accept)
    assert not any("not pinned" in a for a in accept)
    assert result.option("dragonfly").consequences.get == (
        "Throughput and scaling model (5/5): shared-nothing, scale-up",
        "Compatibility (4/5): wire-compatible, not 100%",
        "Memory efficiency (4/5)",
    )


def test_unpinned_candidate_is_noted(seed: AdrResult) -> None:
    accept = seed.option("redis").consequences.accept
    assert any("redis@latest is not pinned: it resolves to 8.8.0" in a for a in accept)
    assert any("elects AGPL-3.0-only" in a for a in accept)


def test_context_timeline_comes_from_the_catalog(seed: AdrResult) -> None:
    t = seed.option("redis").timeline
    assert [r.license for r in t.ranges] == [
        "BSD-3-Clause",
        "LicenseRef-scancode-rsalv2 OR SSPL-1.0",
        "LicenseRef-scancode-rsalv2 OR SSPL-1.0 OR AGPL-3.0-only",
    ]
    assert [r.current for r in t.ranges] == [False, False, True]
    assert t.ranges[0].evidence == "redis/redis@7.2.4 (d2c8a4b91e8c):COPYING (2024-01-09)"
    assert [e.date for e in t.events] == ["2024-03-20", "2025-05-01"]


def test_denied_winner_gets_a_caveat_naming_the_fallback(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "drivers:\n  - {id: speed, name: Speed, weight: 1.0}\n"
        "options:\n  dragonfly: {label: Dragonfly, scores: {speed: {score: 5}}}\n"
        "  valkey: {label: Valkey, scores: {speed: {score: 3}}}\n",
    )
    result = build_adr(
        ["dragonfly@v1.25.0", "valkey@8.0.1"], load_policy("managed-service-provider"), path, AS_OF
    )
    assert result.decision.recommended == "dragonfly"
    assert result.decision.caveat is not None
    assert "denied by policy managed-service-provider" in result.decision.caveat
    assert result.decision.caveat.endswith("does not deny is valkey.")


# -- renderers ------------------------------------------------------------------------------

ADR_JSON_SHAPE = {
    "type": "object",
    "required": [
        "schema_version",
        "as_of",
        "policy",
        "drivers",
        "options",
        "totals",
        "ranking",
        "sensitivity",
        "decision",
    ],
    "properties": {
        "as_of": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "policy": {
            "type": "object",
            "required": ["name", "sha256"],
            "properties": {"sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
        },
        "drivers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "weight"],
                "properties": {"weight": {"type": "number", "minimum": 0, "maximum": 1}},
            },
        },
        "options": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "engine",
                    "version",
                    "verdict",
                    "elected",
                    "scores",
                    "score_notes",
                    "derived",
                ],
                "properties": {
                    "verdict": {"enum": ["allow", "review", "deny"]},
                    "scores": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 5},
                    },
                    "score_notes": {"type": "object", "additionalProperties": {"type": "string"}},
                    "derived": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        },
        "totals": {"type": "object", "additionalProperties": {"type": "number"}},
        "ranking": {"type": "array", "items": {"type": "string"}},
        "sensitivity": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["driver", "threshold_weight", "new_winner"],
                "properties": {
                    "threshold_weight": {"type": ["number", "null"]},
                    "new_winner": {"type": ["string", "null"]},
                },
            },
        },
        "decision": {
            "type": "object",
            "required": ["recommended", "margin"],
            "properties": {"margin": {"type": ["number", "null"]}},
        },
    },
}


def test_json_validates_structurally_and_agrees_with_itself(seed: AdrResult) -> None:
    doc = json.loads(render_json(seed))
    jsonschema.Draft202012Validator(ADR_JSON_SHAPE).validate(doc)
    weights = {d["id"]: d["weight"] for d in doc["drivers"]}
    for option in doc["options"]:
        assert set(option["scores"]) == set(weights)
        total = sum(weights[d] * s for d, s in option["scores"].items())
        assert doc["totals"][option["id"]] == round(total, 4)
    assert sorted(doc["ranking"]) == sorted(doc["totals"])
    assert doc["decision"] == {
        "recommended": "valkey",
        "runner_up": "redis",
        "margin": 0.8,
        "caveat": seed.decision.caveat,
        "decided_by": None,
        "date": None,
        "status": "proposed",
    }
    assert doc["options"][1]["elected"] == "AGPL-3.0-only"
    assert doc["policy"]["name"] == "default"


def test_rendering_is_deterministic() -> None:
    def render_all() -> tuple[str, str, str]:
        r = build_adr(LATEST, load_policy("default"), SEED_MATRIX, AS_OF)
        return render_markdown(r), render_html(r), render_json(r)

    assert render_all() == render_all()


def test_markdown_has_chart_matrix_sensitivity_and_people_block(seed: AdrResult) -> None:
    md = render_markdown(seed)
    assert (
        "```mermaid\nxychart-beta\n"
        '    title "Weighted total (1-5), best first"\n'
        '    x-axis ["Valkey 9.1.0", "Redis 8.8.0", "Dragonfly 1.40.1"]\n'
        '    y-axis "Weighted total" 0 --> 5\n'
        "    bar [4.55, 3.75, 3.65]\n```"
    ) in md
    assert "| Memory efficiency | 0.10 | 4 | 4 | 4 |" in md
    assert "| **Weighted total** | 1.00 | **4.55** | **3.75** | **3.65** |" in md
    assert "| Throughput and scaling model | 0.20 | raised to 0.58 | Dragonfly 1.40.1 |" in md
    assert "| Licensing and governance | 0.25 | never | - |" in md
    assert "0.80 ahead of the runner-up Redis 8.8.0 (3.75)" in md
    assert "### To be completed by people" in md and "- **Decided by:** " in md
    order = ["## Context", "## Decision drivers", "## Scored comparison", "## Sensitivity"]
    order += ["## Consequences", "## Decision\n"]
    assert [md.index(h) for h in order] == sorted(md.index(h) for h in order)


def test_html_is_self_contained_and_escaped(tmp_path: Path, default_policy: Policy) -> None:
    path = write(
        tmp_path,
        "drivers:\n  - {id: speed, name: 'Speed <b>', weight: 1.0}\n"
        "options:\n  valkey: {label: '<script>x</script>', scores: "
        "{speed: {score: 4, note: 'a | b & c'}}}\n",
    )
    result = build_adr(["valkey@8.0.1"], default_policy, path, AS_OF)
    page = render_html(result)
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "Speed &lt;b&gt;" in page and "a | b &amp; c" in page
    assert "<style>" in page and "http" not in page.split("<body>")[0].replace('lang="en"', "")
    md = render_markdown(result)
    assert "4 (a \\| b & c)" in md
    assert result.sensitivity == [Sensitivity("speed", 1.0, None, None, None)]
    assert result.decision.runner_up is None and result.decision.margin is None
