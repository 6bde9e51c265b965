"""The facts a licensing counsel signs: contributor terms, license records, evidence.

Each test pins a statement that was once wrong in the bundled data, against the text
read at the tag (recorded with its commit and sha256 in the catalog).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policycheck.catalog import catalog
from policycheck.evaluate import Evaluator, governance_json
from policycheck.knowledge import Use, knowledge
from policycheck.model import Component, Finding
from policycheck.policy import Verdict, load_policy

AS_OF = dt.date(2026, 11, 27)


def run(engine: str, version: str, policy: str = "default", **kw: object) -> Finding:
    p = load_policy(policy)
    return Evaluator(p, AS_OF).evaluate(Component(engine, version, **kw))  # type: ignore[arg-type]


# --- contributor terms -------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "kind", "name_part"),
    [
        ("redis", "cla", "Redis Software Grant and Contributor License Agreement"),
        ("dragonfly", "cla", "CLA.txt"),
        ("garnet", "cla", "Microsoft"),
        ("valkey", "dco", "Developer Certificate of Origin"),
        ("keydb", "none", None),
        ("memcached", "unknown", None),
    ],
)
def test_contributor_terms_are_recorded_with_evidence(
    engine: str, kind: str, name_part: str | None
) -> None:
    cla = catalog().engines[engine].governance.cla
    assert cla.kind == kind
    if name_part is not None:
        assert cla.name is not None and name_part in cla.name
    if kind != "unknown":
        assert cla.evidence and all(e.file and (e.tag or e.commit) for e in cla.evidence)


def test_valkey_governance_names_its_steering_committee() -> None:
    cla = catalog().engines["valkey"].governance.cla
    assert "Technical Steering Committee" in (cla.note or "")
    assert any(e.file == "GOVERNANCE.md" for e in cla.evidence)


def test_governance_json_emits_the_structured_contributor_terms() -> None:
    g = governance_json(catalog().engines["redis"])
    cla = g["cla"]
    assert isinstance(cla, dict)
    assert cla["kind"] == "cla"
    assert "Contributor License Agreement" in cla["summary"]
    assert cla["evidence"][0]["permalink"].startswith(
        "https://github.com/redis/redis/blob/c9d29f6a918c335bc1778d9f68e521c1bbb36a0f/"
    )


CLA_POLICY = """\
schema_version: 1
name: cla-watch
uses: [internal]
rules:
  - id: review-cla-single-vendor
    when: {contributor_terms: cla, governance_model: single-vendor}
    verdict: review
    rationale: A single vendor holds a CLA over every contribution and can relicense future releases.
  - id: allow-permissive
    when: {category: permissive}
    verdict: allow
    rationale: Permissive.
default: {verdict: review, rationale: fail closed}
"""


@pytest.mark.parametrize(
    ("engine", "version", "fires"),
    [
        ("redis", "7.2.4", True),
        ("garnet", "1.0.0", True),
        ("valkey", "8.0.1", False),
        ("keydb", "6.3.4", False),
    ],
)
def test_a_policy_rule_can_test_cla_with_a_single_vendor_steward(
    tmp_path: Path, engine: str, version: str, fires: bool
) -> None:
    path = tmp_path / "cla.yaml"
    path.write_text(CLA_POLICY)
    f = Evaluator(load_policy(str(path)), AS_OF).evaluate(Component(engine, version))
    assert ("review-cla-single-vendor" in f.rules) is fires
    assert f.verdict == (Verdict.REVIEW if fires else Verdict.ALLOW)


def test_a_misspelt_contributor_terms_kind_is_a_policy_error(tmp_path: Path) -> None:
    from policycheck.errors import InputError

    path = tmp_path / "bad.yaml"
    path.write_text(CLA_POLICY.replace("contributor_terms: cla", "contributor_terms: cls"))
    with pytest.raises(InputError):
        load_policy(str(path))
