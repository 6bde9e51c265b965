"""Suggestions for review and deny findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from policycheck.core import check
from policycheck.policy import load_policy, resolve_policy_path


def test_denied_redis_gets_valkey_first_and_the_last_passing_redis() -> None:
    report = check(
        ["redis@7.4.0", "valkey@8.0.1"],
        load_policy("managed-service-provider"),
        dt.date(2026, 11, 27),
    )
    redis = next(f for f in report.findings if f.engine == "redis")
    valkey = next(f for f in report.findings if f.engine == "valkey")
    assert valkey.suggestions == []  # allowed: nothing to suggest
    engines = [s["engine"] for s in redis.suggestions]
    assert engines[0] == "redis" and redis.suggestions[0]["version"] == "7.2.14"
    # same lineage first, the fork that follows Redis further first: Valkey (7.2), KeyDB (6.2)
    assert engines[1:3] == ["valkey", "keydb"]
    assert redis.suggestions[1]["version"] == "8.0.1"  # newest verified at upstream tags
    assert "dragonfly" not in engines  # BUSL grant bars managed service: it does not pass
    assert all(s["verdict"] == "allow" for s in redis.suggestions)


def test_waived_finding_keeps_the_alternatives_of_its_own_verdict(tmp_path: Path) -> None:
    """A waiver is a dated exception: whoever renews it should see what else passes."""
    text = resolve_policy_path("default").read_text(encoding="utf-8")
    waiver = (
        "waivers:\n"
        "  - id: W-REDIS-74\n"
        "    engine: redis\n"
        '    versions: ">=7.4"\n'
        "    verdict: allow\n"
        "    reason: Internal cache only, reviewed by counsel.\n"
        "    approved_by: Dana Legal\n"
        '    approved_on: "2026-06-01"\n'
        '    expires: "2027-05-31"\n'
    )
    path = tmp_path / "waived.yaml"
    path.write_text(text.rstrip("\n") + "\n" + waiver, encoding="utf-8")
    report = check(["redis@7.4.0"], load_policy(str(path)), dt.date(2026, 11, 27))
    (redis,) = report.findings
    assert redis.verdict.name == "ALLOW"
    assert redis.waiver is not None and redis.waiver["id"] == "W-REDIS-74"
    assert redis.suggestions[0]["engine"] == "redis"
    assert redis.suggestions[0]["version"] == "7.2.14"
    assert {"valkey", "keydb"} <= {s["engine"] for s in redis.suggestions}
