"""Versions that name no release are reviewed, whatever range they fall in."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.catalog import catalog
from policycheck.evaluate import Evaluator
from policycheck.model import Component, Finding
from policycheck.policy import Verdict, load_policy

AS_OF = dt.date(2026, 11, 27)


def run(engine: str, version: str, policy: str = "default") -> Finding:
    return Evaluator(load_policy(policy), AS_OF).evaluate(Component(engine, version))


@pytest.mark.parametrize(
    ("engine", "version", "newest_in_line"),
    [
        ("redis", "7.2.99", "7.2.14"),
        ("redis", "7.2.15", "7.2.14"),
        ("redis", "7.2.4.1", "7.2.14"),
        ("redis", "7.2.4rc1", "7.2.14"),
        ("redis", "7.2.4-rc1", "7.2.14"),
        ("valkey", "8.1.99", "8.1.7"),
        ("valkey", "7.2.4", "7.2.13"),  # Valkey's first GA is 7.2.5; 7.2.4 only as -rc1
        ("dragonfly", "v1.25.99", "1.25.7"),
    ],
)
def test_a_version_where_every_release_is_recorded_but_none_is_reviewed(
    engine: str, version: str, newest_in_line: str
) -> None:
    for policy in ("default", "permissive-only", "osi-only", "managed-service-provider"):
        finding = run(engine, version, policy)
        assert finding.verdict == Verdict.REVIEW, policy
        assert finding.version is None and not finding.resolved
        assert finding.requested == version
        assert (
            f"the newest release of the {newest_in_line.rsplit('.', 1)[0]} line is "
            in (finding.rationale[0])
        )
        assert finding.rationale[0].split(" line is ")[1].startswith(newest_in_line)


def test_versions_before_the_evidence_are_not_assumed() -> None:
    finding = run("redis", "0.25.0")
    assert finding.verdict == Verdict.REVIEW
    assert "No catalogued license range of Redis covers version 0.25.0" in finding.rationale[0]


@pytest.mark.parametrize(
    ("engine", "version"), [("redis", "6.0.16"), ("redis", "7.2.14"), ("valkey", "7.2.4-rc1")]
)
def test_recorded_and_older_releases_are_judged_as_before(engine: str, version: str) -> None:
    assert run(engine, version).verdict == Verdict.ALLOW


@given(st.data())
def test_every_recorded_release_is_a_release(data: st.DataObject) -> None:
    engine = catalog().engines[data.draw(st.sampled_from(["redis", "valkey", "dragonfly"]))]
    release, _ = data.draw(st.sampled_from(engine.releases))
    assert not engine.never_released(release.version)
    assert run(engine.id, release.text).resolved
