"""SPDX expression parsing and the OR/AND semantics of the evaluator."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.catalog import catalog
from policycheck.evaluate import Evaluator, ReleaseFacts
from policycheck.expression import AllOf, AnyOf, ExpressionSyntaxError, Lic, Node, parse
from policycheck.policy import Verdict, load_policy

KNOWN = [
    "BSD-3-Clause",
    "MIT",
    "Apache-2.0",
    "AGPL-3.0-only",
    "SSPL-1.0",
    "LicenseRef-scancode-rsalv2",
    "BUSL-1.1",
    "GPL-3.0-only",
    "MPL-2.0",
]


def test_aliases_normalise_to_record_ids() -> None:
    assert parse("RSALv2 OR SSPL-1.0") == AnyOf(
        (Lic("LicenseRef-scancode-rsalv2"), Lic("SSPL-1.0"))
    )
    assert parse("BSD 3-Clause") == Lic("BSD-3-Clause")


def test_with_exception_travels_with_its_license() -> None:
    node = parse("GPL-2.0-only WITH Classpath-exception-2.0 AND MIT")
    assert node == AllOf((Lic("GPL-2.0-only", "Classpath-exception-2.0"), Lic("MIT")))


def test_nested_or_is_flattened() -> None:
    assert parse("A OR (B OR C)") == AnyOf((Lic("A"), Lic("B"), Lic("C")))


@pytest.mark.parametrize("bad", ["", "   ", "MIT OR", "(MIT", "MIT AND AND BSD-3-Clause"])
def test_syntax_errors_are_reported(bad: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        parse(bad)


leaves = st.sampled_from(KNOWN).map(Lic)
trees: st.SearchStrategy[Node] = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: AllOf(tuple(xs))),
    ),
    max_leaves=6,
)


def _evaluator() -> tuple[Evaluator, ReleaseFacts]:
    engine = catalog().get("redis")
    assert engine is not None
    facts = ReleaseFacts(engine, engine.newest_known.version, engine.ranges[-1], True, None)
    return Evaluator(load_policy("default"), dt.date(2026, 11, 27)), facts


@settings(max_examples=150, deadline=None)
@given(trees)
def test_rendering_round_trips(tree: Node) -> None:
    reparsed = parse(str(tree))
    assert _verdict(reparsed) == _verdict(tree)
    assert str(parse(str(reparsed))) == str(reparsed)


def _verdict(node: Node) -> Verdict:
    ev, facts = _evaluator()
    return ev._node(node, facts, False, None).verdict


@settings(max_examples=150, deadline=None)
@given(st.lists(trees, min_size=2, max_size=4))
def test_or_elects_the_best_and_and_takes_the_worst(parts: list[Node]) -> None:
    verdicts = [_verdict(p) for p in parts]
    assert _verdict(AnyOf(tuple(parts))) == min(verdicts)
    assert _verdict(AllOf(tuple(parts))) == max(verdicts)


@settings(max_examples=100, deadline=None)
@given(st.lists(trees, min_size=2, max_size=4), st.randoms())
def test_verdict_does_not_depend_on_order(parts: list[Node], rnd: object) -> None:
    shuffled = list(parts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _verdict(AnyOf(tuple(parts))) == _verdict(AnyOf(tuple(shuffled)))
    assert _verdict(AllOf(tuple(parts))) == _verdict(AllOf(tuple(shuffled)))


def test_unknown_license_is_never_allowed() -> None:
    assert _verdict(Lic("LicenseRef-made-up")) == Verdict.REVIEW
    # an unknown alternative cannot win over a known allow, and never drags it to allow
    assert _verdict(AnyOf((Lic("LicenseRef-made-up"), Lic("MIT")))) == Verdict.ALLOW
    assert _verdict(AllOf((Lic("LicenseRef-made-up"), Lic("MIT")))) == Verdict.REVIEW


def test_spdx_exception_adds_permission_but_licenseref_exception_is_reviewed() -> None:
    assert _verdict(Lic("GPL-3.0-only", "Classpath-exception-2.0")) == _verdict(Lic("GPL-3.0-only"))
    assert _verdict(Lic("Apache-2.0")) == Verdict.ALLOW
    assert _verdict(Lic("Apache-2.0", "LicenseRef-scancode-commons-clause")) == Verdict.REVIEW
