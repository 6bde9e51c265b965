"""A policy can treat test infrastructure (CI service containers) apart from deployments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policycheck.core import check
from policycheck.errors import InputError
from policycheck.policy import Verdict, check_policy, load_policy

AS_OF = dt.date(2026, 11, 27)
WORKFLOW = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis:7.4.0
"""
COMPOSE = "services:\n  cache:\n    image: redis:7.4.0\n"
POLICY = """\
schema_version: 1
name: ci-apart
uses: [internal, saas]
rules:
  - id: review-not-osi-in-production
    when: {osi_approved: false, context: deployment}
    verdict: review
    rationale: Production use of a source-available engine needs sign-off.
  - id: allow-test-infrastructure
    when: {context: [ci]}
    verdict: allow
    rationale: Tests run the engine internally only.
  - id: allow-permissive
    when: {category: permissive}
    verdict: allow
    rationale: No conditions.
default: {verdict: review, rationale: Nobody wrote a rule for this.}
"""


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "test.yml").write_text(WORKFLOW)
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "policy.yaml").write_text(POLICY)
    return tmp_path


def test_context_rules_tell_ci_from_deployment(repo: Path) -> None:
    report = check([str(repo)], load_policy(str(repo / "policy.yaml")), AS_OF)
    by_context = {f.context: f for f in report.findings}
    assert set(by_context) == {"ci", None}
    assert by_context["ci"].verdict == Verdict.ALLOW
    assert by_context["ci"].rules == ["allow-test-infrastructure"]
    assert by_context[None].verdict == Verdict.REVIEW
    assert by_context[None].rules == ["review-not-osi-in-production"]


def test_an_unknown_context_is_a_policy_error_with_its_line(repo: Path) -> None:
    bad = repo / "bad.yaml"
    bad.write_text(POLICY.replace("context: [ci]", "context: [staging]"))
    errors = check_policy(str(bad))
    assert isinstance(errors, list) and errors
    assert all(isinstance(e, InputError) for e in errors)
    assert any(e.line == 10 and "staging" in e.message for e in errors)
