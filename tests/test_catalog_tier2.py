"""The wider relicensing wave: Sentry, ScyllaDB, CockroachDB, Akka, Confluent, TimescaleDB,
Couchbase, MaxScale, Redpanda, n8n, Airbyte, Liquibase and EMQX.

Every row of the research's tables for these products is a test: a version on each side
of each boundary falls in the range with the research's expression and verified flag.
Rows not verified at a tag, versions no row covers, and licenses whose text was not read
never pass the default policy. A compose file with one image of each product finds each
at its line with the version its tag names.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from license_expression import get_spdx_licensing

from policycheck.catalog import catalog
from policycheck.cli import main
from policycheck.evaluate import Evaluator
from policycheck.images import component_for_image
from policycheck.knowledge import Effect, Use, knowledge
from policycheck.model import Component, Location
from policycheck.policy import Verdict, load_policy
from policycheck.sources.interface import mentions_engine
from policycheck.versions import parse_version

FIXTURE = Path(__file__).parent / "fixtures" / "tier2" / "docker-compose.yml"
TODAY = dt.date(2026, 12, 1)

CCL = "LicenseRef-scancode-confluent-community-1.0"
CSL = "LicenseRef-scancode-cockroachdb-2024-10-01"
COCKROACH_CCL = "LicenseRef-scancode-cockroach"
FSL10 = "LicenseRef-scancode-fsl-1.0-apache-2.0"
SLA10 = "LicenseRef-scancode-scylladb-sla-1.0"
SLA11 = "LicenseRef-ScyllaDB-Source-Available-1.1"
TSL18 = "LicenseRef-scancode-tsl-2018"
TSL20 = "LicenseRef-scancode-tsl-2020"

# (engine, version, expression, verified at a tag)
ROWS = [
    # Sentry: only getsentry/self-hosted was read at tags; sentry itself is unverified.
    ("sentry", "9.1.2", "BSD-3-Clause", False),
    ("sentry", "10.0.0", "BUSL-1.1", False),
    ("sentry", "23.11.0", "BUSL-1.1", False),
    ("sentry", "23.11.1", FSL10, False),
    ("sentry", "24.2.0", FSL10, False),
    ("sentry", "24.3.0", "FSL-1.1-ALv2", False),
    ("sentry", "26.8.0", "FSL-1.1-ALv2", False),
    # ScyllaDB: AGPL to SLA 1.0 to SLA 1.1, read at tags
    ("scylladb", "6.2.3", "AGPL-3.0-or-later", True),
    ("scylladb", "2025.1.0-rc0", SLA10, True),
    ("scylladb", "2025.1.0", SLA10, True),
    ("scylladb", "2026.1.5", SLA10, True),
    ("scylladb", "2026.2.0", SLA11, True),
    # Akka: Apache to BUSL at 2.7.0-M1
    ("akka", "2.6.21", "Apache-2.0", True),
    ("akka", "2.7.0-M1", "BUSL-1.1", True),
    ("akka", "2.7.0", "BUSL-1.1", True),
    ("akka", "2.10.9", "BUSL-1.1", True),
    # CockroachDB: nothing read at a tag
    ("cockroachdb", "19.1.5", f"Apache-2.0 AND {COCKROACH_CCL}", False),
    ("cockroachdb", "19.2.0", f"BUSL-1.1 AND {COCKROACH_CCL}", False),
    ("cockroachdb", "22.2.19", f"BUSL-1.1 AND {COCKROACH_CCL}", False),
    ("cockroachdb", "24.2.5", CSL, False),
    ("cockroachdb", "24.3.0", CSL, False),
    # Confluent components: Apache to CCL at v5.1.0-rc3, read at every tag
    ("confluent-schema-registry", "5.0.4", "Apache-2.0", True),
    ("confluent-schema-registry", "5.1.0-rc2", "Apache-2.0", True),
    ("confluent-schema-registry", "5.1.0", f"{CCL} AND Apache-2.0", True),
    ("confluent-schema-registry", "8.3.1", f"{CCL} AND Apache-2.0", True),
    ("ksqldb", "4.1.0", "Apache-2.0", True),
    ("ksqldb", "5.0.4", "Apache-2.0", True),
    ("ksqldb", "5.1.0-rc3", CCL, True),
    ("ksqldb", "0.29.0", CCL, True),
    ("confluent-kafka-rest", "5.0.4", "Apache-2.0", True),
    ("confluent-kafka-rest", "5.1.0", CCL, True),
    ("confluent-kafka-rest", "7.6.0", CCL, True),
    # TimescaleDB: Apache core plus the Timescale License for tsl/
    ("timescaledb", "1.1.1", "Apache-2.0", True),
    ("timescaledb", "1.2.0", f"Apache-2.0 AND {TSL18}", True),
    ("timescaledb", "2.0.0-beta1", f"Apache-2.0 AND {TSL18}", True),
    ("timescaledb", "2.0.0-rc1", f"Apache-2.0 AND {TSL20}", True),
    ("timescaledb", "2.29.2", f"Apache-2.0 AND {TSL20}", True),
    # Couchbase Server source (couchbase/kv_engine)
    ("couchbase", "6.6.5", "Apache-2.0", True),
    ("couchbase", "7.0.0", "BUSL-1.1", True),
    ("couchbase", "7.6.0", "BUSL-1.1", True),
    ("couchbase", "8.0.0", "BUSL-1.1", True),
    # MariaDB MaxScale: GPL, BSL 0.9 (no id), BUSL 1.1
    ("maxscale", "1.4.5", "GPL-2.0-only", True),
    ("maxscale", "2.0.0", "LicenseRef-MariaDB-BSL-0.9", True),
    ("maxscale", "2.0.6", "LicenseRef-MariaDB-BSL-0.9", True),
    ("maxscale", "2.1.0", "BUSL-1.1", True),
    ("maxscale", "24.08.0", "BUSL-1.1", True),
    # Redpanda: BUSL since the first tag
    ("redpanda", "20.12.5", "BUSL-1.1", True),
    ("redpanda", "21.2.1", "BUSL-1.1", True),
    ("redpanda", "21.2.2", "BUSL-1.1", True),
    ("redpanda", "24.3.1", "BUSL-1.1", True),
    # n8n: release artifacts only
    ("n8n", "0.11.0", "Apache-2.0 WITH LicenseRef-scancode-commons-clause", False),
    ("n8n", "0.169.0", "SUL-1.0", False),
    ("n8n", "1.64.0", "SUL-1.0", False),
    # Airbyte platform
    ("airbyte", "0.40.32", "Elastic-2.0 AND MIT", True),
    ("airbyte", "1.0.0", "Elastic-2.0 AND MIT", True),
    ("airbyte", "1.8.0", "Elastic-2.0", True),
    ("airbyte", "2.0.0", "Elastic-2.0", True),
    # Liquibase: Apache, a proprietary agreement at 5.0.0, then FSL
    ("liquibase", "4.33.0", "Apache-2.0", True),
    ("liquibase", "5.0.0-rc1", "Apache-2.0", True),
    ("liquibase", "5.0.0", "LicenseRef-scancode-proprietary-license", True),
    ("liquibase", "5.0.1", "FSL-1.1-ALv2", True),
    # EMQX: Apache, mixed, whole-repository BUSL from e5.9.0-beta.3
    ("emqx", "4.4.19", "Apache-2.0", True),
    ("emqx", "5.0-beta.3", "Apache-2.0", True),
    ("emqx", "5.0.0-beta.4", "Apache-2.0 AND BUSL-1.1", True),
    ("emqx", "5.8.9", "Apache-2.0 AND BUSL-1.1", True),
    ("emqx", "5.9.0-beta.2", "Apache-2.0 AND BUSL-1.1", True),
    ("emqx", "5.9.0-beta.3", "BUSL-1.1", True),
    ("emqx", "5.9.0", "BUSL-1.1", True),
    ("emqx", "6.0.0", "BUSL-1.1", True),
]

ENGINES = sorted({row[0] for row in ROWS})

#: Versions between two catalogued eras whose license nobody read: no range covers them.
GAPS = [
    ("cockroachdb", "23.1.0"),
    ("cockroachdb", "24.2.4"),
    ("n8n", "0.50.0"),
    ("airbyte", "0.30.0"),
    ("ksqldb", "0.10.0"),
]


def evaluator(as_of: dt.date = TODAY, policy: str = "default") -> Evaluator:
    return Evaluator(load_policy(policy), as_of)


@pytest.mark.parametrize(("engine", "version", "expected", "verified"), ROWS)
def test_each_row_has_the_research_expression_and_flag(
    engine: str, version: str, expected: str, verified: bool
) -> None:
    v = parse_version(version)
    assert v is not None
    found = catalog().engines[engine].range_for(v)
    assert found is not None, f"{engine} {version} is in no range"
    assert found.license == expected
    assert found.verified_at_tags is verified


@pytest.mark.parametrize(
    ("engine", "version"), [(e, v) for e, v, _, verified in ROWS if not verified]
)
def test_unverified_rows_never_pass_the_default_policy(engine: str, version: str) -> None:
    finding = evaluator().evaluate(Component(engine, version))
    assert finding.verdict != Verdict.ALLOW
    assert "review-unverified" in finding.rules


@pytest.mark.parametrize(("engine", "version"), GAPS)
def test_versions_between_known_eras_are_reviewed(engine: str, version: str) -> None:
    v = parse_version(version)
    if v is not None:
        assert catalog().engines[engine].range_for(v) is None
    for policy in ("default", "permissive-only", "osi-only", "managed-service-provider"):
        finding = evaluator(policy=policy).evaluate(Component(engine, version))
        assert finding.verdict >= Verdict.REVIEW, (policy, finding.rationale)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_expression_parses_and_every_id_is_known_or_fails_closed(engine: str) -> None:
    licensing = get_spdx_licensing()
    kb = knowledge()
    no_record = {"LicenseRef-MariaDB-BSL-0.9", "LicenseRef-scancode-proprietary-license"}
    for r in catalog().engines[engine].ranges:
        parsed = licensing.parse(r.license)
        for key in licensing.license_keys(parsed):
            if key == "LicenseRef-scancode-commons-clause":
                continue  # an exception; its record is kept elsewhere
            assert kb.get(key) is not None or key in no_record, key


@pytest.mark.parametrize(
    "license_id", sorted({"LicenseRef-MariaDB-BSL-0.9", "LicenseRef-scancode-proprietary-license"})
)
def test_ids_without_a_record_are_reviewed(license_id: str) -> None:
    engine, version = {
        "LicenseRef-MariaDB-BSL-0.9": ("maxscale", "2.0.0"),
        "LicenseRef-scancode-proprietary-license": ("liquibase", "5.0.0"),
    }[license_id]
    finding = evaluator(policy="permissive-only").evaluate(Component(engine, version))
    assert finding.verdict >= Verdict.REVIEW
    assert any(license_id in line for line in finding.rationale)


@pytest.mark.parametrize(
    "license_id",
    [
        SLA11,
        "LicenseRef-scancode-couchbase-community",
        "LicenseRef-scancode-couchbase-enterprise",
    ],
)
def test_records_of_unread_texts_restrict_every_use(license_id: str) -> None:
    record = knowledge().get(license_id)
    assert record is not None
    assert {e.effect for e in record.effects.values()} == {Effect.RESTRICTION}
    assert "not read" in record.summary


def test_scylla_sla_11_fails_closed_under_every_bundled_policy() -> None:
    for policy in ("default", "permissive-only", "osi-only", "managed-service-provider"):
        finding = evaluator(policy=policy).evaluate(Component("scylladb", "2026.2.0"))
        assert finding.verdict != Verdict.ALLOW


# --- BUSL parameters and conversion ------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "version", "day_before", "converted_to"),
    [
        # Sentry 23.11.0: absolute Change Date 2026-11-15 (release + 3 years)
        ("sentry", "23.11.0", dt.date(2026, 11, 14), "Apache-2.0"),
        # Akka 2.8.0: Change Date 2026-03-16
        ("akka", "2.8.0", dt.date(2026, 3, 15), "Apache-2.0"),
        # Couchbase 7.6 keeps the 7.1 file: April 1, 2026
        ("couchbase", "7.6.0", dt.date(2026, 3, 31), "Apache-2.0"),
        # MaxScale 2.1: Change Date 2019-07-01, to GPL-2.0-or-later
        ("maxscale", "2.1.0", dt.date(2019, 6, 30), "GPL-2.0-or-later"),
        # EMQX 5.9.0 (2025-05-02): four years from publication
        ("emqx", "5.9.0", dt.date(2029, 5, 1), "Apache-2.0"),
        # Redpanda 24.3.1 (2024-11-26): four years from release
        ("redpanda", "24.3.1", dt.date(2028, 11, 25), "Apache-2.0"),
    ],
)
def test_busl_releases_convert_on_their_own_date(
    engine: str, version: str, day_before: dt.date, converted_to: str
) -> None:
    before = evaluator(day_before).evaluate(Component(engine, version))
    after = evaluator(day_before + dt.timedelta(days=1)).evaluate(Component(engine, version))
    assert "BUSL-1.1" in (before.effective_license or "")
    assert before.converts == {
        "date": (day_before + dt.timedelta(days=1)).isoformat(),
        "to": converted_to,
    }
    assert after.effective_license == converted_to


@pytest.mark.parametrize(
    ("engine", "version"),
    [("akka", "2.7.0"), ("akka", "2.8.5"), ("akka", "2.10.3"), ("maxscale", "24.02.1")],
)
def test_releases_whose_own_change_date_was_not_read_never_convert(
    engine: str, version: str
) -> None:
    finding = evaluator(dt.date(2040, 1, 1)).evaluate(Component(engine, version))
    assert finding.effective_license == "BUSL-1.1"
    assert finding.converts is None


@pytest.mark.parametrize(
    ("engine", "grant", "licensor"),
    [
        ("sentry", "sentry-aug", "Functional Software, Inc."),
        ("akka", "akka-play-aug", "Lightbend, Inc."),
        ("cockroachdb", "cockroach-aug", "Cockroach Labs, Inc."),
        ("couchbase", "couchbase-aug", "Couchbase, Inc."),
        ("maxscale", "maxscale-aug", "MariaDB Corporation Ab"),
        ("redpanda", "redpanda-aug", "Vectorized, Inc."),
        ("emqx", "emqx-aug", "EMQ Technologies Incorporated"),
    ],
)
def test_busl_ranges_carry_their_grant_and_licensor(engine: str, grant: str, licensor: str) -> None:
    ranges = [r for r in catalog().engines[engine].ranges if r.license.startswith("BUSL")]
    assert ranges
    assert all(r.grant is not None and r.grant.key == grant for r in ranges)
    assert any(r.busl is not None and r.busl.licensor == licensor for r in ranges)


def test_the_grant_decides_managed_service_use() -> None:
    redpanda = evaluator(policy="managed-service-provider").evaluate(
        Component("redpanda", "24.3.1")
    )
    assert redpanda.verdict == Verdict.DENY
    assert any("topics" in r.rationale and "Redpanda" in r.clause for r in redpanda.restrictions)


# --- images -------------------------------------------------------------------------------

IMAGES = [
    ("getsentry/sentry:24.3.0", "sentry", "24.3.0"),
    ("ghcr.io/getsentry/sentry:26.8.0", "sentry", "26.8.0"),
    ("scylladb/scylla:6.2.3", "scylladb", "6.2.3"),
    ("cockroachdb/cockroach:v23.2.3", "cockroachdb", "23.2.3"),
    ("confluentinc/cp-schema-registry:7.6.0", "confluent-schema-registry", "7.6.0"),
    ("confluentinc/cp-ksqldb-server:7.6.0", "ksqldb", "7.6.0"),
    ("confluentinc/cp-kafka-rest:7.6.0", "confluent-kafka-rest", "7.6.0"),
    ("timescale/timescaledb:2.14.2-pg16", "timescaledb", "2.14.2"),
    ("mariadb/maxscale:24.02.1", "maxscale", "24.02.1"),
    ("redpandadata/redpanda:v24.3.1", "redpanda", "24.3.1"),
    ("vectorized/redpanda:v21.11.1", "redpanda", "21.11.1"),
    ("docker.redpanda.com/redpandadata/redpanda:v24.3.1", "redpanda", "24.3.1"),
    ("n8nio/n8n:1.64.0", "n8n", "1.64.0"),
    ("docker.n8n.io/n8nio/n8n:1.64.0", "n8n", "1.64.0"),
    ("airbyte/server:1.8.0", "airbyte", "1.8.0"),
    ("airbyte/webapp:0.50.0", "airbyte", "0.50.0"),
    ("liquibase/liquibase:4.33.0-alpine", "liquibase", "4.33.0"),
    ("emqx/emqx:5.8.0", "emqx", "5.8.0"),
    ("mirror.corp:5000/scylladb/scylla:6.2.3", "scylladb", "6.2.3"),
]


@pytest.mark.parametrize(("image", "engine", "version"), IMAGES)
def test_images_give_engine_and_release(image: str, engine: str, version: str) -> None:
    c = component_for_image(image, Location("deploy.yaml", 3))
    assert c is not None
    assert (c.engine, c.unresolved) == (engine, None)
    assert c.version is not None and c.version.lstrip("v") == version


@pytest.mark.parametrize(
    ("image", "engine"),
    [
        ("couchbase:enterprise-7.6.2", "couchbase"),
        ("couchbase:community-7.6.2", "couchbase"),
        ("couchbase/server:7.6.2", "couchbase"),
        ("timescale/timescaledb:latest-pg16", "timescaledb"),
        ("timescale/timescaledb-ha:pg16.2-ts2.14.2", "timescaledb"),
        ("cockroachdb/cockroach:latest-v23.2", "cockroachdb"),
        ("getsentry/sentry:nightly", "sentry"),
        ("bitnami/scylladb:6.2.3-debian-12-r0", "scylladb"),
        ("airbyte/source-postgres:3.6.0", "airbyte"),
        ("emqx/emqx-enterprise:5.8.0", "emqx"),
    ],
)
def test_tags_that_name_no_release_are_unresolved(image: str, engine: str) -> None:
    c = component_for_image(image, Location("deploy.yaml", 3))
    assert c is not None
    assert c.engine == engine
    assert c.version is None
    assert c.unresolved


@pytest.mark.parametrize(
    "image",
    ["confluentinc/cp-kafka:7.6.0", "confluentinc/cp-zookeeper:7.6.0", "getsentry/snuba:24.3.0"],
)
def test_neighbouring_images_are_not_these_products(image: str) -> None:
    assert component_for_image(image, Location("deploy.yaml", 3)) is None


@pytest.mark.parametrize("engine_id", ENGINES)
def test_the_engine_word_prefilter_knows_every_name_of_these_products(engine_id: str) -> None:
    for engine in [catalog().engines[engine_id]]:
        for name in (engine.id, *engine.aliases, *(e.image for e in engine.image_entries)):
            assert mentions_engine(name.lower().encode()), name


def test_compose_finds_each_product_at_its_line(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    main(["check", str(FIXTURE), "--format", "json", "-o", str(out), "--as-of", "2026-12-01"])
    report = json.loads(out.read_text())
    got = {(f["location"]["line"], f["engine"], f["version"]) for f in report["findings"]}
    assert got == {
        (4, "sentry", "24.3.0"),
        (6, "sentry", "26.8.0"),
        (8, "scylladb", "2025.1.0"),
        (10, "cockroachdb", "24.3.0"),
        (12, "confluent-schema-registry", "7.6.0"),
        (14, "ksqldb", "7.6.0"),
        (16, "confluent-kafka-rest", "7.6.0"),
        (20, "timescaledb", "2.14.2"),
        (22, "couchbase", None),
        (24, "maxscale", "24.08.0"),
        (26, "redpanda", "24.3.1"),
        (28, "n8n", "1.64.0"),
        (30, "airbyte", "1.8.0"),
        (32, "airbyte", "1.8.0"),
        (34, "liquibase", "4.33.0"),
        (36, "emqx", "5.8.9"),
    }
    verdicts = {f["engine"]: f["verdict"] for f in report["findings"]}
    assert verdicts["liquibase"] == "allow"
    assert all(v != "allow" for e, v in verdicts.items() if e != "liquibase")


def test_application_and_library_kinds_are_never_suggested_as_servers() -> None:
    kinds = {e.id: e.kind for e in catalog().engines.values()}
    assert kinds["akka"] == "library"
    assert {kinds[e] for e in ("sentry", "n8n", "airbyte", "liquibase")} == {"application"}
    for key in ("FSL-1.1-ALv2", "SUL-1.0", CCL, TSL20, CSL, SLA10):
        record = knowledge().get(key)
        assert record is not None and set(record.effects) == set(Use)
