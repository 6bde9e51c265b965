"""HashiCorp's products and their forks: every row of the license facts, each boundary,
the relative BUSL Change Date, images and suggestions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policycheck.alternatives import Advisor
from policycheck.catalog import catalog
from policycheck.evaluate import Evaluator
from policycheck.model import Component, Finding
from policycheck.policy import Verdict, load_policy

AS_OF = dt.date(2026, 9, 1)


def run(engine: str, version: str, as_of: dt.date = AS_OF, policy: str = "default") -> Finding:
    return Evaluator(load_policy(policy), as_of).evaluate(Component(engine, version))


#: Rows read at upstream tags (engine@version -> expression), with each boundary's
#: neighbours: the last release before a change and the first after it.
VERIFIED = [
    ("terraform", "1.5.7", "MPL-2.0"),
    ("terraform", "1.6.0-alpha20230802", "MPL-2.0"),
    ("terraform", "1.6.0-alpha20230816", "BUSL-1.1"),
    ("terraform", "1.6.0", "BUSL-1.1"),
    ("terraform", "1.6.3", "BUSL-1.1"),
    ("terraform", "1.6.4", "BUSL-1.1"),
    ("terraform", "1.7.0-alpha20231025", "BUSL-1.1"),
    ("terraform", "1.14.0", "BUSL-1.1"),
    ("terraform", "1.15.0-beta1", "BUSL-1.1"),
    ("terraform", "1.15.9", "BUSL-1.1"),
    ("opentofu", "1.6.0-alpha1", "MPL-2.0"),
    ("opentofu", "1.6.0", "MPL-2.0"),
    ("opentofu", "1.12.6", "MPL-2.0"),
    ("openbao", "2.0.0-alpha20240329", "MPL-2.0"),
    ("openbao", "2.0.0", "MPL-2.0"),
    ("openbao", "2.6.2", "MPL-2.0"),
    ("nomad", "1.4.14", "MPL-2.0"),
    ("nomad", "1.5.0", "MPL-2.0"),
    ("nomad", "1.5.12", "MPL-2.0"),
    ("nomad", "1.5.13", "BUSL-1.1"),
    ("nomad", "1.5.17", "BUSL-1.1"),
    ("nomad", "1.6.0", "MPL-2.0"),
    ("nomad", "1.6.5", "MPL-2.0"),
    ("nomad", "1.6.6", "BUSL-1.1"),
    ("nomad", "1.7.0-beta.1", "BUSL-1.1"),
    ("nomad", "1.7.0", "BUSL-1.1"),
    ("nomad", "2.0.0-beta.1", "BUSL-1.1"),
    ("nomad", "2.0.5", "BUSL-1.1"),
    ("packer", "1.9.5", "MPL-2.0"),
    ("packer", "1.10.0", "BUSL-1.1"),
    ("packer", "1.15.1", "BUSL-1.1"),
    ("boundary", "0.13.1", "MPL-2.0"),
    ("boundary", "0.14.0", "BUSL-1.1"),
    ("boundary", "0.14.3", "BUSL-1.1"),
    ("boundary", "0.21.3", "BUSL-1.1"),
    ("waypoint", "0.11.4", "MPL-2.0"),
]


@pytest.mark.parametrize(("engine", "version", "license"), VERIFIED)
def test_verified_rows(engine: str, version: str, license: str) -> None:
    f = run(engine, version)
    assert f.resolved and f.license == license, f.rationale
    rng = catalog().engines[engine].range_for(_v(version))
    assert rng is not None and rng.verified_at_tags


#: Rows not verified at a tag, and versions whose license is unknown: never allowed.
UNVERIFIED = [
    ("vault", "1.12.7", "MPL-2.0"),
    ("vault", "1.13.3", "MPL-2.0"),
    ("vault", "1.13.4", None),  # a 1.13.x patch: MPL in 2023, BUSL later, boundary unknown
    ("vault", "1.14.8", "MPL-2.0"),
    ("vault", "1.14.9", "BUSL-1.1"),
    ("vault", "1.15.0", "BUSL-1.1"),
    ("vault", "1.18.0", "BUSL-1.1"),
    ("consul", "1.14.8", "MPL-2.0"),
    ("consul", "1.15.4", "MPL-2.0"),
    ("consul", "1.15.5", None),  # a 1.15.x patch of 2023 (MPL) or 2024 (BUSL): unknown
    ("consul", "1.16.2", None),
    ("consul", "1.17.0", "BUSL-1.1"),
    ("waypoint", "0.12.0", "BUSL-1.1"),  # never released
]


@pytest.mark.parametrize(("engine", "version", "license"), UNVERIFIED)
def test_unverified_rows_are_never_allowed(engine: str, version: str, license: str | None) -> None:
    f = run(engine, version)
    assert f.verdict != Verdict.ALLOW
    assert f.license == license
    if license is not None:
        assert "not verified at upstream tags" in f.rationale[0]
        assert "review-unverified" in f.rules
    else:
        assert "will not guess" in f.rationale[0]
        assert any("first BUSL" in line for line in f.rationale)  # the release note says why


@pytest.mark.parametrize(
    ("engine", "version", "licensor"),
    [
        ("terraform", "1.15.0-alpha20260304", "HashiCorp, Inc."),
        ("terraform", "1.15.0-beta1", "International Business Machines Corporation (IBM)"),
        ("nomad", "1.11.3", "HashiCorp, Inc."),
        ("nomad", "2.0.0-beta.1", "International Business Machines Corporation (IBM)"),
        ("packer", "1.15.0", "HashiCorp, Inc."),
        ("packer", "1.15.1", "International Business Machines Corporation (IBM)"),
    ],
)
def test_licensor_moves_to_ibm(engine: str, version: str, licensor: str) -> None:
    rng = catalog().engines[engine].range_for(_v(version))
    assert rng is not None and rng.busl is not None and rng.busl.licensor == licensor


@pytest.mark.parametrize(
    ("engine", "version", "grant"),
    [
        ("terraform", "1.6.3", "hashicorp-aug-a"),
        ("terraform", "1.6.4", "hashicorp-aug-b"),
        ("terraform", "1.7.0-alpha20231108", "hashicorp-aug-a"),
        ("terraform", "1.7.0-alpha20231130", "hashicorp-aug-b"),
        ("nomad", "1.7.0-beta.1", "hashicorp-aug-a"),
        ("nomad", "1.7.0-beta.2", "hashicorp-aug-b"),
        ("boundary", "0.14.2", "hashicorp-aug-a"),
        ("boundary", "0.14.3", "hashicorp-aug-b"),
        ("packer", "1.10.0", "hashicorp-aug-b"),
    ],
)
def test_grant_wording_per_release(engine: str, version: str, grant: str) -> None:
    rng = catalog().engines[engine].range_for(_v(version))
    assert rng is not None and rng.grant is not None and rng.grant.key == grant


def test_default_policy_reviews_terraform_busl_and_suggests_opentofu() -> None:
    evaluator = Evaluator(load_policy("default"), AS_OF)
    busl = evaluator.evaluate(Component("terraform", "1.6.0"))
    assert busl.verdict == Verdict.REVIEW and "review-not-osi" in busl.rules
    suggestions = Advisor(evaluator).suggest(busl)
    assert [(s.engine, s.version) for s in suggestions] == [
        ("terraform", "1.5.7"),
        ("opentofu", catalog().engines["opentofu"].newest_known.canonical),
    ]
    assert "drop-in" in suggestions[1].reason
    assert evaluator.evaluate(Component("terraform", "1.5.7")).verdict == Verdict.ALLOW


def test_vault_suggests_openbao() -> None:
    evaluator = Evaluator(load_policy("default"), AS_OF)
    suggestions = Advisor(evaluator).suggest(evaluator.evaluate(Component("vault", "1.15.0")))
    assert [s.engine for s in suggestions] == ["openbao"]


def test_grant_allows_internal_use_but_restricts_a_managed_service() -> None:
    f = run("terraform", "1.6.5", policy="managed-service-provider")
    assert f.verdict == Verdict.DENY
    assert any(e.use == "managed-service" and e.effect == "restriction" for e in f.restrictions)
    internal = run("terraform", "1.6.5")
    assert not internal.restrictions


# -- the relative Change Date ----------------------------------------------------------


def test_relative_change_date_converts_four_years_after_each_release() -> None:
    # v1.6.0's tag commit is 2023-10-04, v1.6.1's 2023-10-10: each converts on its own date.
    before = run("terraform", "1.6.0", as_of=dt.date(2027, 10, 3))
    assert before.converts == {"date": "2027-10-04", "to": "MPL-2.0"}
    assert before.effective_license == "BUSL-1.1"
    on = run("terraform", "1.6.0", as_of=dt.date(2027, 10, 4))
    assert on.converts is None and on.effective_license == "MPL-2.0"
    assert on.verdict == Verdict.ALLOW
    assert any("converted to MPL-2.0 on or after 2027-10-04" in line for line in on.rationale)
    assert run("terraform", "1.6.1", as_of=dt.date(2027, 10, 4)).converts == {
        "date": "2027-10-10",
        "to": "MPL-2.0",
    }


def test_relative_change_date_without_a_release_date_fails_closed() -> None:
    # Vault's releases are not dated in the catalog; a conversion date cannot be computed,
    # even long after any 1.15 release must have converted.
    f = run("vault", "1.15.0", as_of=dt.date(2035, 1, 1))
    assert f.converts == {"date": "unknown", "to": "MPL-2.0"}
    assert f.effective_license == "BUSL-1.1"
    assert f.verdict == Verdict.REVIEW
    assert any("cannot be computed" in line for line in f.rationale)


def test_unknown_conversion_date_is_raised_to_review_even_where_a_rule_allows(
    tmp_path: Path,
) -> None:
    policy = load_policy(str(_write_allow_busl_policy(tmp_path)))
    f = Evaluator(policy, AS_OF).evaluate(Component("waypoint", "0.12.0"))
    assert f.verdict == Verdict.REVIEW
    assert any("Raised to review" in line for line in f.rationale)
    # A dated release under the same policy is allowed: the raise is the unknown date's.
    assert Evaluator(policy, AS_OF).evaluate(Component("nomad", "1.6.6")).verdict == Verdict.ALLOW


def test_every_busl_range_of_the_family_is_relative() -> None:
    for engine in ("terraform", "vault", "consul", "nomad", "packer", "boundary", "waypoint"):
        for rng in catalog().engines[engine].ranges:
            if rng.busl is not None:
                assert rng.busl.change_date is None and rng.busl.change_after_years == 4
                assert rng.busl.change_license == "MPL-2.0"


# -- images ------------------------------------------------------------------------------

IMAGES = [
    ("hashicorp/terraform:1.6.0", "terraform", "1.6.0", "BUSL-1.1"),
    ("docker.io/hashicorp/terraform:1.5.7", "terraform", "1.5.7", "MPL-2.0"),
    ("public.ecr.aws/hashicorp/terraform:1.5.7", "terraform", "1.5.7", "MPL-2.0"),
    ("registry.corp.example/hashicorp/terraform:1.5.7", "terraform", "1.5.7", "MPL-2.0"),
    ("ghcr.io/opentofu/opentofu:1.8.3", "opentofu", "1.8.3", "MPL-2.0"),
    ("hashicorp/vault:1.15.0", "vault", "1.15.0", "BUSL-1.1"),
    ("vault:1.13.3", "vault", "1.13.3", "MPL-2.0"),
    ("bitnami/vault:1.15.2-debian-11-r0", "vault", "1.15.2", "BUSL-1.1"),
    ("openbao/openbao:2.0.0", "openbao", "2.0.0", "MPL-2.0"),
    ("quay.io/openbao/openbao:2.6.2", "openbao", "2.6.2", "MPL-2.0"),
    ("hashicorp/consul:1.17.0", "consul", "1.17.0", "BUSL-1.1"),
    ("hashicorp/nomad:1.6.5", "nomad", "1.6.5", "MPL-2.0"),
    ("hashicorp/packer:light-1.9.5", "packer", "1.9.5", "MPL-2.0"),
    ("hashicorp/packer:1.10.0", "packer", "1.10.0", "BUSL-1.1"),
    ("hashicorp/boundary:0.13.1", "boundary", "0.13.1", "MPL-2.0"),
    ("hashicorp/waypoint:0.11.4", "waypoint", "0.11.4", "MPL-2.0"),
]


def _compose(tmp_path: Path, images: list[str]) -> Path:
    services = "".join(f"  s{i}:\n    image: {image}\n" for i, image in enumerate(images))
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n" + services)
    return path


def _scan(path: Path) -> list[Finding]:
    from policycheck.core import check

    return check([str(path)], load_policy("default"), as_of=AS_OF).findings


def test_one_image_of_each_product_at_its_line(tmp_path: Path) -> None:
    findings = _scan(_compose(tmp_path, [i[0] for i in IMAGES]))
    got = [(f.location.line if f.location else 0, f.engine, f.version, f.license) for f in findings]
    expected = [(3 + 2 * i, e, v, lic) for i, (_, e, v, lic) in enumerate(IMAGES)]
    assert sorted(got) == expected


@pytest.mark.parametrize("image", ["vault:latest", "consul", "vault:1.13"])
def test_floating_tag_of_a_discontinued_official_image_is_unresolved(
    tmp_path: Path, image: str
) -> None:
    (f,) = _scan(_compose(tmp_path, [image]))
    assert f.version is None and f.verdict == Verdict.REVIEW
    assert "discontinued image" in f.rationale[0]


def test_helper_images_run_no_vault_server(tmp_path: Path) -> None:
    assert _scan(_compose(tmp_path, ["hashicorp/vault-k8s:1.4.0"])) == []


def _v(text: str):  # type: ignore[no-untyped-def]
    from policycheck.versions import parse_version

    return parse_version(text)


def _write_allow_busl_policy(folder: Path) -> Path:
    path = folder / "allow-busl.yaml"
    path.write_text(
        "schema_version: 1\nname: allow-busl\ndescription: Allows BUSL and MPL.\n"
        "uses: [internal]\nrules:\n  - id: allow-busl\n"
        "    when: {license: [BUSL-1.1, MPL-2.0]}\n"
        "    verdict: allow\n    rationale: Test policy.\n"
        "default: {verdict: allow, rationale: Test policy.}\n"
    )
    return path


@pytest.mark.parametrize("version", ["1.15.0+ent", "0.8.0+pro", "1.6.5+ent.hsm"])
def test_enterprise_builds_are_not_the_source_release(version: str) -> None:
    f = run("nomad", version)
    assert not f.resolved and f.verdict == Verdict.REVIEW
    assert "+ent" in f.rationale[0] or "+pro" in f.rationale[0]
