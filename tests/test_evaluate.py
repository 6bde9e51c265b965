"""Verdicts at the version boundaries, BUSL conversion, fail-closed cases, bundled policies."""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest

from policycheck.catalog import BuildSuffix, Evidence, catalog
from policycheck.evaluate import Evaluator, add_years
from policycheck.model import Component, Finding
from policycheck.policy import Verdict, load_policy

AS_OF = dt.date(2026, 11, 27)


def run(engine: str, version: str, policy: str = "default", as_of: dt.date = AS_OF) -> Finding:
    return Evaluator(load_policy(policy), as_of).evaluate(Component(engine, version))


@pytest.mark.parametrize(
    ("version", "license"),
    [
        ("7.2.14", "BSD-3-Clause"),
        ("7.2.4", "BSD-3-Clause"),
        ("6.0.10", "BSD-3-Clause"),
        ("7.4-rc1", "LicenseRef-scancode-rsalv2 OR SSPL-1.0"),
        ("7.4.0", "LicenseRef-scancode-rsalv2 OR SSPL-1.0"),
        ("7.4.9", "LicenseRef-scancode-rsalv2 OR SSPL-1.0"),
        ("8.0-m01", "LicenseRef-scancode-rsalv2 OR SSPL-1.0"),
        ("8.0-rc1", "LicenseRef-scancode-rsalv2 OR SSPL-1.0"),
        ("8.0.0", "LicenseRef-scancode-rsalv2 OR SSPL-1.0 OR AGPL-3.0-only"),
        ("8.8.0", "LicenseRef-scancode-rsalv2 OR SSPL-1.0 OR AGPL-3.0-only"),
    ],
)
def test_redis_boundaries(version: str, license: str) -> None:
    assert run("redis", version).license == license


def test_redis_verdicts_under_default_policy() -> None:
    assert run("redis", "7.2.14").verdict == Verdict.ALLOW
    f74 = run("redis", "7.4.0")
    assert f74.verdict == Verdict.REVIEW
    assert "review-not-osi" in f74.rules
    f80 = run("redis", "8.0.0")
    assert f80.elected == "AGPL-3.0-only"
    assert any("OSI-approved" in a.reason for a in f80.alternatives if not a.elected)
    assert any("GPLv3 body" in n for n in f80.notes)


def test_managed_service_provider_denies_redis_74_but_elects_agpl_on_8() -> None:
    f74 = run("redis", "7.4.0", "managed-service-provider")
    assert f74.verdict == Verdict.DENY
    assert {r.use for r in f74.restrictions} == {"managed-service"}
    f8 = run("redis", "8.2.1", "managed-service-provider")
    assert f8.verdict == Verdict.REVIEW
    assert f8.elected == "AGPL-3.0-only"
    # AGPL section 13: the source offer is triggered by modification, not by hosting alone
    assert [(o.license, o.use) for o in f8.obligations] == [("AGPL-3.0-only", "modification")]
    losers = {a.license: a for a in f8.alternatives if not a.elected}
    assert losers["SSPL-1.0"].verdict == Verdict.DENY


@pytest.mark.parametrize(
    ("version", "change_date", "years"),
    [
        ("v1.16.1", dt.date(2028, 3, 15), 5),
        ("v1.17.0", dt.date(2028, 9, 1), 4),
        ("v1.40.1", dt.date(2030, 11, 1), 4),
    ],
)
def test_dragonfly_bands(version: str, change_date: dt.date, years: int) -> None:
    engine = catalog().get("dragonfly")
    assert engine is not None
    f = run("dragonfly", version)
    assert f.license == "BUSL-1.1"
    rng = engine.range_for(engine.newest_known.version if version == "v1.40.1" else _v(version))
    assert rng is not None and rng.busl is not None
    assert rng.busl.change_date == change_date
    assert rng.busl.anniversary_years == years


def _v(text: str):  # type: ignore[no-untyped-def]
    from policycheck.versions import parse_version

    return parse_version(text)


def test_busl_conversion_uses_the_earlier_anniversary() -> None:
    # v1.40.1 was tagged 2026-08-06: the fourth anniversary (2030-08-06) precedes the
    # Change Date (2030-11-01), so it converts on the anniversary.
    f = run("dragonfly", "v1.40.1")
    assert f.converts == {"date": "2030-08-06", "to": "Apache-2.0"}
    line = next(line for line in f.rationale if "converts to Apache-2.0" in line)
    assert "converts to Apache-2.0 on or after 2030-08-06" in line
    assert "first public distribution" in line and "tag commit" in line


def test_busl_conversion_on_the_change_date_is_not_hedged() -> None:
    # v1.20.0 was tagged 2024-07-08: its fourth anniversary (2028-07-08) precedes the
    # Change Date (2028-09-01); v1.25.7 (2025-02-09) converts on the Change Date itself.
    f = run("dragonfly", "v1.25.7")
    line = next(line for line in f.rationale if "converts to Apache-2.0" in line)
    assert "converts to Apache-2.0 on 2028-09-01" in line
    assert "on or after" not in line


def test_busl_conversion_either_side_of_the_date() -> None:
    before = run("dragonfly", "v1.40.1", as_of=dt.date(2030, 8, 5))
    after = run("dragonfly", "v1.40.1", as_of=dt.date(2030, 8, 6))
    assert before.effective_license == "BUSL-1.1" and before.converts is not None
    assert before.verdict == Verdict.REVIEW
    assert after.effective_license == "Apache-2.0" and after.converts is None
    assert after.verdict == Verdict.ALLOW
    assert after.license == "BUSL-1.1"  # the release's own expression is kept


def test_dragonfly_grant_restricts_managed_service() -> None:
    f = run("dragonfly", "v1.25.0", "managed-service-provider")
    assert f.verdict == Verdict.DENY
    assert any(r.use == "managed-service" for r in f.restrictions)
    # under internal+saas the grant (not the bare BUSL base grant) applies: no restriction
    assert run("dragonfly", "v1.25.0").restrictions == []


def test_add_years_handles_leap_day() -> None:
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)


@pytest.mark.parametrize(
    ("version", "license"),
    [
        ("2.0.6", "BSD-3-Clause"),
        ("2.1.0", "Apache-2.0"),
        ("2.10.1", "Apache-2.0"),
        ("1.2.0", "MIT"),
    ],
)
def test_kvrocks_eras(version: str, license: str) -> None:
    assert run("kvrocks", version).license == license


def test_fail_closed_cases() -> None:
    unknown_engine = run("redict", "7.3.0")
    assert unknown_engine.verdict == Verdict.REVIEW and not unknown_engine.resolved
    not_a_version = run("redis", "e2e")
    assert not_a_version.verdict == Verdict.REVIEW and not_a_version.license is None
    newer = run("valkey", "9.1.1")
    assert newer.verdict == Verdict.REVIEW
    assert any("newer than the newest release verified" in n for n in newer.notes)
    below = run("valkey", "7.0.0")
    assert below.verdict == Verdict.REVIEW and below.license is None


def test_floating_versions_resolve_to_newest_release_and_are_unpinned() -> None:
    f = run("redis", "7.2")
    assert f.version == "7.2.14" and not f.pinned
    assert f.verdict == Verdict.REVIEW and "review-unpinned" in f.rules
    latest = run("valkey", "latest")
    assert latest.version == "9.1.0" and not latest.pinned
    spans = run("redis", "7")
    assert not spans.resolved and spans.verdict == Verdict.REVIEW


ENGINES = sorted(catalog().engines)
POLICIES = ["default", "permissive-only", "osi-only", "managed-service-provider"]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("engine", ENGINES)
def test_every_bundled_policy_on_every_catalogued_release(policy: str, engine: str) -> None:
    """Each known release gets a verdict with a rationale naming its license and a rule."""
    e = catalog().engines[engine]
    ev = Evaluator(load_policy(policy), AS_OF)
    for release, _ in e.releases:
        f = ev.evaluate(Component(engine, release.text))
        assert f.resolved and f.license is not None
        assert f.rationale and f.license in f.rationale[0]
        assert f.rules or any("default applies" in r for r in f.rationale)
        if policy == "permissive-only" and f.verdict == Verdict.ALLOW:
            assert f.effective_license in ("BSD-3-Clause", "MIT", "Apache-2.0")
        if (
            policy == "managed-service-provider"
            and f.effective_license
            and f.effective_license == "SSPL-1.0"
        ):
            assert f.verdict == Verdict.DENY


EXPECTED_DEFAULT = {
    ("redis", "7.2.4"): Verdict.ALLOW,
    ("redis", "7.4.0"): Verdict.REVIEW,
    ("valkey", "8.0.1"): Verdict.ALLOW,
    ("valkey", "8.1.1"): Verdict.REVIEW,  # read only from a fork: not verified at tags
    ("dragonfly", "v1.25.0"): Verdict.REVIEW,
    ("keydb", "v6.3.4"): Verdict.ALLOW,
    ("garnet", "v2.1.4"): Verdict.ALLOW,
    ("memcached", "1.6.45"): Verdict.ALLOW,
}


def test_expected_default_verdicts() -> None:
    for (engine, version), verdict in EXPECTED_DEFAULT.items():
        assert run(engine, version).verdict == verdict, (engine, version)


def test_osi_only_and_permissive_only_disagree_on_agpl() -> None:
    assert run("redis", "8.2.1", "osi-only").verdict == Verdict.ALLOW
    assert run("redis", "8.2.1", "permissive-only").verdict == Verdict.DENY


def test_sbom_license_that_disagrees_with_the_catalog_is_called_out() -> None:
    ev = Evaluator(load_policy("default"), AS_OF)
    clash = ev.evaluate(Component("redis", "7.4.0", declared_license="BSD-3-Clause", origin="sbom"))
    agree = ev.evaluate(Component("redis", "7.2.4", declared_license="BSD-3-Clause", origin="sbom"))
    assert clash.notes and "BSD-3-Clause" in clash.notes[-1]
    assert any(line.startswith("Redis 7.4.0:") for line in clash.rationale)
    assert any("agrees with the catalog" in line for line in agree.rationale)


def _policycheck_imports(path: Path) -> set[str]:
    """Every policycheck module a file imports, at top level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n.startswith("policycheck"))
    return found


def test_the_evaluator_depends_on_no_input_source() -> None:
    """The core judges Components; which file format they came from must not matter to it.

    Follows every import (lazy ones too) from evaluate.py through the package, so a helper
    borrowed from a source, directly or through another core module, fails here.
    """
    package = Path(__file__).resolve().parents[1] / "policycheck"
    seen: set[str] = set()
    reached: set[str] = set()
    todo = ["policycheck.evaluate"]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")[1:]
        for candidate in (
            package.joinpath(*parts).with_suffix(".py"),
            package.joinpath(*parts, "__init__.py"),
        ):
            if candidate.is_file():
                reached.add(module)
                todo.extend(_policycheck_imports(candidate))
    assert {"policycheck.expression", "policycheck.catalog"} <= reached
    assert not {m for m in reached if m.startswith("policycheck.sources")}, sorted(reached)


def test_a_build_is_not_dated_like_its_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalog dates releases, not builds: a BUSL build converts by its Change Date only.

    Dragonfly v0.1.0 (2022-05-30) converts on its fifth anniversary, 2027-05-30, two days
    before the Change Date. A later build of it (given a build suffix for the test) is
    younger than the release, so on 2027-05-31 it must not be called converted yet.
    """
    engine = catalog().engines["dragonfly"]
    suffix = BuildSuffix(
        re.compile("-b(?P<build>[0-9]+)"),
        "A rebuild of the release.",
        Evidence(repo="example/example", file="release.yml"),
    )
    monkeypatch.setitem(catalog().engines, "dragonfly", replace(engine, build_suffix=suffix))
    day = dt.date(2027, 5, 31)
    release = run("dragonfly", "v0.1.0", as_of=day)
    build = run("dragonfly", "v0.1.0-b2", as_of=day)
    assert release.converts is None and release.effective_license == "Apache-2.0"
    assert build.version == "0.1.0" and build.requested == "v0.1.0-b2"
    assert build.converts == {"date": "2027-06-01", "to": "Apache-2.0"}
    assert build.effective_license == "BUSL-1.1"


def test_a_declared_build_suffix_wins_over_a_post_release_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``8.1.0-1`` parses as the post-release 8.1.0.post1; where the catalog declares ``-N``
    a build, it is build 1 of 8.1.0 and judged exactly as 8.1.0."""
    engine = catalog().engines["valkey"]
    suffix = BuildSuffix(
        re.compile("-(?P<build>[0-9]+)"),
        "A rebuild of the release.",
        Evidence(repo="example/example", file="release.yml"),
    )
    monkeypatch.setitem(catalog().engines, "valkey", replace(engine, build_suffix=suffix))
    build = run("valkey", "8.1.0-1")
    assert build.version == "8.1.0" and build.requested == "8.1.0-1"
    assert any(
        line.startswith("'8.1.0-1' is build 1 of the Valkey 8.1.0 line") for line in build.rationale
    )
