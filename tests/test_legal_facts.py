"""The facts a licensing counsel signs: contributor terms, license records, evidence.

Each test pins a statement that was once wrong in the bundled data, against the text
read at the tag (recorded with its commit and sha256 in the catalog).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from packaging.version import Version

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


# --- license records ------------------------------------------------------------------


def test_rsalv2_record_states_its_real_limitations_and_no_license_key_clause() -> None:
    rec = knowledge().licenses["LicenseRef-scancode-rsalv2"]
    assert "tampering" not in rec.summary and "no license-key clause" in rec.summary
    assert "notices" in rec.summary and "trademark" in rec.summary
    assert all("key" not in e.rationale.lower() for e in rec.effects.values())
    assert rec.url.startswith("https://github.com/redis/redis/blob/7.4.0/")
    assert rec.licensor_url == "https://redis.io/legal/rsalv2-agreement/"


def test_rsalv1_distribution_inside_your_application_is_an_obligation() -> None:
    rec = knowledge().licenses["LicenseRef-scancode-redis-source-available-1.0"]
    dist = rec.effects[Use.DISTRIBUTION]
    assert dist.effect.value == "obligation"
    assert "notice" in dist.rationale and "on its own" in dist.rationale
    assert rec.effects[Use.MANAGED_SERVICE].effect.value == "restriction"


def test_sspl_is_recorded_as_a_condition_not_a_ban() -> None:
    rec = knowledge().licenses["SSPL-1.0"]
    assert "condition, not a ban" in rec.summary
    assert "practically unattainable" not in rec.effects[Use.MANAGED_SERVICE].rationale
    assert "condition, not a prohibition" in rec.effects[Use.MANAGED_SERVICE].rationale


def test_managed_service_policy_wording_matches_sspl_and_agpl() -> None:
    text = (
        Path(__file__).resolve().parents[1] / "policies/managed-service-provider.yaml"
    ).read_text()
    assert "complete source" not in text
    assert "Corresponding Source" in text
    assert "bars offering" not in text


def test_busl_general_summary_does_not_fix_the_term_at_four_years() -> None:
    rec = knowledge().licenses["BUSL-1.1"]
    assert "four years after" not in rec.summary
    assert "own" in rec.summary and "fifth" in rec.summary


@pytest.mark.parametrize(("version", "ordinal"), [("1.10.0", "fifth"), ("1.25.0", "fourth")])
def test_a_dragonfly_release_states_its_own_anniversary_term(version: str, ordinal: str) -> None:
    f = run("dragonfly", version)
    text = " ".join(f.rationale)
    assert f"{ordinal} anniversary" in text
    assert "four years" not in text


def test_j11_documents_one_alternative_elected_for_all_uses() -> None:
    j = knowledge().judgements["J11"]
    assert "per context" not in j.adopted
    assert "elects one alternative for all" in j.adopted


# --- Commons Clause --------------------------------------------------------------------

COMMONS = [("redisearch", "1.4.3"), ("redisjson", "1.0.3"), ("redistimeseries", "0.1.0-alpha1")]


@pytest.mark.parametrize(("engine", "version"), COMMONS)
@pytest.mark.parametrize(
    ("policy", "verdict"),
    [
        ("default", Verdict.REVIEW),
        ("osi-only", Verdict.DENY),
        ("permissive-only", Verdict.DENY),
        ("managed-service-provider", Verdict.DENY),
    ],
)
def test_commons_clause_is_source_available_under_every_bundled_policy(
    engine: str, version: str, policy: str, verdict: Verdict
) -> None:
    f = run(engine, version, policy)
    assert f.license == "Apache-2.0 WITH LicenseRef-scancode-commons-clause"
    assert f.verdict == verdict
    assert "LicenseRef-scancode-commons-clause" not in " ".join(f.notes)  # not "unknown"
    assert all(e.clause.startswith("Commons Clause") for e in f.obligations + f.restrictions)
    assert any("Commons Clause" in line for line in f.rationale)


def test_commons_clause_effects_per_use() -> None:
    rec = knowledge().licenses["LicenseRef-scancode-commons-clause"]
    effects = {u.value: e.effect.value for u, e in rec.effects.items()}
    assert effects == {
        "internal": "none",
        "saas": "none",
        "managed-service": "restriction",
        "distribution": "obligation",
        "modification": "obligation",
    }
    assert rec.category == "source-available" and not rec.osi_approved
    assert rec.effects[Use.SAAS].judgement == "J18" and "J18" in knowledge().judgements


def test_commons_clause_record_applies_only_to_the_base_it_was_read_with() -> None:
    rec = knowledge().licenses["LicenseRef-scancode-commons-clause"]
    assert rec.restricts("Apache-2.0")
    assert not rec.restricts("AGPL-3.0-only")


# --- evidence a third party can re-check ---------------------------------------------


_HEX40 = re.compile(r"[0-9a-f]{40}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _range_evidence() -> list[tuple[str, str, object]]:
    """Every license-range evidence item of every engine in the catalog."""
    return [
        (e.id, str(r.versions), ev)
        for e in catalog().engines.values()
        for r in e.ranges
        for ev in r.evidence
    ]


def test_range_evidence_covers_every_engine_in_the_catalog() -> None:
    assert {engine for engine, _, _ in _range_evidence()} == set(catalog().engines)


@pytest.mark.parametrize(("engine", "versions", "ev"), _range_evidence(), ids=lambda x: str(x)[:40])
def test_every_license_range_evidence_item_is_pinned_and_hashed(
    engine: str, versions: str, ev: object
) -> None:
    """A file read at a tag carries the commit beside the tag and the sha256 of its bytes.

    A file read from a fork (``read_from``) is pinned by its upstream tag alone. An item
    that is no file at a tag (an issue thread, a vendor page, a release artifact, a
    repository too large to read here) says why it has no hash instead.
    """
    from policycheck.catalog import Evidence

    assert isinstance(ev, Evidence)
    where = f"{engine} {versions}: {ev.cite()}"
    assert ev.sha256 or ev.no_hash_reason, f"{where} has no sha256 and no reason why"
    assert ev.tag or ev.commit or ev.no_hash_reason, f"{where} names no tag or commit"
    if ev.sha256:
        assert ev.no_hash_reason is None, f"{where} has both a sha256 and a reason for none"
        assert _HEX64.fullmatch(ev.sha256), f"{where}: sha256 is not 64 hex digits"
        if ev.read_from is None:
            assert ev.commit and _HEX40.fullmatch(ev.commit), f"{where}: no full commit"
            assert ev.permalink == f"https://github.com/{ev.repo}/blob/{ev.commit}/{ev.file}"
        else:  # read from a fork whose commits are not upstream's: the tag pins it
            assert ev.tag and ev.permalink is not None


def test_a_permalink_pins_the_commit_and_the_citation_shows_it_beside_the_tag() -> None:
    r = catalog().engines["redis"].ranges[1]
    ev = next(e for e in r.evidence if e.tag == "7.4.0" and e.file == "LICENSE.txt")
    assert ev.permalink == (
        "https://github.com/redis/redis/blob/c9d29f6a918c335bc1778d9f68e521c1bbb36a0f/LICENSE.txt"
    )
    assert ev.cite() == "redis/redis@7.4.0 (c9d29f6a918c):LICENSE.txt (2024-07-29)"
    assert ev.to_json()["sha256"] == (
        "abffee3703161c0a6a0cd7f635b2c1ebb3b81bd199e9d18ea89652d678ae4287"
    )


def test_redis_8_range_leads_with_the_corrected_801_license_file() -> None:
    r = catalog().engines["redis"].range_for(Version("8.2.1"))
    assert r is not None
    first = r.evidence[0]
    assert (first.tag, first.file) == ("8.0.1", "LICENSE.txt")
    assert first.sha256 == "4a0e416b9537688f30dfe69ddaceb2ca64d96b7df02a0a6760d376890ddc4e40"


def test_rows_read_from_a_fork_say_so_and_are_not_verified_upstream() -> None:
    """A fork that rewrote its commits cannot tie a tag to upstream: a release whose license
    file was read only there is not verified at tags (a mirror holding upstream's own
    commits can be: its rows name the upstream commit)."""
    for e in catalog().engines.values():
        for r in e.ranges:
            for ev in r.evidence:
                if ev.read_from is None or ev.commit or ev.tag is None:
                    continue
                v = Version(ev.tag.lstrip("v"))
                if r.versions.contains(v):
                    assert not r.verified_for(v), f"{e.id}: {ev.cite()} counted as verified"
            upstream = [ev for ev in r.evidence if ev.read_from is None or ev.commit]
            if r.verified_at_tags:
                assert upstream, f"{e.id} {r.versions}: verified, but read only from a fork"


@pytest.mark.parametrize(
    ("version", "verified"),
    [("8.0.1", True), ("8.0.2", False), ("8.1.1", False), ("9.1.0", False), ("7.2.7", True)],
)
def test_valkey_releases_read_only_from_a_fork_are_reviewed(version: str, verified: bool) -> None:
    r = catalog().engines["valkey"].range_for(Version(version))
    assert r is not None and r.verified_for(Version(version)) is verified
    f = run("valkey", version)
    assert ("review-unverified" in f.rules) is not verified
    assert f.verdict == (Verdict.ALLOW if verified else Verdict.REVIEW)
    if not verified:
        assert any(ev.read_from == "hanzoai/kv" for ev in r.evidence)


@pytest.mark.parametrize("version", ["v1.10.0", "v1.25.0", "v1.40.1"])
def test_dragonfly_grant_links_point_at_the_release_own_tag(version: str) -> None:
    f = run("dragonfly", version)
    urls = {e.url for e in f.obligations + f.restrictions} | {
        u for line in f.rationale for u in re.findall(r"https://\S+?LICENSE\.md", line)
    }
    grant_urls = {u for u in urls if "/blob/v" in u}
    assert grant_urls == {f"https://github.com/dragonflydb/dragonfly/blob/{version}/LICENSE.md"}


def test_rsal_clause_links_are_versioned_copies_with_the_licensor_page_secondary() -> None:
    for key in ("LicenseRef-scancode-rsalv2", "LicenseRef-scancode-redis-source-available-1.0"):
        rec = knowledge().licenses[key]
        assert re.match(r"https://github\.com/[^/]+/[^/]+/blob/[0-9a-f.]+/", rec.url), rec.url
        assert rec.licensor_url


# --- alternatives state compatibility honestly ------------------------------------------


def test_keydb_is_no_drop_in_for_redis_7_or_8_and_ranks_after_valkey() -> None:
    from policycheck.alternatives import Advisor

    ev = Evaluator(load_policy("osi-only"), AS_OF)
    advisor = Advisor(ev)
    for version in ("7.4.0", "8.2.1"):
        f = ev.evaluate(Component("redis", version))
        if f.verdict == Verdict.ALLOW:
            continue
        got = advisor.suggest(f)
        engines = [s.engine for s in got]
        keydb = next(s for s in got if s.engine == "keydb")
        assert "Redis 6 compatible; no Redis 7/8 commands" in keydb.reason
        assert "drop-in" not in keydb.reason
        assert engines.index("valkey") < engines.index("keydb")


def test_keydb_is_a_drop_in_for_redis_6() -> None:
    keydb = catalog().engines["keydb"].compatibility
    assert keydb is not None
    assert keydb.covers("redis", Version("6.2.14"))
    assert not keydb.covers("redis", Version("7.0.0"))
    assert not keydb.covers("valkey", Version("6.2.0"))


def test_a_valkey_line_across_the_verification_boundary_still_resolves() -> None:
    """Verification is per release, not a license era: the 8.0 line (8.0.0-8.0.1 read
    upstream, 8.0.2+ only in a fork) resolves to its newest release, which is reviewed."""
    f = run("valkey", "8.0")
    assert f.version == "8.0.9" and f.license == "BSD-3-Clause"
    assert {"review-unpinned", "review-unverified"} <= set(f.rules)
    assert any("not verified at upstream tags" in line for line in f.rationale)


def test_the_signoff_evidence_table_shows_commit_hash_and_permalink() -> None:
    from policycheck.core import check
    from policycheck.formats import markdown

    report = check(["redis@8.2.1"], load_policy("default"), AS_OF)
    text = markdown.FORMAT.render(report)
    row = next(line for line in text.splitlines() if "| 8.0.1 (commit 63b87554f0a0) |" in line)
    assert "SHA-256 4a0e416b9537688f30dfe69ddaceb2ca64d96b7df02a0a6760d376890ddc4e40." in row
    assert "Read from keix/rain-call." in row
    assert (
        "https://github.com/redis/redis/blob/63b87554f0a0459692d44d06f62b0c10296c8a1f/LICENSE.txt"
        in row
    )
