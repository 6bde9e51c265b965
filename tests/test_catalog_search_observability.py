"""Elasticsearch, Kibana, OpenSearch, MongoDB, Grafana, Loki, Tempo, Mimir, MinIO, Graylog.

Every row of the research facts for these products is a test: verified rows give their
expression at the version; unverified rows give theirs too, are flagged unverified, and
never pass the default policy. Then the images, the timestamped MinIO releases, the
managed offerings in Terraform, and the suggestions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.catalog import catalog
from policycheck.core import check
from policycheck.images import component_for_image, parse_image, version_from_tag
from policycheck.knowledge import Effect, Use, knowledge
from policycheck.model import Finding, Location
from policycheck.policy import Verdict, load_policy, resolve_policy_path
from policycheck.versions import VersionRange, parse_version
from policycheck.walk import scan_paths

AS_OF = dt.date(2026, 12, 1)
FIXTURES = Path(__file__).parent / "fixtures"


def _finding(target: str, policy: str = "default") -> Finding:
    (finding,) = check([target], load_policy(policy), AS_OF).findings
    return finding


# Rows read at the release tags (verified_at_tags: true): engine@version -> expression.
VERIFIED = [
    ("loki@v0.1.0", "Apache-2.0"),
    ("loki@v2.2.1", "Apache-2.0"),
    ("loki@v2.3.0", "AGPL-3.0-only"),
    ("loki@v3.7.6", "AGPL-3.0-only"),
    ("tempo@v0.6.0", "Apache-2.0"),
    ("tempo@v0.7.0", "AGPL-3.0-only"),
    ("tempo@v1.0.0-rc.0", "AGPL-3.0-only"),
    ("tempo@v3.0.3", "AGPL-3.0-only"),
    ("minio@RELEASE.2021-04-22T15-44-28Z", "Apache-2.0"),
    ("minio@RELEASE.2021-05-11T23-27-41Z", "AGPL-3.0-or-later"),
    ("minio@RELEASE.2025-10-15T17-29-55Z", "AGPL-3.0-or-later"),
    ("graylog@3.3.17", "GPL-3.0-or-later"),
    ("graylog@4.0.0-rc.2", "GPL-3.0-or-later"),
    ("graylog@4.0.0", "SSPL-1.0"),
    ("graylog@7.2.0-alpha.2", "SSPL-1.0"),
]


@pytest.mark.parametrize(("target", "expression"), VERIFIED)
def test_verified_rows_give_their_expression(target: str, expression: str) -> None:
    finding = _finding(target)
    assert finding.resolved and finding.license == expression
    assert "review-unverified" not in finding.rules
    engine = catalog().get(finding.engine)
    assert engine is not None
    version = parse_version(target.split("@", 1)[1])
    assert version is not None
    lic_range = engine.range_for(version)
    assert lic_range is not None and lic_range.verified_at_tags


# Rows not verified at a tag: the facts' expression, flagged, and never allowed by default.
UNVERIFIED = [
    ("elasticsearch@7.10.2", "Apache-2.0 AND LicenseRef-scancode-elastic-license-2018"),
    ("elasticsearch@7.11.0", "SSPL-1.0 OR Elastic-2.0"),
    ("elasticsearch@8.15.5", "SSPL-1.0 OR Elastic-2.0"),
    ("elasticsearch@7.17.25", "SSPL-1.0 OR Elastic-2.0"),
    ("elasticsearch@8.16.0", "SSPL-1.0 OR Elastic-2.0 OR AGPL-3.0-only"),
    ("elasticsearch@8.17.0", "SSPL-1.0 OR Elastic-2.0 OR AGPL-3.0-only"),
    ("elasticsearch@9.3.0", "SSPL-1.0 OR Elastic-2.0 OR AGPL-3.0-only"),
    ("kibana@7.10.2", "Apache-2.0 AND LicenseRef-scancode-elastic-license-2018"),
    ("kibana@7.11.0", "SSPL-1.0 OR Elastic-2.0"),
    ("kibana@8.16.0", "SSPL-1.0 OR Elastic-2.0 OR AGPL-3.0-only"),
    ("opensearch@1.0.0", "Apache-2.0"),
    ("opensearch@2.11.0", "Apache-2.0"),
    ("mongodb@3.4.17", "AGPL-3.0"),
    ("mongodb@3.4.18", "SSPL-1.0"),
    ("mongodb@3.6.8", "AGPL-3.0"),
    ("mongodb@3.6.9", "SSPL-1.0"),
    ("mongodb@4.0.3", "AGPL-3.0"),
    ("mongodb@4.0.4", "SSPL-1.0"),
    ("mongodb@4.1.4", "AGPL-3.0"),
    ("mongodb@4.1.5", "SSPL-1.0"),
    ("mongodb@7.0.14", "SSPL-1.0"),
    ("grafana@7.5.4", "Apache-2.0"),
    ("grafana@7.5.6", "AGPL-3.0-only"),
    ("grafana@7.5.17", "Apache-2.0"),
    ("grafana@8.0.0", "AGPL-3.0-only"),
    ("grafana@11.3.0", "AGPL-3.0-only"),
    ("mimir@2.10.0", "AGPL-3.0"),
]


@pytest.mark.parametrize(("target", "expression"), UNVERIFIED)
def test_unverified_rows_keep_their_expression_and_never_pass_the_default(
    target: str, expression: str
) -> None:
    finding = _finding(target)
    assert finding.license == expression
    assert "review-unverified" in finding.rules
    assert finding.verdict != Verdict.ALLOW
    assert any("not verified at upstream tags" in line for line in finding.rationale)


@pytest.mark.parametrize(
    "policy", ["default", "osi-only", "permissive-only", "managed-service-provider"]
)
def test_apache_rows_not_read_at_a_tag_pass_no_bundled_policy(policy: str) -> None:
    """OpenSearch and Grafana 7.5.x are Apache-2.0 by secondary evidence only."""
    for target in ("opensearch@2.11.0", "grafana@7.5.17"):
        assert _finding(target, policy).verdict != Verdict.ALLOW


def test_mongodb_lines_the_facts_do_not_cover_fall_in_no_range() -> None:
    """Development lines and boundary pre-releases the facts do not name get no license."""
    for target in ("mongodb@3.5.13", "mongodb@3.7.9", "mongodb@4.0.4-rc0"):
        finding = _finding(target)
        assert finding.verdict == Verdict.REVIEW and finding.license is None


def test_default_reviews_grafana_8_and_later_for_its_network_copyleft() -> None:
    for target in ("grafana@8.0.0", "grafana@10.4.2", "loki@2.9.4", "tempo@2.4.1"):
        finding = _finding(target)
        assert finding.verdict == Verdict.REVIEW
        assert "review-network-copyleft" in finding.rules


def test_elasticsearch_7_10_2_is_reviewed_not_allowed_by_default() -> None:
    """The default distribution ships x-pack under the Elastic License 1.0 (not OSI)."""
    finding = _finding("elasticsearch@7.10.2")
    assert finding.verdict == Verdict.REVIEW
    assert {"review-not-osi", "review-unverified"} <= set(finding.rules)
    assert _finding("elasticsearch@7.11.0").verdict == Verdict.REVIEW


def test_elv1_record_is_read_per_use() -> None:
    record = knowledge().get("LicenseRef-scancode-elastic-license-2018")
    assert record is not None and not record.osi_approved and record.category == "source-available"
    effects = {use: record.effects[use].effect for use in Use}
    assert effects == {
        Use.INTERNAL: Effect.NONE,
        Use.SAAS: Effect.NONE,
        Use.MANAGED_SERVICE: Effect.RESTRICTION,
        Use.DISTRIBUTION: Effect.RESTRICTION,
        Use.MODIFICATION: Effect.RESTRICTION,
    }
    assert record.effects[Use.SAAS].judgement == "J50"
    assert "J50" in knowledge().judgements
    assert knowledge().get("ELv1") is record


def test_elv1_distribution_is_denied_where_distribution_is_declared() -> None:
    policy = load_policy("default").with_uses((Use.DISTRIBUTION,))
    (finding,) = check(["elasticsearch@7.10.2"], policy, AS_OF).findings
    assert finding.verdict == Verdict.DENY
    assert any(
        e.license == "LicenseRef-scancode-elastic-license-2018" for e in finding.restrictions
    )


# -- MinIO's timestamp releases ----------------------------------------------------------


def test_minio_releases_compare_as_timestamps() -> None:
    before = parse_version("RELEASE.2021-04-22T15-44-28Z")
    first = parse_version("RELEASE.2021-05-11T23-27-41Z")
    assert before is not None and first is not None and before < first
    assert parse_version("release.2021-05-11t23-27-41z") == first
    boundary = VersionRange.parse(">=RELEASE.2021-05-11T23-27-41Z")
    assert boundary.contains(first) and not boundary.contains(before)


@given(
    st.tuples(
        st.integers(2015, 2030),
        st.integers(1, 12),
        st.integers(1, 28),
        st.integers(0, 23),
        st.integers(0, 59),
        st.integers(0, 59),
    ),
    st.tuples(
        st.integers(2015, 2030),
        st.integers(1, 12),
        st.integers(1, 28),
        st.integers(0, 23),
        st.integers(0, 59),
        st.integers(0, 59),
    ),
)
def test_minio_release_order_is_time_order(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    def name(t: tuple[int, ...]) -> str:
        return "RELEASE.{:04d}-{:02d}-{:02d}T{:02d}-{:02d}-{:02d}Z".format(*t)

    va, vb = parse_version(name(a)), parse_version(name(b))
    assert va is not None and vb is not None
    assert (va < vb) == (dt.datetime(*a) < dt.datetime(*b))


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("RELEASE.2021-05-11T23-27-41Z", "RELEASE.2021-05-11T23-27-41Z"),
        ("RELEASE.2023-09-04T19-57-37Z-cpuv1", "RELEASE.2023-09-04T19-57-37Z"),
        ("RELEASE.2024-01-16T16-07-38Z.fips", "RELEASE.2024-01-16T16-07-38Z"),
    ],
)
def test_minio_image_tags_name_the_release(tag: str, version: str) -> None:
    assert version_from_tag(tag) == (version, False, None)


def test_a_mangled_minio_tag_is_not_a_version() -> None:
    found, floating, why = version_from_tag("RELEASE.2021-05-11T23-27-41Zbeta")
    assert found is None and not floating and why is not None


def test_minio_release_never_recorded_is_reviewed_as_no_such_release() -> None:
    finding = _finding("minio@RELEASE.2021-05-11T23-27-42Z")
    assert finding.verdict == Verdict.REVIEW and not finding.resolved
    assert any("is recorded" in line for line in finding.rationale)


# -- images -------------------------------------------------------------------------------


def test_compose_with_every_product_gives_engine_and_version_at_its_line() -> None:
    result = scan_paths([str(FIXTURES / "source_compose" / "observability")])
    assert result.errors == []
    found = {c.location.line: (c.engine, c.version) for c in result.components if c.location}
    assert found == {
        4: ("elasticsearch", "8.15.0"),
        8: ("kibana", "8.15.0"),
        10: ("opensearch", "2.11.0"),
        12: ("opensearch", "2.11.0"),
        14: ("mongodb", "7.0.14"),
        16: ("grafana", "11.3.0"),
        18: ("loki", "2.9.4"),
        21: ("tempo", "2.4.1"),
        23: ("mimir", "2.10.0"),
        25: ("minio", "RELEASE.2021-05-11T23-27-41Z"),
        28: ("graylog", "4.0.0"),
    }  # promtail, mc and mongo-express run no server: silent


@pytest.mark.parametrize(
    ("image", "engine", "version"),
    [
        ("elasticsearch:7.10.2", "elasticsearch", "7.10.2"),
        ("docker.io/library/elasticsearch:8.17.0", "elasticsearch", "8.17.0"),
        ("bitnami/elasticsearch:9.1.2-debian-12-r0", "elasticsearch", "9.1.2"),
        ("kibana:7.17.3", "kibana", "7.17.3"),
        ("bitnamilegacy/kibana:8.15.0-debian-12-r1", "kibana", "8.15.0"),
        ("bitnami/mongodb:6.0.13-debian-12-r0", "mongodb", "6.0.13"),
        ("mongodb/mongodb-community-server:7.0.14-ubuntu2204", "mongodb", "7.0.14"),
        ("bitnami/mongodb-sharded:8.0.13-debian-12-r0", "mongodb", "8.0.13"),
        ("grafana/grafana-oss:10.4.2", "grafana", "10.4.2"),
        ("bitnami/grafana-loki:3.5.3-debian-12-r2", "loki", "3.5.3"),
        ("minio/minio:RELEASE.2021-04-22T15-44-28Z", "minio", "RELEASE.2021-04-22T15-44-28Z"),
        ("mirror.corp:5000/grafana/loki:3.0.0", "loki", "3.0.0"),
        ("registry.corp/proxy/opensearchproject/opensearch:2.11.0", "opensearch", "2.11.0"),
    ],
)
def test_catalogued_images_and_their_mirrors(image: str, engine: str, version: str) -> None:
    component = component_for_image(image, Location("compose.yaml", 1))
    assert component is not None
    assert (component.engine, component.version, component.unresolved) == (engine, version, None)


@pytest.mark.parametrize(
    "image",
    [
        "grafana/grafana-enterprise:11.0.0",  # Enterprise build: license not catalogued
        "docker.elastic.co/elasticsearch/elasticsearch-oss:7.10.2",  # OSS build not catalogued
        "bitnami/minio:2025.7.23-debian-12-r3",  # a date, not a release name
        "percona/percona-server-mongodb:6.0.15-12",  # Percona's own build
        "graylog/graylog-enterprise:6.0",
    ],
)
def test_uncatalogued_builds_are_reported_without_a_version(image: str) -> None:
    component = component_for_image(image, Location("compose.yaml", 1))
    assert component is not None and component.version is None and component.unresolved


@pytest.mark.parametrize(
    "image",
    [
        "grafana/promtail:2.9.4",
        "grafana/agent:v0.40.0",
        "grafana/alloy:v1.3.0",
        "grafana/grafana-image-renderer:3.10.0",
        "grafana/k6:0.50.0",
        "grafana/loki-canary:3.0.0",
        "grafana/tempo-query:2.4.1",
        "minio/mc:latest",
        "mongo-express:1.0.2",
        "docker.elastic.co/beats/filebeat:8.15.0",
        "docker.elastic.co/logstash/logstash:8.15.0",
        "quay.io/prometheuscommunity/elasticsearch-exporter:v1.7.0",
        "percona/mongodb_exporter:0.40",
    ],
)
def test_images_that_run_no_server_stay_silent(image: str) -> None:
    ref = parse_image(image)
    assert ref is not None
    assert component_for_image(image, Location("compose.yaml", 1)) is None


def test_elastic_images_say_their_binary_license_differs() -> None:
    component = component_for_image(
        "docker.elastic.co/elasticsearch/elasticsearch:8.17.0", Location("compose.yaml", 1)
    )
    assert component is not None
    assert any("Elastic-License-2.0" in note and "J51" in note for note in component.notes)


# -- Terraform: managed offerings ------------------------------------------------------------


def _terraform() -> dict[int, Finding]:
    report = check([str(FIXTURES / "terraform" / "managed_search")], load_policy("default"), AS_OF)
    return {f.location.line: f for f in report.findings if f.location and f.location.line}


def test_managed_offerings_are_provider_managed_findings() -> None:
    found = _terraform()
    wanted = {
        3: ("opensearch", "2.11", "aws-opensearch"),
        8: ("elasticsearch", "7.10.2", "aws-opensearch"),
        17: ("elasticsearch", "7.10.2", "aws-opensearch"),
        23: ("mongodb", "7.0", "mongodb-atlas"),
        30: ("mongodb", "6.0", "mongodb-atlas"),
        41: ("elasticsearch", "8.15.0", "elastic-cloud"),
        49: ("grafana", "10.4", "amazon-managed-grafana"),
        68: ("grafana", "11", "azure-managed-grafana"),
    }
    for line, (engine, version, provider) in wanted.items():
        f = found[line]
        assert (f.engine, f.version, f.provider) == (engine, version, provider), line
        assert f.verdict == Verdict.ALLOW and f.rules == ["allow-provider-managed"], line
    assert any("open-source build of Elasticsearch" in n for n in found[8].notes)


def test_unset_and_versionless_offerings_are_reviewed_with_the_reason() -> None:
    found = _terraform()
    unset = found[11]
    assert (unset.engine, unset.version, unset.verdict) == ("opensearch", None, Verdict.REVIEW)
    assert "latest OpenSearch" in " ".join(unset.rationale)
    stack = found[52]
    assert (stack.engine, stack.provider, stack.verdict) == (
        "grafana",
        "grafana-cloud",
        Verdict.REVIEW,
    )


def test_documentdb_and_cosmos_are_never_mongodb() -> None:
    found = _terraform()
    docdb, cosmos = found[33], found[57]
    assert (docdb.engine, docdb.provider) == ("documentdb", "aws-documentdb")
    assert (cosmos.engine, cosmos.provider) == ("cosmosdb-mongodb", "azure-cosmosdb")
    for f in (docdb, cosmos):
        assert f.verdict == Verdict.REVIEW and f.license is None
        assert any("not MongoDB" in n for n in f.notes)
    assert all(f.engine != "mongodb" or f.provider == "mongodb-atlas" for f in found.values())


# -- suggestions -----------------------------------------------------------------------------


def test_opensearch_is_suggested_for_elasticsearch_where_the_policy_lets_it_pass(
    tmp_path: Path,
) -> None:
    """OpenSearch is unverified, so no bundled policy passes it; one that trusts
    secondary evidence does, and then it is the same-lineage replacement."""
    text = resolve_policy_path("default").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = lines.index("  - id: review-unverified")
    trusting = "\n".join(lines[:start] + lines[start + 4 :]) + "\n"
    path = tmp_path / "trusting.yaml"
    path.write_text(trusting, encoding="utf-8")
    (finding,) = check(["elasticsearch@8.15.0"], load_policy(str(path)), AS_OF).findings
    assert finding.verdict == Verdict.REVIEW
    first = finding.suggestions[0]
    assert first["engine"] == "opensearch" and first["verdict"] == "allow"
    assert "drop-in" in first["reason"]


# -- every source reads the new images ---------------------------------------------------------

_EVERY_IMAGE = [
    ("docker.elastic.co/elasticsearch/elasticsearch:8.15.0", "elasticsearch", "8.15.0"),
    ("docker.elastic.co/kibana/kibana:8.15.0", "kibana", "8.15.0"),
    ("opensearchproject/opensearch:2.11.0", "opensearch", "2.11.0"),
    ("mongo:7.0.14-jammy", "mongodb", "7.0.14"),
    ("grafana/grafana:11.3.0", "grafana", "11.3.0"),
    ("grafana/loki:2.9.4", "loki", "2.9.4"),
    ("grafana/tempo:2.4.1", "tempo", "2.4.1"),
    ("grafana/mimir:2.10.0", "mimir", "2.10.0"),
    ("quay.io/minio/minio:RELEASE.2024-01-16T16-07-38Z", "minio", "RELEASE.2024-01-16T16-07-38Z"),
    ("graylog/graylog:4.0.0", "graylog", "4.0.0"),
]


def test_kubernetes_manifests_with_only_these_images_are_parsed(tmp_path: Path) -> None:
    """The Kubernetes source's cheap test must know every engine word, or it misses them."""
    for i, (image, _, _) in enumerate(_EVERY_IMAGE):
        manifest = tmp_path / f"deploy-{i}.yaml"
        manifest.write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n"
            "  template:\n    spec:\n      containers:\n        - name: app\n"
            f"          image: {image}\n",
            encoding="utf-8",
        )
    result = scan_paths([str(tmp_path)])
    assert result.errors == []
    found = sorted((c.engine, c.version) for c in result.components)
    assert found == sorted((engine, version) for _, engine, version in _EVERY_IMAGE)


@pytest.mark.parametrize(("image", "engine", "version"), _EVERY_IMAGE)
def test_dockerfiles_built_on_these_images(
    tmp_path: Path, image: str, engine: str, version: str
) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {image} AS base\nRUN true\n", encoding="utf-8")
    (component,) = scan_paths([str(tmp_path)]).components
    assert (component.engine, component.version) == (engine, version)
    assert component.location is not None and component.location.line == 1


@pytest.mark.parametrize(
    ("body", "engine", "version", "unresolved"),
    [
        (
            'resource "aws_elasticsearch_domain" "d" {\n  domain_name = "d"\n}\n',
            "elasticsearch",
            "1.5",
            None,
        ),
        (
            'resource "aws_elasticsearch_domain" "d" {\n  elasticsearch_version = "OpenSearch_1.3"\n}\n',
            "opensearch",
            "1.3",
            None,
        ),
        (
            'resource "aws_opensearch_domain" "d" {\n  engine_version = "Elasticsearch_6.8"\n}\n',
            "elasticsearch",
            "6.8",
            None,
        ),
        (
            'resource "aws_opensearch_domain" "d" {\n  engine_version = "Solr_9.1"\n}\n',
            "unknown",
            None,
            "unknown engine",
        ),
        (
            'resource "aws_opensearch_domain" "d" {\n  engine_version = "7.10"\n}\n',
            "unknown",
            None,
            "unknown engine",
        ),
        (
            'resource "mongodbatlas_cluster" "c" {\n  name = "c"\n}\n',
            "mongodb",
            None,
            "Atlas deploys its current default",
        ),
    ],
)
def test_search_domain_versions_name_their_engine(
    tmp_path: Path, body: str, engine: str, version: str | None, unresolved: str | None
) -> None:
    (tmp_path / "main.tf").write_text(body, encoding="utf-8")
    (component,) = scan_paths([str(tmp_path)]).components
    assert (component.engine, component.version) == (engine, version)
    if unresolved is None:
        assert component.unresolved is None
    else:
        assert unresolved in (component.unresolved or "")


def test_engine_view_does_not_call_an_unverified_release_verified() -> None:
    from click.testing import CliRunner

    from policycheck.cli import cli

    grafana = CliRunner().invoke(cli, ["engines", "grafana"])
    assert grafana.exit_code == 0
    assert "no release verified at its tag; newest known release 12.1.1" in grafana.output
    assert "newest verified release" not in grafana.output
    loki = CliRunner().invoke(cli, ["engines", "loki"])
    assert "newest verified release v3.7.6" in loki.output
