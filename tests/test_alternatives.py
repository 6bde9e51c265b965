"""Suggestions for review and deny findings."""

from __future__ import annotations

import datetime as dt

from policycheck.core import check
from policycheck.policy import load_policy


def test_denied_redis_gets_valkey_first_and_the_last_passing_redis() -> None:
    report = check(
        ["redis@7.4.0", "valkey@8.1.1"],
        load_policy("managed-service-provider"),
        dt.date(2026, 11, 27),
    )
    redis = next(f for f in report.findings if f.engine == "redis")
    valkey = next(f for f in report.findings if f.engine == "valkey")
    assert valkey.suggestions == []  # allowed: nothing to suggest
    engines = [s["engine"] for s in redis.suggestions]
    assert engines[0] == "redis" and redis.suggestions[0]["version"] == "7.2.14"
    assert engines[1:3] == ["keydb", "valkey"]  # same lineage first
    assert "dragonfly" not in engines  # BUSL grant bars managed service: it does not pass
    assert all(s["verdict"] == "allow" for s in redis.suggestions)
