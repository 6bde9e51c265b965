"""Findings worked out once per component and handed out as copies; the catalog's
remembered release lines answer as the scan over all releases does."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from policycheck.catalog import Engine, Release, catalog
from policycheck.evaluate import Evaluator
from policycheck.model import Component, Location
from policycheck.policy import load_policy

AS_OF = dt.date(2026, 12, 1)
ENGINES = sorted(catalog().engines)


def fresh(component: Component) -> dict[str, object]:
    """The finding from an evaluator that has judged nothing before, as JSON."""
    return Evaluator(load_policy("default"), AS_OF).evaluate(component).to_json()


def test_the_same_release_at_two_places_differs_only_in_location() -> None:
    evaluator = Evaluator(load_policy("default"), AS_OF)
    here = Component("redis", "7.4.0", Location("a/values.yaml", 3, "tag: 7.4.0"))
    there = replace(here, location=Location("b/compose.yaml", 9, "image: redis:7.4.0"))
    first, second = evaluator.evaluate(here), evaluator.evaluate(there)
    assert first.location == here.location and second.location == there.location
    assert {**first.to_json(), "location": None} == {**second.to_json(), "location": None}
    assert second.to_json() == fresh(there)


def test_a_caller_changing_its_finding_changes_no_other() -> None:
    """The waiver ledger and the alternatives change the finding they are given."""
    evaluator = Evaluator(load_policy("default"), AS_OF)
    component = Component("redis", "7.4.0", Location("values.yaml", 1))
    first = evaluator.evaluate(component)
    expected = copy.deepcopy(first.to_json())
    first.rationale.append("waived")
    first.rules.append("W-1")
    first.notes.clear()
    first.confirm.clear()
    first.suggestions.append({"engine": "valkey"})
    assert first.governance is not None
    first.governance["changed"] = True
    assert evaluator.evaluate(component).to_json() == expected


def test_what_the_component_says_of_itself_is_part_of_the_memo() -> None:
    """Context, notes, provider and the unresolved reason change the finding: a component
    differing in them is judged again, not served another's finding."""
    evaluator = Evaluator(load_policy("default"), AS_OF)
    base = Component("redis", "7.4.0", Location("x.yaml", 1))
    variants = [
        base,
        replace(base, context="ci"),
        replace(base, notes=("pulled through a mirror",)),
        replace(base, provider="aws-elasticache"),
        replace(base, floating=True),
        replace(base, disabled="sentinel.enabled is false"),
        replace(base, declared_license="BSD-3-Clause"),
        replace(base, version=None, unresolved="templated tag"),
    ]
    for component in variants + variants[::-1]:
        assert evaluator.evaluate(component).to_json() == fresh(component)


@given(st.data())
def test_one_evaluator_answers_as_fresh_ones_do(data: st.DataObject) -> None:
    evaluator = Evaluator(load_policy("default"), AS_OF)
    for _ in range(3):
        engine = catalog().engines[data.draw(st.sampled_from(ENGINES))]
        text = data.draw(
            st.sampled_from([rel.text for rel, _ in engine.releases] or [engine.newest_known.text])
            | st.sampled_from(["latest", "7.2", "1.0", "99.1.0", "7.4.0-v3", "x"])
        )
        line = data.draw(st.integers(1, 50))
        component = Component(engine.id, text, Location("f.yaml", line))
        assert evaluator.evaluate(component).to_json() == fresh(component)


def newest_by_scan(engine: Engine, low: Version, high: Version) -> Release | None:
    """The answer before it was remembered: every release scanned each time."""
    inside = [rel for rel, _ in engine.releases if low <= rel.version < high]
    final = [r for r in inside if not r.version.is_prerelease]
    pool = final or inside
    return max(pool) if pool else None


def test_remembered_lines_and_release_sets_answer_as_the_scan() -> None:
    for engine in catalog().engines.values():
        lines = {(*rel.version.release, 0)[:2] for rel, _ in engine.releases} | {(0, 0), (99, 1)}
        for major, minor in sorted(lines):
            low, high = Version(f"{major}.{minor}"), Version(f"{major}.{minor + 1}")
            for _ in range(2):  # the remembered answer, then again from the memo
                assert engine.newest_in_line(low, high) == newest_by_scan(engine, low, high)
        for rel, _ in engine.releases:
            base = rel.version.base_version
            for v in (rel.version, Version(f"{base}.1"), Version(f"{base}rc9")):
                by_scan = engine._recorded_span(v) and not engine.past_its_line(v)
                by_scan = by_scan and all(r.version != v for r, _ in engine.releases)
                assert engine.never_released(v) == by_scan
