"""SARIF output: valid against the OASIS schema, and shaped for GitHub code scanning."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from policycheck.errors import InputError
from policycheck.evaluate import Evaluator
from policycheck.formats import all_formats
from policycheck.formats.sarif import (
    FINGERPRINT_KEY,
    FORMAT,
    SYNTHETIC_RULES,
    SarifFormat,
    deciding_rule_id,
    fingerprint,
    with_allow,
)
from policycheck.knowledge import Use
from policycheck.model import Component, Finding, Location
from policycheck.policy import Policy, Verdict
from policycheck.report import Report

AS_OF = dt.date(2026, 11, 27)
SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)


def evaluate(policy: Policy, *components: Component) -> list[Finding]:
    """Findings from the real evaluator, so the formatter sees what the CLI sees."""
    evaluator = Evaluator(policy, AS_OF)
    return [evaluator.evaluate(c) for c in components]


def at(path: str, line: int | None, text: str | None = None) -> Location:
    return Location(path, line, text)


@pytest.fixture
def report(default_policy: Policy) -> Report:
    """Command-line and manifest findings of every verdict, plus an input error."""
    findings = evaluate(
        default_policy,
        Component("redis", "7.4.0"),
        Component("foo", "1"),
        Component("valkey", "8.0.1", at("deploy/docker-compose.yml", 5, "image: valkey:8.0.1")),
        Component("redis", "8.2.1", at("k8s/redis.yaml", 12, "image: redis:8.2.1")),
        Component("dragonfly", None, at("deploy/docker-compose.yml", 9), unresolved="no tag"),
    )
    errors = [InputError("not valid YAML", "broken/values.yaml", 3, "fix the indentation")]
    return Report(default_policy, AS_OF, findings, errors)


@pytest.fixture
def deny_report(default_policy: Policy) -> Report:
    """Offering Redis 7.4 as a managed service is restricted by RSALv2 and SSPL: deny."""
    policy = default_policy.with_uses((Use.INTERNAL, Use.SAAS, Use.MANAGED_SERVICE))
    findings = evaluate(policy, Component("redis", "7.4.0", at("k8s/cache.yaml", 20)))
    return Report(policy, AS_OF, findings)


def log_of(report: Report, fmt: SarifFormat = FORMAT) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(fmt.render(report))
    return log


def results_of(report: Report, fmt: SarifFormat = FORMAT) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = log_of(report, fmt)["runs"][0]["results"]
    return results


def by_target(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["locations"][0]["logicalLocations"][0]["name"]: r for r in results}


# -- schema ----------------------------------------------------------------------------


@pytest.mark.parametrize("include_allow", [False, True])
def test_log_is_valid_sarif_2_1_0(report: Report, include_allow: bool) -> None:
    log = log_of(report, SarifFormat(include_allow=include_allow))
    errors = sorted(Draft4Validator(SCHEMA).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert log["version"] == "2.1.0"


def test_deny_log_is_valid_and_an_error(deny_report: Report) -> None:
    log = log_of(deny_report)
    assert not list(Draft4Validator(SCHEMA).iter_errors(log))
    (result,) = log["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("deny-restricted-use", "error")


def test_empty_report_is_valid(default_policy: Policy) -> None:
    log = log_of(Report(default_policy, AS_OF, []))
    assert not list(Draft4Validator(SCHEMA).iter_errors(log))
    assert log["runs"][0]["results"] == []


# -- tool and rules --------------------------------------------------------------------


def test_driver_has_one_rule_per_policy_rule_then_synthetic(report: Report) -> None:
    driver = log_of(report)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "policycheck"
    assert "informationUri" not in driver
    ids = [r["id"] for r in driver["rules"]]
    policy_ids = [r.id for r in report.policy.rules]
    assert ids == [*policy_ids, "policy-default", *(s.id for s in SYNTHETIC_RULES)]
    assert {"fail-closed-unknown-engine", "fail-closed-unresolved-version"} <= set(ids)


def test_rule_descriptors_carry_rationale_and_level(report: Report) -> None:
    rules = {r["id"]: r for r in log_of(report)["runs"][0]["tool"]["driver"]["rules"]}
    expected_level = {Verdict.DENY: "error", Verdict.REVIEW: "warning", Verdict.ALLOW: "note"}
    for rule in report.policy.rules:
        d = rules[rule.id]
        assert d["fullDescription"]["text"] == rule.rationale
        assert d["defaultConfiguration"]["level"] == expected_level[rule.verdict]
        assert rule.rationale in d["help"]["text"]
        assert rule.rationale in d["help"]["markdown"]
        assert d["shortDescription"]["text"].startswith(f"{rule.verdict}: ")
    assert report.policy.default_rationale in rules["policy-default"]["fullDescription"]["text"]


def test_results_point_at_their_rule(report: Report) -> None:
    log = log_of(report, with_allow())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


# -- which findings, at what level -----------------------------------------------------


def test_allow_is_excluded_by_default(report: Report) -> None:
    assert FORMAT.include_allow is False
    results = by_target(results_of(report))
    assert "valkey@8.0.1" not in results
    assert {r["level"] for r in results.values()} == {"warning"}
    assert len(results) == sum(1 for f in report.findings if f.verdict > Verdict.ALLOW)


def test_with_allow_includes_allow_as_note(report: Report) -> None:
    fmt = with_allow()
    assert fmt.include_allow is True and fmt.name == "sarif"
    results = by_target(results_of(report, fmt))
    assert len(results) == len(report.findings)
    valkey = results["valkey@8.0.1"]
    assert (valkey["level"], valkey["ruleId"]) == ("note", "allow-permissive")


def test_discovered_format_is_the_default_instance() -> None:
    assert all_formats()["sarif"] is FORMAT


def test_rule_of_each_finding(report: Report) -> None:
    results = by_target(results_of(report))
    assert results["redis@7.4.0"]["ruleId"] == "review-not-osi"
    assert results["redis@8.2.1"]["ruleId"] == "review-network-copyleft"
    assert results["foo@1"]["ruleId"] == "fail-closed-unknown-engine"
    assert results["dragonfly@unknown-version"]["ruleId"] == "fail-closed-unresolved-version"


# -- deciding rule ---------------------------------------------------------------------


def finding(**changes: Any) -> Finding:
    """A hand-built finding of a known engine with a known license."""
    base = Finding(
        engine="valkey",
        version="8.1.1",
        requested="8.1.1",
        verdict=Verdict.REVIEW,
        rationale=["Valkey 8.1.1 is licensed BSD-3-Clause."],
        license="BSD-3-Clause",
        effective_license="BSD-3-Clause",
    )
    return replace(base, **changes)


def test_highest_verdict_rule_decides(default_policy: Policy) -> None:
    f = finding(rules=["allow-permissive", "review-unpinned", "review-not-osi"])
    # Both review rules fired; the first in policy order names the alert.
    assert deciding_rule_id(f, default_policy) == "review-not-osi"


def test_default_decides_when_no_rule_fired(default_policy: Policy) -> None:
    f = finding(rules=[], rationale=["No rule of policy default matched; its default applies."])
    assert deciding_rule_id(f, default_policy) == "policy-default"


def test_unknown_license_decides_when_rules_are_milder(default_policy: Policy) -> None:
    f = finding(
        license="LicenseRef-not-known",
        effective_license="LicenseRef-not-known",
        rules=["allow-permissive", "fail-closed-unknown-license"],
    )
    assert deciding_rule_id(f, default_policy) == "fail-closed-unknown-license"


def test_raised_verdict_is_fail_closed(default_policy: Policy) -> None:
    f = finding(
        rules=["allow-permissive", "fail-closed-newer-than-known"],
        rationale=["Raised to review: the license of an unverified release is an assumption."],
    )
    assert deciding_rule_id(f, default_policy) == "fail-closed-newer-than-known"


def test_uncatalogued_version(default_policy: Policy) -> None:
    f = finding(
        license=None,
        effective_license=None,
        resolved=True,
        rules=["fail-closed-uncatalogued-version"],
    )
    assert deciding_rule_id(f, default_policy) == "fail-closed-uncatalogued-version"


def test_waiver_keeps_the_rule_that_fired(default_policy: Policy) -> None:
    f = finding(
        verdict=Verdict.ALLOW,
        rules=["review-not-osi"],
        waiver={"id": "W1", "status": "active", "original_verdict": "review"},
    )
    assert deciding_rule_id(f, default_policy) == "review-not-osi"


# -- locations -------------------------------------------------------------------------


def test_file_finding_has_relative_uri_and_line(report: Report) -> None:
    loc = by_target(results_of(report))["redis@8.2.1"]["locations"][0]
    physical = loc["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "k8s/redis.yaml", "uriBaseId": "%SRCROOT%"}
    assert physical["region"]["startLine"] == 12
    assert physical["region"]["snippet"]["text"] == "image: redis:8.2.1"


def test_command_line_finding_gets_pseudo_path_and_logical_location(report: Report) -> None:
    loc = by_target(results_of(report))["redis@7.4.0"]["locations"][0]
    # GitHub rejects results without a physical location, so the target text stands in.
    assert loc["physicalLocation"] == {"artifactLocation": {"uri": "redis@7.4.0"}}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "redis@7.4.0"


@pytest.mark.parametrize(
    ("path", "artifact"),
    [
        (".\\deploy\\compose.yml", {"uri": "deploy/compose.yml", "uriBaseId": "%SRCROOT%"}),
        ("./my stack/a b.yml", {"uri": "my%20stack/a%20b.yml", "uriBaseId": "%SRCROOT%"}),
        ("/srv/app/compose.yml", {"uri": "file:///srv/app/compose.yml"}),
        ("C:\\app\\compose.yml", {"uri": "file:///C:/app/compose.yml"}),
    ],
)
def test_paths_become_forward_slash_uris(
    default_policy: Policy, path: str, artifact: dict[str, str]
) -> None:
    f = finding(location=at(path, None), rules=["review-not-osi"])
    (result,) = results_of(Report(default_policy, AS_OF, [f]))
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == artifact
    assert "region" not in physical


# -- fingerprints ----------------------------------------------------------------------


def test_fingerprint_ignores_the_line() -> None:
    one = finding(location=at("compose.yml", 3))
    moved = finding(location=at("compose.yml", 40))
    assert fingerprint(one, "review-not-osi") == fingerprint(moved, "review-not-osi")


@pytest.mark.parametrize(
    "change",
    [
        {"engine": "redis"},
        {"requested": "8.1"},
        {"location": at("other.yml", 3)},
    ],
)
def test_fingerprint_changes_with_engine_version_or_path(change: dict[str, Any]) -> None:
    base = finding(location=at("compose.yml", 3))
    assert fingerprint(base, "r") != fingerprint(replace(base, **change), "r")
    assert fingerprint(base, "r") != fingerprint(base, "other-rule")


def test_result_fingerprint_survives_line_moves(default_policy: Policy) -> None:
    def fp(line: int) -> str:
        f = finding(location=at("compose.yml", line), rules=["review-not-osi"])
        (result,) = results_of(Report(default_policy, AS_OF, [f]))
        return str(result["partialFingerprints"][FINGERPRINT_KEY])

    assert fp(3) == fp(30)
    assert fp(3).endswith(":1")


def test_identical_findings_in_one_file_get_distinct_fingerprints(
    default_policy: Policy,
) -> None:
    twins = [finding(location=at("compose.yml", line), rules=["review-not-osi"]) for line in (3, 9)]
    results = results_of(Report(default_policy, AS_OF, twins))
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in results]
    assert prints[0].split(":")[0] == prints[1].split(":")[0]
    assert [p.split(":")[1] for p in prints] == ["1", "2"]


# -- messages --------------------------------------------------------------------------


def test_message_has_verdict_target_license_and_deciding_lines(report: Report) -> None:
    text = by_target(results_of(report))["redis@7.4.0"]["message"]["text"]
    head, *lines = text.split("\n")
    assert head.startswith("review: redis@7.4.0, license LicenseRef-scancode-rsalv2 OR SSPL-1.0")
    assert "elected LicenseRef-scancode-rsalv2" in head
    assert lines == [
        "Rule review-not-osi (review): The license is not OSI-approved open source; its "
        "field-of-use limits need legal sign-off."
    ]


def test_message_keeps_special_characters(default_policy: Policy) -> None:
    line = 'Rule review-not-osi (review): 100% "odd", <b>\r\nsplit: yes'
    f = finding(rules=["review-not-osi"], rationale=["intro", line], location=at("a,b:c.yml", 1))
    (result,) = results_of(Report(default_policy, AS_OF, [f]))
    assert result["message"]["text"].split("\n", 1)[1] == line
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a,b%3Ac.yml"


# -- input errors and determinism ------------------------------------------------------


def test_input_errors_are_tool_notifications(report: Report) -> None:
    (invocation,) = log_of(report)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert "not valid YAML" in note["message"]["text"]
    physical = note["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "broken/values.yaml"
    assert physical["region"]["startLine"] == 3


def test_render_is_deterministic(report: Report, default_policy: Policy) -> None:
    first = FORMAT.render(report)
    assert first == FORMAT.render(report)
    located = [f for f in report.findings if f.location is not None]
    shuffled = Report(default_policy, AS_OF, list(reversed(located)), report.errors)
    assert FORMAT.render(shuffled) == FORMAT.render(
        Report(default_policy, AS_OF, located, report.errors)
    )
    assert first.endswith("}\n")


def test_fail_closed_message_leaves_out_milder_rules(default_policy: Policy) -> None:
    raised = "Raised to review: the license of an unverified release is an assumption."
    f = finding(
        rules=["allow-permissive", "fail-closed-newer-than-known"],
        rationale=["intro", "Rule allow-permissive (allow): Permissive.", raised],
    )
    (result,) = results_of(Report(default_policy, AS_OF, [f]))
    assert result["ruleId"] == "fail-closed-newer-than-known"
    assert result["message"]["text"].split("\n")[1:] == [raised]


def test_message_names_every_rule_at_the_deciding_verdict(default_policy: Policy) -> None:
    lines = [
        "Rule review-not-osi (review): Not OSI.",
        "Rule review-unpinned (review): Floating.",
        "Rule allow-permissive (allow): Permissive.",
    ]
    f = finding(rules=["allow-permissive", "review-not-osi", "review-unpinned"], rationale=lines)
    (result,) = results_of(Report(default_policy, AS_OF, [f]))
    assert result["message"]["text"].split("\n")[1:] == lines[:2]
