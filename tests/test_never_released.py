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
        ("redis", "7.2.4.1", "7.2.14"),
        ("redis", "7.2.4rc1", "7.2.14"),
        ("redis", "7.2.4-rc1", "7.2.14"),
        ("redis", "8.0.0.1", "8.0.6"),
        ("valkey", "7.2.4", "7.2.13"),  # Valkey's first GA is 7.2.5; 7.2.4 only as -rc1
        ("dragonfly", "v1.25.3.1", "1.25.7"),
    ],
)
def test_a_version_among_recorded_releases_that_is_none_of_them_is_reviewed(
    engine: str, version: str, newest_in_line: str
) -> None:
    for policy in ("default", "permissive-only", "osi-only", "managed-service-provider"):
        finding = run(engine, version, policy)
        assert finding.verdict == Verdict.REVIEW, policy
        assert finding.version is None and not finding.resolved
        assert finding.requested == version
        assert finding.rationale[0].startswith(f"No {finding.engine_name} release {version} ")
        assert finding.rationale[0].split(" line is ")[1].startswith(newest_in_line)


@pytest.mark.parametrize(
    ("engine", "version", "license"),
    [
        ("redis", "7.4.10", "LicenseRef-scancode-rsalv2 OR SSPL-1.0"),  # discourse builds it
        ("redis", "7.2.15", "BSD-3-Clause"),
        ("valkey", "8.1.99", "BSD-3-Clause"),
        ("dragonfly", "v1.25.99", "BUSL-1.1"),
    ],
)
def test_a_version_past_the_newest_of_its_line_is_an_assumption_to_review(
    engine: str, version: str, license: str
) -> None:
    """A maintained line may ship a patch after the catalog was made: its range's license
    is shown, never allowed without a person confirming the release and the license."""
    for policy in ("default", "permissive-only", "osi-only", "managed-service-provider"):
        finding = run(engine, version, policy)
        assert finding.verdict >= Verdict.REVIEW, policy
        assert finding.resolved and finding.license == license
        assert any(
            n.startswith("No ") and "newer than every recorded release of its line" in n
            for n in finding.notes
        )


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
