"""Redis Stack and its modules: every license era, checked at its boundary versions.

Stack images are tagged by build (``7.4.0-v3`` is build 3 of the 7.4.0 line): the catalog's
``build_suffix`` says so, and every build is judged as its line, from a target, a manifest
or an SBOM; a release candidate is not a build, and any other suffix is not a version.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from license_expression import get_spdx_licensing

from policycheck import core
from policycheck.catalog import Engine, _engine, catalog
from policycheck.cli import main
from policycheck.data import data_dir, load_validated, schema_errors
from policycheck.errors import DataError
from policycheck.evaluate import Evaluator
from policycheck.images import component_for_image, version_from_tag
from policycheck.model import Component, Finding, Location
from policycheck.policy import Verdict, load_policy
from policycheck.sources.spdx.source import SOURCE as SPDX
from policycheck.versions import parse_version
from policycheck.yamlload import Located

RSAL1 = "LicenseRef-scancode-redis-source-available-1.0"
DUAL = "LicenseRef-scancode-rsalv2 OR SSPL-1.0"
TRI = "LicenseRef-scancode-rsalv2 OR SSPL-1.0 OR AGPL-3.0-only"
CC = "Apache-2.0 WITH LicenseRef-scancode-commons-clause"
AGPL = "AGPL-3.0-only"

BOUNDARIES = [
    # RediSearch: AGPL -> Commons Clause -> RSALv1 -> dual -> tri
    ("redisearch", "1.2.0", AGPL),
    ("redisearch", "1.3.0-beta1", CC),
    ("redisearch", "1.4.3", CC),
    ("redisearch", "1.4.4", RSAL1),
    ("redisearch", "2.6.1", RSAL1),
    ("redisearch", "2.4.17", RSAL1),
    ("redisearch", "2.6.2", DUAL),
    ("redisearch", "2.10.32", DUAL),
    ("redisearch", "7.99.91", DUAL),
    ("redisearch", "8.0.0", TRI),
    # RedisJSON: only 1.0.3 is Commons Clause
    ("redisjson", "1.0.2", AGPL),
    ("redisjson", "1.0.3", CC),
    ("redisjson", "1.0.4", RSAL1),
    ("redisjson", "2.4.0", RSAL1),
    ("redisjson", "2.4.1", DUAL),
    ("redisjson", "7.99.90", DUAL),
    ("redisjson", "8.0.0", TRI),
    # RedisTimeSeries: the 0.1.0 pre-release is Commons Clause, 0.1.0 is RSALv1
    ("redistimeseries", "0.1.0-alpha1", CC),
    ("redistimeseries", "0.1.0", RSAL1),
    ("redistimeseries", "1.6.19", RSAL1),
    ("redistimeseries", "1.8.2", RSAL1),
    ("redistimeseries", "1.8.3", DUAL),
    ("redistimeseries", "1.12.14", DUAL),
    ("redistimeseries", "8.0.0", TRI),
    # RedisBloom: AGPL straight to RSALv1
    ("redisbloom", "1.1.0", AGPL),
    ("redisbloom", "1.1.1", RSAL1),
    ("redisbloom", "2.2.19", RSAL1),
    ("redisbloom", "2.4.2", RSAL1),
    ("redisbloom", "2.4.3", DUAL),
    ("redisbloom", "2.8.20", DUAL),
    ("redisbloom", "8.0.0", TRI),
    # Redis Stack: the AND of server and modules, by Stack line
    ("redis-stack", "6.2.4", f"BSD-3-Clause AND {RSAL1}"),
    ("redis-stack", "6.2.6-rc1", f"BSD-3-Clause AND {RSAL1}"),
    ("redis-stack", "6.2.6", f"BSD-3-Clause AND ({DUAL})"),
    ("redis-stack", "7.0.6-rc1", f"BSD-3-Clause AND {RSAL1}"),
    ("redis-stack", "7.0.6-rc2", f"BSD-3-Clause AND ({DUAL})"),
    ("redis-stack", "7.2.0", f"BSD-3-Clause AND ({DUAL})"),
    ("redis-stack", "7.4.0", DUAL),
]


@pytest.mark.parametrize(("engine_id", "version", "expected"), BOUNDARIES)
def test_boundary_versions_fall_in_the_right_era(
    engine_id: str, version: str, expected: str
) -> None:
    v = parse_version(version)
    assert v is not None
    found = catalog().engines[engine_id].range_for(v)
    assert found is not None
    assert found.license == expected


@pytest.mark.parametrize(
    "engine_id", ["redis-stack", "redisearch", "redisjson", "redistimeseries", "redisbloom"]
)
def test_every_license_is_a_valid_spdx_expression(engine_id: str) -> None:
    licensing = get_spdx_licensing()
    for r in catalog().engines[engine_id].ranges:
        assert licensing.validate(r.license).errors == [], r.license


def test_kinds_and_steward() -> None:
    engines = catalog().engines
    assert engines["redis-stack"].kind == "distribution"
    for module in ("redisearch", "redisjson", "redistimeseries", "redisbloom"):
        assert engines[module].kind == "module"
        assert engines[module].protocol == "resp"
        assert engines[module].governance.steward == "Redis Ltd."
        assert engines[module].governance.model == "single-vendor"


def test_only_stack_ranges_with_unchecked_modules_are_unverified() -> None:
    stack = catalog().engines["redis-stack"]
    unverified = {r.versions.text for r in stack.ranges if not r.verified_at_tags}
    assert unverified == {">=7.0.6-rc2,<7.3.0", ">=7.3.0"}


def test_internal_test_tags_carry_a_release_note() -> None:
    search = catalog().engines["redisearch"]
    v = parse_version("3.2.1")
    assert v is not None
    assert search.range_for(v) is not None
    assert any("tri-license" in n.note for n in search.notes_for(v))
    nine = parse_version("99.99.98")
    assert nine is not None
    assert search.notes_for(nine)


def test_aliases_resolve() -> None:
    assert catalog().get("rejson") is catalog().engines["redisjson"]
    assert catalog().get("redis-stack-server") is catalog().engines["redis-stack"]


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("redis/redis-stack-server:7.4.0-v3", "7.4.0-v3"),
        ("docker.io/redis/redis-stack:7.2.0-v15", "7.2.0-v15"),
        ("redis/redis-stack-server:6.2.6-v20", "6.2.6-v20"),
        # release.yml also pushes per-architecture tags: the variant goes, the build stays
        ("redis/redis-stack-server:7.4.0-v3-arm64", "7.4.0-v3"),
        ("redis/redis-stack:7.2.0-v13-x86_64", "7.2.0-v13"),
        # release candidates carry no build; their variants read as for any engine
        ("redis/redis-stack-server:7.0.6-RC2-arm64", "7.0.6-RC2"),
    ],
)
def test_stack_images_keep_the_build_for_the_evaluator(image: str, version: str) -> None:
    c = component_for_image(image, Location("compose.yml", 3))
    assert c is not None
    assert c.engine == "redis-stack"
    assert c.version == version
    assert c.unresolved is None
    assert not c.floating


# --- builds: <line>-vN is build N of a Stack line and carries the line's license ---------

STACK = catalog().engines["redis-stack"]
AS_OF = dt.date(2026, 11, 27)
BUILDS = [
    ("6.2.6-v20", "6.2.6", "20", f"BSD-3-Clause AND ({DUAL})"),
    ("7.2.0-v13", "7.2.0", "13", f"BSD-3-Clause AND ({DUAL})"),
    ("7.4.0-v3", "7.4.0", "3", DUAL),
]


def evaluate(engine: str, version: str) -> Finding:
    return Evaluator(load_policy("default"), AS_OF).evaluate(Component(engine, version))


def build_sentence(text: str, line: str, build: str) -> str:
    return (
        f"'{text}' is build {build} of the Redis Stack {line} line and carries that line's license."
    )


def same_judgement(a: Finding, b: Finding) -> None:
    """Two findings reach the same license, verdict and reasons."""
    assert a.resolved and b.resolved
    assert (a.version, a.license, a.effective_license, a.verdict, a.rules, a.elected) == (
        b.version,
        b.license,
        b.effective_license,
        b.verdict,
        b.rules,
        b.elected,
    )


@pytest.mark.parametrize(("text", "line", "build", "license"), BUILDS)
def test_build_target_is_judged_as_its_stack_line(
    text: str, line: str, build: str, license: str
) -> None:
    finding = evaluate("redis-stack", text)
    assert finding.requested == text
    assert finding.version == line
    assert finding.license == license
    assert any(r.startswith(build_sentence(text, line, build)) for r in finding.rationale)
    same_judgement(finding, evaluate("redis-stack", line))


def test_a_release_candidate_is_not_a_build() -> None:
    """6.2.6-rc1 still bundles RSALv1 modules; read as a build of 6.2.6 it would be dual."""
    finding = evaluate("redis-stack", "6.2.6-rc1")
    assert finding.resolved
    assert finding.version == "6.2.6-rc1"
    assert finding.license == f"BSD-3-Clause AND {RSAL1}"
    assert not any("is build" in r for r in finding.rationale)
    assert STACK.build_suffix is not None
    assert STACK.build_suffix.split("7.0.6-rc2") is None


@pytest.mark.parametrize("text", ["7.4.0-vfoo", "7.4.0-v", "7.4.0-v3x", "7.4.0-v3-arm64", "-v3"])
def test_a_garbage_suffix_is_not_a_version(text: str) -> None:
    finding = evaluate("redis-stack", text)
    assert finding.verdict == Verdict.REVIEW
    assert not finding.resolved
    assert finding.version is None and finding.license is None
    assert finding.requested == text
    assert f"{text!r} is not a version" in finding.rationale[0]


@pytest.mark.parametrize(("engine", "text"), [("redis", "7.4.0-v3"), ("valkey", "8.1.0-v2")])
def test_engines_without_a_build_suffix_keep_failing_closed(engine: str, text: str) -> None:
    assert catalog().engines[engine].build_suffix is None
    finding = evaluate(engine, text)
    assert finding.verdict == Verdict.REVIEW
    assert not finding.resolved
    assert f"{text!r} is not a version" in finding.rationale[0]


def by_line(findings: list[Finding]) -> dict[int, Finding]:
    return {f.location.line: f for f in findings if f.location and f.location.line}


def test_compose_stack_images_by_build(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        textwrap.dedent(
            """\
            services:
              old:
                image: redis/redis-stack-server:6.2.6-v20
              ui:
                image: redis/redis-stack:7.2.0-v13
              cache:
                image: docker.io/redis/redis-stack-server:7.4.0-v3-arm64
              rc:
                image: redis/redis-stack-server:6.2.6-rc1
              typo:
                image: redis/redis-stack-server:7.4.0-vfoo
            """
        ),
        encoding="utf-8",
    )
    report = core.check([str(tmp_path)], load_policy("default"), AS_OF)
    assert not report.errors
    found = by_line(report.findings)
    assert sorted(found) == [3, 5, 7, 9, 11]
    for line_no, (text, line, build, license) in zip((3, 5, 7), BUILDS, strict=True):
        f = found[line_no]
        assert (f.engine, f.requested, f.version, f.license) == ("redis-stack", text, line, license)
        assert any(r.startswith(build_sentence(text, line, build)) for r in f.rationale)
        same_judgement(f, evaluate("redis-stack", line))
    rc = found[9]
    assert (rc.requested, rc.version, rc.license) == (
        "6.2.6-rc1",
        "6.2.6-rc1",
        f"BSD-3-Clause AND {RSAL1}",
    )
    typo = found[11]
    assert typo.verdict == Verdict.REVIEW and not typo.resolved and typo.license is None
    assert "image tag '7.4.0-vfoo' is not a version" in typo.rationale[0]
    assert "'-vfoo' is not one" in typo.rationale[0]


def test_kubernetes_stack_images_by_build(tmp_path: Path) -> None:
    (tmp_path / "stack.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: stack
            spec:
              template:
                spec:
                  containers:
                    - name: server
                      image: redis/redis-stack-server:7.4.0-v3
                    - name: rc
                      image: redis/redis-stack-server:7.0.6-rc1
                    - name: typo
                      image: redis/redis-stack-server:7.2.0-v13b
            """
        ),
        encoding="utf-8",
    )
    report = core.check([str(tmp_path)], load_policy("default"), AS_OF)
    assert not report.errors
    found = by_line(report.findings)
    assert sorted(found) == [10, 12, 14]
    server = found[10]
    assert (server.requested, server.version, server.license) == ("7.4.0-v3", "7.4.0", DUAL)
    assert any(r.startswith(build_sentence("7.4.0-v3", "7.4.0", "3")) for r in server.rationale)
    rc = found[12]
    assert (rc.version, rc.license) == ("7.0.6-rc1", f"BSD-3-Clause AND {RSAL1}")
    typo = found[14]
    assert typo.verdict == Verdict.REVIEW and not typo.resolved
    assert "image tag '7.2.0-v13b' is not a version" in typo.rationale[0]


def test_other_engines_images_keep_reading_suffixes_as_variants() -> None:
    """Only a declared build suffix changes tag reading: redis:7.2.4-v3 stays 7.2.4."""
    assert version_from_tag("7.2.4-v3") == ("7.2.4", False, None)
    c = component_for_image("redis:7.2.4-v3", Location("compose.yml", 3))
    assert c is not None and c.version == "7.2.4"


STACK_LINES = sorted({str(rel) for rel, _ in STACK.releases if not rel.version.is_prerelease})


@settings(max_examples=60, deadline=None)
@given(
    line=st.sampled_from(STACK_LINES),
    build=st.integers(min_value=0, max_value=10**6),
    marker=st.sampled_from(["-v", "-V"]),
    variant=st.sampled_from(["", "-arm64", "-x86_64"]),
)
def test_any_build_of_a_catalogued_line_is_judged_as_the_line(
    line: str, build: int, marker: str, variant: str
) -> None:
    text = f"{line}{marker}{build}"
    plain = evaluate("redis-stack", line)
    target = evaluate("redis-stack", text)
    same_judgement(target, plain)
    assert target.requested == text
    assert any(r.startswith(build_sentence(text, line, str(build))) for r in target.rationale)
    image = component_for_image(f"redis/redis-stack-server:{text}{variant}", Location("c.yml", 1))
    assert image is not None and image.version == text
    from_image = Evaluator(load_policy("default"), AS_OF).evaluate(image)
    same_judgement(from_image, plain)


ENGINES_WITHOUT_BUILDS = [
    e for e in catalog().engines.values() if e.build_suffix is None and e.releases
]


@settings(max_examples=60, deadline=None)
@given(
    engine=st.sampled_from(ENGINES_WITHOUT_BUILDS),
    index=st.integers(min_value=0),
    build=st.integers(min_value=0, max_value=10**6),
)
def test_no_other_engine_reads_a_build_suffix(engine: Engine, index: int, build: int) -> None:
    release = engine.releases[index % len(engine.releases)][0]
    text = f"{release}-v{build}"
    finding = evaluate(engine.id, text)
    assert not finding.resolved
    assert finding.verdict == Verdict.REVIEW
    assert f"{text!r} is not a version" in finding.rationale[0]


# --- the catalog refuses a build suffix it could misread ------------------------------


def stack_entry() -> Located:
    """The redis-stack entry as loaded from the catalog, free to modify."""
    return load_validated(data_dir("licenses") / "engines" / "redis-stack.yaml", "engine")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("-rc(?P<build>[0-9]+)", "reads version '6.2.6-rc1' as build '1' of '6.2.6'"),
        ("(-v[0-9]+)?", "matches the empty string"),
        ("-v(?P<build>[0-9]+", "is not a regular expression"),
    ],
)
def test_a_build_suffix_that_could_misread_a_version_is_refused(pattern: str, message: str) -> None:
    entry = stack_entry().value
    entry["build_suffix"] = {**entry["build_suffix"], "pattern": pattern}
    with pytest.raises(DataError, match=re.escape(message)):
        _engine(entry, "redis-stack.yaml")
    entry["build_suffix"]["pattern"] = "-v(?P<build>[0-9]+)"
    assert _engine(entry, "redis-stack.yaml").build_suffix is not None


def test_the_schema_wants_evidence_for_a_build_suffix() -> None:
    doc = stack_entry()
    assert not schema_errors(doc, "engine")
    del doc.value["build_suffix"]["evidence"]
    errors = schema_errors(doc, "engine")
    assert len(errors) == 1 and "evidence" in errors[0].message


@pytest.mark.parametrize(
    ("tag", "version", "unresolved"),
    [("7.4.0-v3-arm64", "7.4.0-v3", False), ("7.4.0-vfoo", None, True)],
)
def test_sbom_image_tags_read_builds_like_manifests(
    tmp_path: Path, tag: str, version: str | None, unresolved: bool
) -> None:
    text = (
        "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"
        "DocumentName: t\nDocumentNamespace: https://example.com/t\nCreator: Tool: t\n"
        "Created: 2025-01-01T00:00:00Z\n\n"
        f"PackageName: redis-stack-server\nSPDXID: SPDXRef-p\nPackageVersion: {tag}\n"
        "PackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\n"
        f"ExternalRef: PACKAGE-MANAGER purl pkg:docker/redis/redis-stack-server@{tag}\n"
    )
    path = tmp_path / "image.spdx"
    path.write_text(text, encoding="utf-8")
    [component] = SPDX.collect(path, text, path.name)
    assert (component.engine, component.version) == ("redis-stack", version)
    assert (component.unresolved is not None) == unresolved


def test_the_engine_table_says_how_builds_are_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["engines", "redis-stack"]) == 0
    out = capsys.readouterr().out
    assert "builds: a version ending in a suffix matching -v(?P<build>[0-9]+) is a build" in out
    assert "redis-stack/redis-stack@v7.4.0-v3:.github/workflows/release.yml" in out
    assert main(["engines", "redis"]) == 0
    assert "builds:" not in capsys.readouterr().out
