"""JUnit XML output: well-formed, counts that match, failures at --fail-on, safe escaping."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.evaluate import Evaluator
from policycheck.formats import all_formats
from policycheck.formats.junit import FORMAT, xml_text
from policycheck.model import Component, Finding, Location
from policycheck.policy import Policy, Verdict, load_policy
from policycheck.report import Report

AS_OF = dt.date(2026, 11, 27)
POLICY = load_policy("default")


def report_for(fail_on: Verdict, policy: Policy = POLICY) -> Report:
    """Real findings: a command-line review, a manifest allow, a manifest review, an error."""
    evaluator = Evaluator(policy, AS_OF)
    findings = [
        evaluator.evaluate(c)
        for c in (
            Component("redis", "7.4.0"),
            Component("valkey", "8.0.1", Location("deploy/docker-compose.yml", 5)),
            Component("redis", "8.2.1", Location("k8s\\redis.yaml", 12)),
        )
    ]
    errors = [
        InputError("not valid YAML", "broken/values.yaml", 3, "fix the indentation"),
        InputError("'x' is neither a file, a directory nor ENGINE@VERSION"),
    ]
    return Report(policy, AS_OF, findings, errors, fail_on=fail_on)


def parse(report: Report) -> ET.Element:
    return ET.fromstring(FORMAT.render(report).encode("utf-8"))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in root.iter("testcase")}


def finding(**changes: Any) -> Finding:
    base = Finding(
        engine="valkey",
        version="8.1.1",
        requested="8.1.1",
        verdict=Verdict.DENY,
        rationale=["Valkey 8.1.1 is licensed BSD-3-Clause."],
        license="BSD-3-Clause",
        rules=["deny-restricted-use"],
    )
    return replace(base, **changes)


def test_discovered() -> None:
    assert all_formats()["junit"] is FORMAT


@pytest.mark.parametrize("fail_on", [Verdict.REVIEW, Verdict.DENY])
def test_counts_match_the_test_cases(fail_on: Verdict) -> None:
    root = parse(report_for(fail_on))
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "policycheck"
    testcases = suite.findall("testcase")
    counted = {
        "tests": len(testcases),
        "failures": sum(1 for c in testcases if c.find("failure") is not None),
        "errors": sum(1 for c in testcases if c.find("error") is not None),
    }
    assert counted["tests"] == 5 and counted["errors"] == 2
    assert counted["failures"] == (2 if fail_on is Verdict.REVIEW else 0)
    for element in (root, suite):
        assert {k: int(element.get(k, "-1")) for k in counted} == counted


def test_review_fails_only_when_fail_on_review() -> None:
    strict = cases(parse(report_for(Verdict.REVIEW)))["redis@7.4.0"]
    lenient = cases(parse(report_for(Verdict.DENY)))["redis@7.4.0"]
    assert strict.find("failure") is not None
    assert lenient.find("failure") is None
    out = lenient.find("system-out")
    assert out is not None and (out.text or "").startswith("review: Redis 7.4.0 is licensed")


def test_failure_message_and_body() -> None:
    report = report_for(Verdict.REVIEW)
    f = next(f for f in report.findings if f.version == "8.2.1")
    failure = cases(parse(report))["redis@8.2.1 (line 12)"].find("failure")
    assert failure is not None
    assert failure.get("type") == "review"
    assert failure.get("message") == f"review (review-network-copyleft): {f.rationale[0]}"
    assert failure.text == "\n".join(f.rationale)


def test_allow_passes_with_rationale_in_system_out() -> None:
    case = cases(parse(report_for(Verdict.REVIEW)))["valkey@8.0.1 (line 5)"]
    assert case.find("failure") is None and case.find("error") is None
    out = case.find("system-out")
    assert out is not None and "Rule allow-permissive (allow)" in (out.text or "")


def test_classname_file_and_line() -> None:
    by_name = cases(parse(report_for(Verdict.DENY)))
    assert by_name["redis@7.4.0"].get("classname") == "targets"
    assert by_name["redis@7.4.0"].get("file") is None
    manifest = by_name["redis@8.2.1 (line 12)"]
    assert manifest.get("classname") == "k8s/redis.yaml"
    assert (manifest.get("file"), manifest.get("line")) == ("k8s/redis.yaml", "12")


def test_input_errors_are_error_cases() -> None:
    by_name = cases(parse(report_for(Verdict.DENY)))
    located = by_name["input error (line 3)"]
    assert located.get("classname") == "broken/values.yaml"
    error = located.find("error")
    assert error is not None and error.get("message") == "not valid YAML"
    assert "hint: fix the indentation" in (error.text or "")
    assert by_name["input error"].get("classname") == "inputs"


def test_markup_and_control_characters_are_escaped() -> None:
    nasty = 'a < b & "c" ]]> \x1b[31m\r\nsplit'
    f = finding(rationale=[nasty, "second"], location=Location('we<ird>&"path.yml', 2))
    text = FORMAT.render(Report(POLICY, AS_OF, [f]))
    assert "\x1b" not in text
    case = ET.fromstring(text.encode("utf-8")).find("testsuite/testcase")
    assert case is not None and case.get("classname") == 'we<ird>&"path.yml'
    failure = case.find("failure")
    assert failure is not None
    assert failure.text == 'a < b & "c" ]]> \ufffd[31m\nsplit\nsecond'
    assert (
        failure.get("message") == 'deny (deny-restricted-use): a < b & "c" ]]> \ufffd[31m\r\nsplit'
    )


@given(st.text())
def test_any_rationale_reads_back(text: str) -> None:
    f = finding(rationale=[text])
    root = ET.fromstring(FORMAT.render(Report(POLICY, AS_OF, [f])).encode("utf-8"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    expected = xml_text(text).replace("\r\n", "\n").replace("\r", "\n")
    assert (failure.text or "") == expected
    assert failure.get("message") == f"deny (deny-restricted-use): {xml_text(text)}"


def test_deterministic_and_without_clock_or_host() -> None:
    report = report_for(Verdict.REVIEW)
    first = FORMAT.render(report)
    assert first == FORMAT.render(report)
    assert first.startswith('<?xml version="1.0" encoding="UTF-8"?>\n') and first.endswith("\n")
    for element in ET.fromstring(first.encode("utf-8")).iter():
        assert not {"timestamp", "hostname", "time"} & set(element.attrib)
