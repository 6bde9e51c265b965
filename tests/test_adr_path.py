"""The decision path, the matrix's claims and --what-if: every number checked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.adr import AdrResult, build_adr, rank, sensitivity, weighted_total
from policycheck.adr.path import (
    Leaf,
    Question,
    TotalClaim,
    WeightClaim,
    check_claim,
    decision_tree,
    leaves,
    questions,
    rescaled,
    segments,
    what_if,
)
from policycheck.adr.render import adr_json, render_html, render_markdown
from policycheck.errors import InputError
from policycheck.knowledge import Use
from policycheck.policy import load_policy

AS_OF = dt.date(2026, 11, 27)
LATEST = ["valkey@latest", "redis@latest", "dragonfly@latest"]
# The seed matrix: weights and scores as in policies/adr/in-memory-stores.yaml.
W = {
    "licensing-governance": 0.25,
    "throughput-scaling": 0.20,
    "clustering-ha": 0.15,
    "compatibility": 0.15,
    "memory-efficiency": 0.10,
    "operational-maturity": 0.10,
    "ecosystem": 0.05,
}
S = {
    "valkey": dict(zip(W, [5.0, 4, 5, 5, 4, 4, 4], strict=True)),
    "redis": dict(zip(W, [2.0, 3, 5, 5, 4, 5, 5], strict=True)),
    "dragonfly": dict(zip(W, [3.0, 5, 3, 4, 4, 3, 3], strict=True)),
}


@pytest.fixture(scope="module")
def seed() -> AdrResult:
    return build_adr(LATEST, load_policy("default"), None, AS_OF)


# -- rescaling -------------------------------------------------------------------------------


def test_rescaled_keeps_the_other_proportions() -> None:
    # throughput 0.4: the other 0.8 of weight becomes 0.6, each scaled by 0.6 / 0.8 = 0.75.
    moved = rescaled(W, {"throughput-scaling": 0.4})
    assert moved == pytest.approx(
        {
            "licensing-governance": 0.1875,
            "throughput-scaling": 0.4,
            "clustering-ha": 0.1125,
            "compatibility": 0.1125,
            "memory-efficiency": 0.075,
            "operational-maturity": 0.075,
            "ecosystem": 0.0375,
        }
    )
    assert sum(moved.values()) == pytest.approx(1.0)
    # two drivers fixed: 0.3 + 0.3; the other two share 0.4 in their 1:3 proportion
    two = rescaled({"a": 0.1, "b": 0.3, "c": 0.2, "d": 0.4}, {"c": 0.3, "d": 0.3})
    assert two == pytest.approx({"a": 0.1, "b": 0.3, "c": 0.3, "d": 0.3})


def test_rescaled_refuses_weights_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="more than 1"):
        rescaled(W, {"ecosystem": 0.7, "clustering-ha": 0.5})
    with pytest.raises(ValueError, match="every driver"):
        rescaled({"a": 0.5, "b": 0.5}, {"a": 0.2, "b": 0.2})


# -- the decision path ------------------------------------------------------------------------


def _chain(node: Leaf | Question) -> list[tuple[str, str, float, str]]:
    out = []
    while isinstance(node, Question):
        assert isinstance(node.yes, Leaf)
        out.append((node.driver, node.op, node.threshold, node.yes.option))
        node = node.no
    out.append(("", "", 0.0, node.option))
    return out


def test_seed_path_is_the_sensitivity_table_nearest_change_first(seed: AdrResult) -> None:
    # Throughput t (others x (1-t)/0.8): valkey 4t + 3.75(1-t)/0.8, dragonfly 5t + 2.65(1-t)/0.8
    # -> 1.1/0.8 = t (1 + 1.1/0.8) -> t = 11/19. Maturity m (others x (1-m)/0.9): valkey
    # 4m + 4.15(1-m)/0.9, redis 5m + 3.25(1-m)/0.9 -> m = 1/2. Ecosystem e: valkey
    # 4e + 4.35(1-e)/0.95, redis 5e + 3.5(1-e)/0.95 -> e = 0.85/1.8 = 17/36.
    # Distances from today's weights: 0.379, 0.400, 0.422: that is the order of the path.
    chain = _chain(seed.path.root)
    assert [(d, op, yes) for d, op, _, yes in chain] == [
        ("throughput-scaling", ">=", "dragonfly"),
        ("operational-maturity", ">=", "redis"),
        ("ecosystem", ">=", "redis"),
        ("", "", "valkey"),
    ]
    thresholds = [t for _, _, t, _ in chain[:-1]]
    assert thresholds == pytest.approx([11 / 19, 1 / 2, 17 / 36], abs=1e-12)
    table = {s.driver: (s.threshold_weight, s.new_winner) for s in seed.sensitivity}
    for driver, _, threshold, yes in chain[:-1]:
        assert table[driver] == (round(threshold, 4), yes)
    assert seed.path.admissible == ("valkey", "redis", "dragonfly")
    assert [c.out for c in seed.path.constraints] == [False, False, False]


def test_equal_sign_follows_the_ranking_rule_at_the_threshold() -> None:
    # At exactly 11/19 Valkey and Dragonfly tie, and ties go by option id: dragonfly.
    at = rescaled(W, {"throughput-scaling": 11 / 19})
    totals = {o: weighted_total(at, s) for o, s in S.items()}
    assert totals["valkey"] == pytest.approx(totals["dragonfly"])
    assert rank(totals)[0] == "dragonfly"
    # A two-driver matrix where the tie goes the other way: a > t is strict.
    weights = {"p": 0.5, "q": 0.5}
    scores = {"a": {"p": 1.0, "q": 5.0}, "b": {"p": 5.0, "q": 1.0}, "c": {"p": 1.0, "q": 1.0}}
    # a = 3, b = 3: a wins the tie now. b leads when p > 1/2 (strictly: at 1/2 a wins).
    root = decision_tree(weights, scores)
    assert isinstance(root, Question)
    assert (root.driver, root.op, root.threshold) == ("p", ">", pytest.approx(0.5))


def test_every_leaf_wins_at_the_weights_on_its_path(seed: AdrResult) -> None:
    for leaf in leaves(seed.path.root):
        totals = {o: weighted_total(leaf.weights, S[o]) for o in S}
        assert rank(totals)[0] == leaf.option
        assert totals[leaf.option] == pytest.approx(leaf.total)
        assert sum(leaf.weights.values()) == pytest.approx(1.0)
    # The yes leaf of throughput sits in the middle of (11/19, 1]: t = 15/19, the others
    # x 4/19 / 0.8. Dragonfly = 5 * 15/19 + 2.65 * (4/19) / 0.8 = 75/19 + 13.25/19 = 88.25/19.
    first = seed.path.root.yes
    assert first.weights["throughput-scaling"] == pytest.approx(15 / 19)
    assert first.total == pytest.approx(88.25 / 19)
    # The last leaf is the matrix's own weights and winner: Valkey 4.55.
    last = leaves(seed.path.root)[-1]
    assert last.weights == W and last.total == pytest.approx(4.55)


def test_a_threshold_past_which_the_winner_changes_again_gets_a_nested_question() -> None:
    # One driver d (others: e). x = 5 - 4d... built so that raising d gives y, then z:
    # x: d 1, e 5 -> 5 - 4d; y: d 3, e 3 -> 3; z: d 5, e 0.. scores are 1..5, so z: d 5, e 1
    # -> 1 + 4d. x = y at d = 1/2; y = z at d = 1/2 too; use y: d 4, e 2 -> 2 + 2d:
    # x = y at 5 - 4d = 2 + 2d -> d = 1/2; y = z at 2 + 2d = 1 + 4d -> d = 1/2. Shift z: d 5,
    # e 1 and x: d 1, e 4 -> 4 - 3d; x = y: 4 - 3d = 2 + 2d -> d = 2/5; y = z: d = 1/2.
    weights = {"d": 0.2, "e": 0.8}
    scores = {"x": {"d": 1.0, "e": 4.0}, "y": {"d": 4.0, "e": 2.0}, "z": {"d": 5.0, "e": 1.0}}
    segs = segments(weights, scores, "d")
    assert [(s.winner, round(s.low, 9), round(s.high, 9)) for s in segs] == [
        ("x", 0.0, 0.4),
        ("y", 0.4, 0.5),
        ("z", 0.5, 1.0),
    ]
    root = decision_tree(weights, scores)
    assert isinstance(root, Question) and root.threshold == pytest.approx(0.4)
    nested = root.yes
    assert isinstance(nested, Question) and nested.threshold == pytest.approx(0.5)
    assert isinstance(nested.yes, Leaf) and nested.yes.option == "z"
    assert isinstance(nested.no, Leaf) and nested.no.option == "y"
    for leaf in leaves(root):
        totals = {o: weighted_total(leaf.weights, s) for o, s in scores.items()}
        assert rank(totals)[0] == leaf.option


@st.composite
def matrices(draw: st.DrawFn) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    drivers = [f"d{i}" for i in range(draw(st.integers(2, 4)))]
    raw = [draw(st.integers(1, 20)) for _ in drivers]
    weights = {d: r / sum(raw) for d, r in zip(drivers, raw, strict=True)}
    options = [f"o{i}" for i in range(draw(st.integers(2, 4)))]
    scores = {o: {d: float(draw(st.integers(1, 5))) for d in drivers} for o in options}
    return weights, scores


@settings(max_examples=80, deadline=None)
@given(matrices())
def test_path_agrees_with_sensitivity_and_leaves_win_by_construction(
    m: tuple[dict[str, float], dict[str, dict[str, float]]],
) -> None:
    weights, scores = m
    root = decision_tree(weights, scores)
    for leaf in leaves(root):
        totals = {o: weighted_total(leaf.weights, s) for o, s in scores.items()}
        assert rank(totals)[0] == leaf.option
    table = {s.driver: s for s in sensitivity(weights, scores)}
    top, node = [], root
    while isinstance(node, Question):
        top.append(node)
        node = node.no
    assert isinstance(node, Leaf) and node.weights == weights
    assert {q.driver for q in top} == {d for d, s in table.items() if s.threshold_weight}
    for q in top:
        s = table[q.driver]
        assert s.threshold_weight == pytest.approx(q.threshold, abs=1e-4)
        first_yes = q.yes if isinstance(q.yes, Leaf) else leaves(q.yes)[-1]
        assert first_yes.option == s.new_winner
        assert (q.op in (">", ">=")) == (s.direction == "raise")
    assert all(isinstance(q.threshold, float) for q in questions(root))


def test_denied_options_are_out_with_their_rules_before_any_weight() -> None:
    result = build_adr(
        ["valkey@8.1.1", "redis@7.4.0", "dragonfly@v1.25.0"],
        load_policy("default").with_uses((Use.MANAGED_SERVICE,)),
        None,
        AS_OF,
    )
    out = {c.option: c for c in result.path.constraints}
    assert out["redis"].out and out["dragonfly"].out and not out["valkey"].out
    assert [r for r, _ in out["redis"].rules] == ["deny-restricted-use", "review-not-osi"]
    assert result.path.admissible == ("valkey",)
    assert isinstance(result.path.root, Leaf) and result.path.root.option == "valkey"
    md = render_markdown(result)
    assert 'h1 -- "no: deny (deny-restricted-use, review-not-osi)" --> x1["Out: Redis 7.4.0"]' in md
    assert "Redis 7.4.0 is out (deny, rule deny-restricted-use:" in md
    assert (
        "2. Valkey 8.1.1 (review: legal confirms 1 item): no weight of one driver changes the winner."
        in md
    )


def test_review_options_carry_their_confirm_items(seed: AdrResult) -> None:
    for c in seed.path.constraints:
        assert c.confirm == tuple(seed.option(c.option).finding.confirm)
    md = render_markdown(seed)
    assert "## Decision path" in md and "```mermaid\nflowchart TD\n" in md
    assert '    q1{"Throughput and scaling model weight ≥ 0.5789?"}' in md
    assert "2. Throughput and scaling model weight ≥ 0.5789? Yes: Dragonfly 1.40.1" in md
    assert "4. Ecosystem weight ≥ 0.4722? Yes: Redis 8.8.0" in md


# -- claims ------------------------------------------------------------------------------------


def test_seed_claim_licensing_at_5_percent_never_holds() -> None:
    # others x 0.95/0.75: valkey 0.05*5 + 0.95*(4.55-1.25)/0.75 = 0.25 + 4.18 = 4.43;
    # redis 0.05*2 + 0.95*(3.75-0.5)/0.75 = 0.1 + 4.11667 = 4.21667;
    # dragonfly 0.05*3 + 0.95*(3.65-0.75)/0.75 = 0.15 + 3.67333 = 3.82333.
    r = check_claim(WeightClaim("licensing-governance", 0.05, "redis"), W, S)
    assert not r.holds and r.winner == "valkey"
    assert r.totals == pytest.approx(
        {"valkey": 4.43, "redis": 4.21667, "dragonfly": 3.82333}, abs=1e-5
    )
    # At licensing 0 Redis reaches 3.25/0.75 = 4.333 and Valkey 3.30/0.75 = 4.4: never.
    assert r.holds_over == () and r.nearest is None


def test_seed_claim_scaling_at_40_percent_needs_11_19() -> None:
    # others x 0.6/0.8 = 0.75: valkey 1.6 + 0.75*3.75 = 4.4125; dragonfly 2.0 + 0.75*2.65
    # = 3.9875; redis 1.2 + 0.75*3.15 = 3.5625. Dragonfly leads from 11/19 = 0.5789 on.
    r = check_claim(WeightClaim("throughput-scaling", 0.40, "dragonfly"), W, S)
    assert not r.holds and r.winner == "valkey"
    assert r.totals == pytest.approx({"valkey": 4.4125, "redis": 3.5625, "dragonfly": 3.9875})
    assert len(r.holds_over) == 1 and r.holds_over[0] == pytest.approx((11 / 19, 1.0))
    assert r.nearest == pytest.approx(11 / 19)
    assert check_claim(WeightClaim("throughput-scaling", 0.6, "dragonfly"), W, S).holds


def test_printed_totals_are_checked_to_two_decimals() -> None:
    # redis 0.5 + 0.6 + 0.75 + 0.75 + 0.4 + 0.5 + 0.25 = 3.75, not 3.55;
    # dragonfly 0.75 + 1.0 + 0.45 + 0.6 + 0.4 + 0.3 + 0.15 = 3.65, not 3.70.
    assert not check_claim(TotalClaim("redis", 3.55), W, S).holds
    assert not check_claim(TotalClaim("dragonfly", 3.70), W, S).holds
    assert check_claim(TotalClaim("valkey", 4.55), W, S).holds


def test_the_bundled_matrix_ships_the_seed_claims_as_not_holding(seed: AdrResult) -> None:
    doc = adr_json(seed)
    weight_claims = [c for c in doc["claims"] if c["kind"] == "weight"]
    assert [(c["driver"], c["weight"], c["expect_winner"], c["holds"]) for c in weight_claims] == [
        ("licensing-governance", 0.05, "redis", False),
        ("throughput-scaling", 0.4, "dragonfly", False),
    ]
    assert [c["nearest_weight"] for c in weight_claims] == [None, 0.5789]
    assert weight_claims[1]["holds_over"] == [[0.5789, 1.0]]
    totals = {
        c["option"]: (c["total"], c["computed"], c["holds"])
        for c in doc["claims"]
        if c["kind"] == "total"
    }
    assert totals == {
        "valkey": (4.55, 4.55, True),
        "redis": (3.55, 3.75, False),
        "dragonfly": (3.70, 3.65, False),
    }
    md = render_markdown(seed)
    assert "Redis 8.8.0 leads at no weight of Licensing and governance from 0 to 1." in md
    assert (
        "Dragonfly 1.40.1 leads only with Throughput and scaling model from 0.5789 to 1.0000" in md
    )
    # Shown where the totals are: right under the matrix table.
    table_end = md.index("| Rank |")
    note = md.index("3.55 for Redis 8.x. The matrix gives 3.75: the printed figure is wrong.")
    assert table_end < note < md.index("## Sensitivity")
    assert "3.70 for Dragonfly. The matrix gives 3.65" in render_html(seed).replace("&#x27;", "'")


def test_claims_with_unknown_names_are_matrix_errors(tmp_path: Path) -> None:
    from policycheck.adr import check_matrix

    path = tmp_path / "m.yaml"
    path.write_text(
        "drivers:\n  - {id: speed, name: Speed, weight: 1.0}\n"
        "options:\n  valkey: {label: V, scores: {speed: {score: 3}}}\n"
        "claims:\n  - {driver: cost, weight: 0.5, expect_winner: valkey}\n"
        "  - {option: redis, total: 3.0}\n",
        encoding="utf-8",
    )
    errors = check_matrix(str(path))
    assert isinstance(errors, list)
    assert [(e.message, e.line) for e in errors] == [
        ("claim 1 names unknown driver 'cost'", 6),
        ("claim 2 names option 'redis', which the matrix does not score", 7),
    ]


# -- what-if -------------------------------------------------------------------------------------


def test_what_if_ranks_at_the_asked_weights() -> None:
    w = what_if(W, S, {"throughput-scaling": 0.4})
    assert w.ranking == ["valkey", "dragonfly", "redis"]
    assert w.totals == pytest.approx({"valkey": 4.4125, "redis": 3.5625, "dragonfly": 3.9875})
    # Throughput 0.7 (others x 0.3/0.8 = 0.375): dragonfly 3.5 + 0.375*2.65 = 4.49375,
    # valkey 2.8 + 0.375*3.75 = 4.20625: Dragonfly first.
    assert what_if(W, S, {"throughput-scaling": 0.7}).ranking[0] == "dragonfly"


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        (["speed=0.4"], "unknown driver 'speed'"),
        (["throughput-scaling"], "is not DRIVER=WEIGHT"),
        (["throughput-scaling=lots"], "'lots' is not a number"),
        (["throughput-scaling=1.5"], "the weight must be between 0 and 1"),
        (["ecosystem=0.7", "clustering-ha=0.5"], "sum to 1.2, more than 1"),
        (["ecosystem=0.1", "ecosystem=0.2"], "gives driver 'ecosystem' twice"),
    ],
)
def test_what_if_mistakes_are_input_errors(asked: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_adr(LATEST, load_policy("default"), None, AS_OF, what_if=asked)


def test_what_if_accepts_percentages_and_renders(seed: AdrResult) -> None:
    result = build_adr(
        LATEST, load_policy("default"), None, AS_OF, what_if=["throughput-scaling=40%"]
    )
    assert result.what_if.weights["throughput-scaling"] == pytest.approx(0.4)
    md = render_markdown(result)
    assert "## What if" in md
    assert (
        "Ranking: 1. Valkey 9.1.0 (4.41), 2. Dragonfly 1.40.1 (3.99), 3. Redis 8.8.0 (3.56)." in md
    )
    assert adr_json(result)["what_if"]["ranking"] == ["valkey", "dragonfly", "redis"]
    assert adr_json(seed)["what_if"] is None


def test_three_lines_crossing_at_one_weight_leave_no_sliver() -> None:
    """o0, o1 and o2 tie at d0 = 2/3; past it o1 leads, and the path says so."""
    weights = {"d0": 0.2, "d1": 0.8}
    scores = {
        "o0": {"d0": 2.0, "d1": 3.0},
        "o1": {"d0": 3.0, "d1": 1.0},
        "o2": {"d0": 1.0, "d1": 5.0},
    }
    segs = segments(weights, scores, "d0")
    assert [s.winner for s in segs] == ["o2", "o1"]
    assert segs[0].high == pytest.approx(2 / 3)
    root = decision_tree(weights, scores)
    assert isinstance(root, Question) and isinstance(root.yes, Leaf)
    assert root.yes.option == "o1" and root.threshold == pytest.approx(2 / 3)
