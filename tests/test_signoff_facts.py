"""Sign-off grade facts: what produced a verdict, and what legal must confirm."""

from __future__ import annotations

import datetime as dt

import pytest

from policycheck import failclosed
from policycheck.catalog import catalog
from policycheck.evaluate import Evaluator
from policycheck.formats.sarif import deciding_rule_id
from policycheck.knowledge import Use
from policycheck.model import Component, Finding
from policycheck.policy import Verdict, load_policy, resolve_policy_path

AS_OF = dt.date(2026, 12, 1)
POLICIES = ("default", "osi-only", "permissive-only", "managed-service-provider")


def run(target: str, policy: str = "default", uses: tuple[str, ...] = ()) -> Finding:
    engine, _, version = target.partition("@")
    p = load_policy(policy)
    if uses:
        p = p.with_uses(tuple(Use(u) for u in uses))
    return Evaluator(p, AS_OF).evaluate(Component(engine, version or None))


def _targets() -> list[str]:
    out = []
    for engine in catalog().engines.values():
        out += [f"{engine.id}@{r.text}" for r, _ in engine.releases]
        out.append(f"{engine.id}@{engine.newest_known.version.major + 1}.0.0")  # past the catalog
    out += ["nosuch@1.0.0", "redis@", "redis@7.2.99", "valkey@8.1.99", "redis@not-a-version"]
    return out


@pytest.mark.parametrize("policy", POLICIES)
def test_the_rule_that_decided_every_verdict_is_among_its_rules(policy: str) -> None:
    """One source of truth: the id any format names as deciding is in ``rules`` and
    carries the finding's verdict, for every catalogued release under every policy."""
    p = load_policy(policy)
    by_id = {r.id: r.verdict for r in p.rules}
    by_id[failclosed.POLICY_DEFAULT] = p.default_verdict
    by_id.update({f.id: f.verdict for f in failclosed.ALL})
    for target in _targets():
        f = run(target, policy)
        decided = deciding_rule_id(f, p)
        assert decided in f.rules, (target, decided, f.rules)
        assert by_id[decided] == f.verdict, (target, decided, f.verdict, f.rules)


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("valkey@9.2.0", "fail-closed-newer-than-known"),
        ("nosuch@1.0.0", "fail-closed-unknown-engine"),
        ("redis@latest-ish", "fail-closed-unresolved-version"),
        ("redis@7.2.99", "fail-closed-no-such-release"),
    ],
)
def test_fail_closed_reviews_name_their_reason(target: str, reason: str) -> None:
    f = run(target)
    assert f.verdict is Verdict.REVIEW
    assert reason in f.rules


@pytest.mark.parametrize("policy", POLICIES)
def test_electing_agpl_for_redis_8_0_0_is_reviewed_under_every_policy(policy: str) -> None:
    """8.0.0's LICENSE.txt carries GPLv3 text under the AGPL heading (J12)."""
    f = run("redis@8.0.0", policy)
    if f.elected == "AGPL-3.0-only":
        assert f.verdict >= Verdict.REVIEW
        assert "fail-closed-defective-license-text" in f.rules
        assert any("8.0.1" in c for c in f.confirm)
    agpl = next(a for a in f.alternatives if a.license == "AGPL-3.0-only")
    assert agpl.verdict >= Verdict.REVIEW
    assert "fail-closed-defective-license-text" in agpl.rules


def test_8_0_1_is_not_affected_by_the_8_0_0_defect() -> None:
    f = run("redis@8.0.1", "osi-only")
    assert (f.elected, f.verdict) == ("AGPL-3.0-only", Verdict.ALLOW)
    assert "fail-closed-defective-license-text" not in f.rules
    assert run("redis@8.0.0", "osi-only").verdict is Verdict.REVIEW


def test_dragonfly_saas_asks_to_confirm_the_grant_conditions() -> None:
    f = run("dragonfly@v1.25.0", uses=("saas",))
    assert any("not an in-memory data store" in c for c in f.confirm)
    # the grant's managed-service limit is not a condition of this use
    assert not any("managed" in c.lower() for c in f.confirm)


def test_agpl_under_saas_asks_to_confirm_it_runs_unmodified() -> None:
    f = run("redis@8.2.1", "osi-only", uses=("saas",))
    assert f.elected == "AGPL-3.0-only"
    assert any("unmodified" in c and "§13" in c for c in f.confirm)
    # a declared modification use states the duty itself: nothing left to confirm
    g = run("redis@8.2.1", "osi-only", uses=("saas", "modification"))
    assert not any("unmodified" in c for c in g.confirm)
    assert any(o.use == "modification" for o in g.obligations)


def test_a_tie_between_redis_license_options_asks_for_a_recorded_election() -> None:
    f = run("redis@7.4.0")
    (ask,) = [c for c in f.confirm if c.startswith("No election")]
    assert "LicenseRef-scancode-rsalv2" in ask and "SSPL-1.0" in ask
    assert "if the use changes" in ask


def test_a_recorded_election_is_cited_not_asked_for(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = resolve_policy_path("default").read_text("utf-8") + (
        "\nelections:\n  - engine: redis\n    license: SSPL-1.0\n    approved_by: counsel\n"
        "    approved_on: '2026-11-30'\n    reason: SSPL conditions suit our internal use.\n"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text, "utf-8")
    f = Evaluator(load_policy(str(path)), AS_OF).evaluate(Component("redis", "7.4.0"))
    assert f.elected == "SSPL-1.0"
    assert not any(c.startswith("No election") for c in f.confirm)
    assert any("recorded election" in line and "counsel" in line for line in f.rationale)


def test_redis_distribution_keeps_the_bsd_portions_notice_duty() -> None:
    f = run("redis@7.4.0", uses=("distribution",))
    assert any("REDISCONTRIBUTIONS.txt" in c for c in f.confirm)
    assert not any("REDISCONTRIBUTIONS.txt" in c for c in run("redis@7.4.0").confirm)
    assert not any(
        "REDISCONTRIBUTIONS.txt" in c for c in run("redis@7.2.4", uses=("distribution",)).confirm
    )


def test_provider_managed_findings_ask_nothing() -> None:
    f = Evaluator(load_policy("default"), AS_OF).evaluate(
        Component("redis", "7.4.0", provider="aws-elasticache")
    )
    assert f.confirm == []


# -- what every report says about itself ---------------------------------------------------

from policycheck.formats import all_formats  # noqa: E402
from policycheck.notice import DISCLAIMER, SHORT_DISCLAIMER, catalog_identity  # noqa: E402
from policycheck.report import Report  # noqa: E402


def _report() -> Report:
    p = load_policy("default")
    ev = Evaluator(p, AS_OF)
    return Report(p, AS_OF, [ev.evaluate(Component("redis", "7.4.0"))])


#: Formats whose readers get the notice in one line.
SHORT = {"github", "text"}


@pytest.mark.parametrize("name", sorted(all_formats()))
def test_every_format_says_it_is_not_legal_advice(name: str) -> None:
    out = all_formats()[name].render(_report())
    if name in SHORT:
        assert "not legal advice" in out.lower(), name
        if name == "github":
            assert SHORT_DISCLAIMER in out
        return
    # XML and HTML escape the apostrophe in "organization's"
    assert DISCLAIMER.split("'")[0] in out, name


def test_the_catalog_identity_is_recorded_and_follows_the_data(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import shutil

    from policycheck import notice
    from policycheck.data import data_dir

    ident = catalog_identity()
    doc = _report().to_json()
    assert doc["catalog"] == ident and doc["disclaimer"] == DISCLAIMER
    copy = tmp_path / "licenses"
    shutil.copytree(data_dir("licenses"), copy)
    monkeypatch.setattr(notice, "data_dir", lambda name: copy)
    notice.catalog_identity.cache_clear()
    try:
        assert notice.catalog_identity() == ident  # same bytes, same hash
        target = copy / "engines" / "redis.yaml"
        target.write_bytes(target.read_bytes() + b"\n")
        notice.catalog_identity.cache_clear()
        changed = notice.catalog_identity()
        assert changed["sha256"] != ident["sha256"]
        assert len(hashlib.sha256().hexdigest()) == len(changed["sha256"])
    finally:
        notice.catalog_identity.cache_clear()


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("terraform@1.6.0", "competitive with any HashiCorp product"),  # first grant wording
        ("terraform@1.6.5", "significantly overlaps HashiCorp's paid versions"),  # reworded
    ],
)
def test_hashicorp_grants_ask_to_confirm_the_competition_limit(target: str, words: str) -> None:
    f = run(target, uses=("saas",))
    assert any(words in c for c in f.confirm), f.confirm
