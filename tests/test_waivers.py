"""Waivers: the one in force applies wherever it is listed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policycheck.core import check
from policycheck.policy import Policy, Verdict, load_policy, resolve_policy_path

AS_OF = dt.date(2026, 11, 27)
EXPIRED = """\
  - {id: W-OLD, engine: redis, versions: ">=7.4,<8", verdict: allow, reason: commercial license,
     approved_by: legal@acme, approved_on: "2025-01-10", expires: "2026-01-10"}
"""
RENEWED = """\
  - {id: W-NEW, engine: redis, versions: ">=7.4,<8", verdict: allow, reason: license renewed,
     approved_by: legal@acme, approved_on: "2026-01-05", expires: "2027-01-10"}
"""


def _policy(tmp_path: Path, waivers: str) -> Policy:
    text = resolve_policy_path("managed-service-provider").read_text(encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(text.rstrip("\n") + "\nwaivers:\n" + waivers, encoding="utf-8")
    return load_policy(str(path))


@pytest.mark.parametrize("order", [EXPIRED + RENEWED, RENEWED + EXPIRED])
def test_the_renewal_applies_in_either_order(tmp_path: Path, order: str) -> None:
    report = check(["redis@7.4.0"], _policy(tmp_path, order), AS_OF)
    finding = report.findings[0]
    assert finding.verdict == Verdict.ALLOW
    assert finding.waiver is not None and finding.waiver["id"] == "W-NEW"
    status = {w["id"]: w["status"] for w in report.waivers}
    assert status == {"W-OLD": "expired", "W-NEW": "active"}


def test_an_expired_waiver_alone_no_longer_applies(tmp_path: Path) -> None:
    report = check(["redis@7.4.0"], _policy(tmp_path, EXPIRED), AS_OF)
    finding = report.findings[0]
    assert finding.verdict == Verdict.DENY
    assert finding.waiver is not None and finding.waiver["status"] == "expired"
