"""The migration audit (--from), labels per release asked for, consequences per declared use,
the adr JSON schema 1.1, and the adr command's new options through the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from policycheck.adr import AdrResult, build_adr
from policycheck.adr.audit import ModuleFit, migration_facts
from policycheck.adr.render import adr_json, render_html, render_markdown
from policycheck.catalog import catalog
from policycheck.cli import main
from policycheck.data import schema
from policycheck.errors import InputError
from policycheck.knowledge import Use
from policycheck.policy import load_policy

AS_OF = dt.date(2026, 11, 27)
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "adr"
DEPLOY = str(FIXTURES / "deploy")
LATEST = ["valkey@latest", "redis@latest", "dragonfly@latest"]


@pytest.fixture(scope="module")
def audited() -> AdrResult:
    return build_adr(LATEST, load_policy("default"), None, AS_OF, from_paths=[DEPLOY])


def _fits(result: AdrResult, option: str) -> dict[str, ModuleFit]:
    c = next(c for c in result.audit.candidates if c.option == option)
    return {m.module: m for m in c.modules}


# -- what is deployed ---------------------------------------------------------------------------


def test_audit_lists_what_is_deployed_and_the_modules_loaded(audited: AdrResult) -> None:
    a = audited.audit
    deployed = [(d.engine, d.kind, d.version, d.license, d.location) for d in a.deployed]
    assert deployed == [
        (
            "redis",
            "server",
            "7.4.0",
            "LicenseRef-scancode-rsalv2 OR SSPL-1.0",
            f"{DEPLOY}/docker-compose.yml:3",
        ),
        ("redis", "server", "7.2.4", "BSD-3-Clause", f"{DEPLOY}/docker-compose.yml:8"),
        ("redisearch", "module", None, None, f"{DEPLOY}/redis.conf:8"),
    ]
    modules = [(m.module, m.version, m.capability, m.how, m.where) for m in a.modules]
    assert modules == [
        ("redisearch", None, "search", "loadmodule", f"{DEPLOY}/redis.conf:8"),
        ("redisjson", "2.6.6", "json", "--loadmodule", f"{DEPLOY}/docker-compose.yml:9"),
    ]
    # redis.conf line 7 is a commented-out loadmodule; bind and maxmemory are not tracked
    assert [(d.directive, d.value, d.where.rsplit(":", 1)[1]) for d in a.directives] == [
        ("appendonly", "yes", "3"),
        ("appendfsync", "everysec", "4"),
        ("maxmemory-policy", "allkeys-lru", "6"),
        ("appendonly", "no", "9"),  # --appendonly no in the compose command
    ]


def test_redisearch_is_not_portable_to_dragonfly_and_valkey_names_its_equivalent(
    audited: AdrResult,
) -> None:
    dragonfly = _fits(audited, "dragonfly")["redisearch"]
    assert (dragonfly.status, dragonfly.portable) == ("partial", False)
    assert "docs/command-reference/compatibility.md" in dragonfly.evidence[0]
    valkey = _fits(audited, "valkey")["redisearch"]
    assert (valkey.provider, valkey.license, valkey.portable) == (
        "valkey-search (a separate Valkey module)",
        "BSD-3-Clause",
        False,
    )
    assert valkey.evidence[0] == "valkey-io/valkey-search@1.0.0:LICENSE (2025-05-27)"
    redis = _fits(audited, "redis")["redisearch"]
    assert (redis.status, redis.portable) == ("bundled", True)
    assert redis.license == "LicenseRef-scancode-rsalv2 OR SSPL-1.0 OR AGPL-3.0-only"
    json_fit = _fits(audited, "valkey")["redisjson"]
    assert (json_fit.status, json_fit.provider, json_fit.license) == (
        "equivalent",
        "valkey-json (a separate Valkey module)",
        "BSD-3-Clause",
    )
    md = render_markdown(audited)
    assert "- Module redisearch: NOT portable as is (partial); Dragonfly's built-in search" in md
    assert (
        "- Module redisearch: NOT portable as is (partial); valkey-search (a separate Valkey "
        "module), license BSD-3-Clause." in md
    )


def test_configuration_that_does_not_carry_over(audited: AdrResult) -> None:
    dragonfly = next(c for c in audited.audit.candidates if c.option == "dragonfly")
    by = {c.directive: c for c in dragonfly.config}
    assert by["redis.conf"].status == "changed"  # flags, not a redis.conf
    assert by["appendfsync"].status == "none"
    assert by["appendfsync"].evidence == (
        "dragonflydb/documentation@61b24fcbf3eb:docs/managing-dragonfly/aof.md (2026-06-22)",
    )
    assert by["maxmemory-policy"].status == "changed"
    valkey = next(c for c in audited.audit.candidates if c.option == "valkey")
    assert {c.directive: c.status for c in valkey.config} == {
        "appendonly": "same",
        "appendfsync": "same",
        "maxmemory-policy": "same",
    }


def test_migration_paths_by_deployed_release(audited: AdrResult) -> None:
    def steps(option: str) -> list[tuple[str, str]]:
        c = next(c for c in audited.audit.candidates if c.option == option)
        return [(s.source.split(" at ")[0], s.method) for s in c.migration]

    # Redis 7.4 writes RDB 12, which Valkey treats as foreign; 7.2 writes RDB 11.
    assert steps("valkey") == [("Redis 7.4.0", "question"), ("Redis 7.2.4", "replica-and-promote")]
    # Dragonfly documents replication from Redis OSS up to 6.2 only.
    assert steps("dragonfly") == [("Redis 7.4.0", "question"), ("Redis 7.2.4", "question")]
    assert steps("redis") == [("Redis 7.4.0", "upgrade"), ("Redis 7.2.4", "upgrade")]
    valkey = next(c for c in audited.audit.candidates if c.option == "valkey")
    assert any("RDB version 12" in q for q in valkey.questions)


def test_a_redis_stack_image_loads_the_stack_modules() -> None:
    result = build_adr(
        ["valkey@8.1.1", "dragonfly@v1.25.0"],
        load_policy("default"),
        None,
        AS_OF,
        from_paths=[str(FIXTURES / "stack")],
    )
    assert [(m.module, m.how) for m in result.audit.modules] == [
        ("redisearch", "in redis-stack"),
        ("redisjson", "in redis-stack"),
        ("redistimeseries", "in redis-stack"),
        ("redisbloom", "in redis-stack"),
    ]
    assert {m: f.status for m, f in _fits(result, "dragonfly").items()} == {
        "redisearch": "partial",
        "redisjson": "equivalent",
        "redistimeseries": "none",
        "redisbloom": "partial",
    }
    valkey = next(c for c in result.audit.candidates if c.option == "valkey")
    assert any(
        q.startswith("redistimeseries (") and "question for the team" in q for q in valkey.questions
    )


def test_an_uncatalogued_module_is_a_question(tmp_path: Path) -> None:
    (tmp_path / "redis.conf").write_text("loadmodule /opt/lib/libredis_cell.so\n", encoding="utf-8")
    result = build_adr(
        ["valkey@8.1.1"], load_policy("default"), None, AS_OF, from_paths=[str(tmp_path)]
    )
    fit = result.audit.candidates[0].modules[0]
    assert (fit.status, fit.portable, fit.capability) == ("unknown", False, None)
    assert "is not a catalogued module" in (fit.coverage or "")
    assert result.audit.candidates[0].questions


def test_from_a_missing_path_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--from: no such file or folder"):
        build_adr(
            ["valkey@8.1.1"], load_policy("default"), None, AS_OF, from_paths=["/no/such/dir"]
        )


def test_migration_facts_name_catalogued_modules_and_candidates() -> None:
    facts = migration_facts()
    engines = catalog().engines
    for cap in facts["capabilities"]:
        assert all(engines[m].kind == "module" for m in cap["modules"])
        assert all(engines[d].kind == "distribution" for d in cap.get("distributions", []))
        assert {o["engine"] for o in cap["offers"]} == {"redis", "valkey", "dragonfly"}
        for offer in cap["offers"]:
            assert offer["evidence"], offer
            if offer["engine"] == "valkey" and offer["status"] != "unknown":
                assert offer["license"] == "BSD-3-Clause"


# -- labels and licensing score per release asked (issue: no fixed "Redis 8" row) ----------------


def test_options_are_labelled_with_the_release_asked_for() -> None:
    result = build_adr(["redis@7.2.4", "valkey@8.1.1"], load_policy("default"), None, AS_OF)
    assert [o.label for o in result.options] == ["Redis 7.2.4", "Valkey 8.1.1"]
    md = render_markdown(result)
    assert "Redis 8.x" not in md.replace("matrix row 'Redis 8.x'", "").replace(
        "The matrix row 'Redis 8.x'", ""
    )
    redis = result.option("redis")
    # 7.2.4 is BSD-3-Clause: allow -> 5 under both uses, single-vendor -1 -> 4.
    assert redis.scores["licensing-governance"] == 4
    assert redis.derived["licensing-governance"] == (
        "derived: verdict allow -> 5 (per use: internal allow -> 5, saas allow -> 5), "
        "single-vendor -1 -> 4"
    )
    assert redis.scope_note is not None and "written for releases >=8.0.0" in redis.scope_note
    # 0.25*4 + 0.20*3 + 0.15*5 + 0.15*5 + 0.10*4 + 0.10*5 + 0.05*5 = 4.25 (3.75 with the row's 2)
    assert result.totals["redis"] == pytest.approx(4.25)


def test_a_release_inside_the_row_keeps_the_matrix_score() -> None:
    result = build_adr(["redis@8.2.1"], load_policy("default"), None, AS_OF)
    redis = result.option("redis")
    assert redis.label == "Redis 8.2.1" and redis.scope_note is None
    assert redis.scores["licensing-governance"] == 2 and redis.derived == {}


# -- consequences per declared use -----------------------------------------------------------------


def test_consequences_follow_the_declared_uses() -> None:
    policy = load_policy("default").with_uses((Use.MANAGED_SERVICE,))
    result = build_adr(["valkey@8.1.1", "redis@7.4.0", "dragonfly@v1.25.0"], policy, None, AS_OF)
    redis = result.option("redis").consequences.accept
    assert any(
        a.startswith(
            "Restriction under LicenseRef-scancode-rsalv2 (offering it as a managed service)"
        )
        and a.endswith("[RSALv2 Limitations ¶1 (first sentence), ¶2]")
        for a in redis
    )
    assert any(
        a.startswith("Alternative SSPL-1.0 (not elected), restriction") and "[SSPL §13" in a
        for a in redis
    )
    dragonfly = result.option("dragonfly").consequences.accept
    assert any("Service" in a and a.startswith("Restriction under BUSL-1.1") for a in dragonfly)
    valkey = result.option("valkey").consequences.accept
    assert not any(a.startswith(("Restriction", "Obligation", "Alternative")) for a in valkey)
    internal = build_adr(["redis@7.4.0"], load_policy("default"), None, AS_OF)
    assert not any("managed service" in a for a in internal.option("redis").consequences.accept)


# -- JSON contract -----------------------------------------------------------------------------------


def test_json_validates_against_the_adr_schema(audited: AdrResult) -> None:
    validator = jsonschema.Draft202012Validator(schema("adr"))
    doc = adr_json(audited)
    validator.validate(doc)
    assert doc["schema_version"] == "1.1"
    assert doc["path"]["tree"]["kind"] == "question"
    assert doc["path"]["tree"]["threshold"] == 0.5789
    assert doc["audit"]["candidates"][2]["modules"][0]["portable"] is False
    plain = adr_json(build_adr(LATEST, load_policy("default"), None, AS_OF))
    validator.validate(plain)
    assert plain["audit"] is None


def test_html_carries_the_new_sections(audited: AdrResult) -> None:
    page = render_html(audited)
    for heading in (
        "Decision path",
        "Claims checked",
        "Migration audit",
        "Moving to Dragonfly 1.40.1",
    ):
        assert heading in page
    assert "flowchart TD" in page and "<script" not in page


# -- the command ---------------------------------------------------------------------------------


def test_adr_command_with_from_what_if_and_use(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "adr",
            *LATEST,
            "--as-of",
            "2026-11-27",
            "--from",
            DEPLOY,
            "--what-if",
            "throughput-scaling=0.4",
            "--format",
            "json",
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    doc = json.loads(out)
    assert doc["what_if"]["ranking"] == ["valkey", "dragonfly", "redis"]
    assert doc["audit"]["modules"][0]["module"] == "redisearch"
    assert [c["holds"] for c in doc["claims"]] == [False, False, True, False, False]
    code = main(
        [
            "adr",
            "valkey@8.1.1",
            "dragonfly@v1.25.0",
            "--use",
            "managed-service",
            "--as-of",
            "2026-11-27",
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    assert "Dragonfly 1.25.0 is out (deny" in out
    code = main(["adr", *LATEST, "--what-if", "speed=0.4"])
    _, err = capsys.readouterr()
    assert code == 2 and "unknown driver 'speed'" in err


def test_audit_reads_only_what_the_walk_would(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "redis.conf").write_text("appendfsync always\n", encoding="utf-8")
    scanned = tmp_path / "scanned"
    (scanned / "node_modules" / "pkg").mkdir(parents=True)
    (scanned / "node_modules" / "pkg" / "redis.conf").write_text(
        "appendonly yes\n", encoding="utf-8"
    )
    (scanned / "redis.conf").symlink_to(outside / "redis.conf")
    (scanned / "cache.redis.conf").write_text("maxmemory-policy allkeys-lfu\n", encoding="utf-8")
    result = build_adr(
        ["valkey@8.1.1"], load_policy("default"), None, AS_OF, from_paths=[str(scanned)]
    )
    assert [(d.directive, d.value, d.where) for d in result.audit.directives] == [
        ("maxmemory-policy", "allkeys-lfu", f"{scanned}/cache.redis.conf:1")
    ]
