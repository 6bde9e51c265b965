"""CycloneDX source: server packages and images become findings, client libraries never."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policycheck.core import check
from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.policy import load_policy
from policycheck.sources.cyclonedx import SOURCE

FIXTURES = Path(__file__).parent / "fixtures" / "cyclonedx"


def collect(path: Path, text: str | None = None) -> list[Component]:
    body = path.read_text(encoding="utf-8") if text is None else text
    return list(SOURCE.collect(path, body, path.name))


def found(components: list[Component]) -> list[tuple[str, str | None, int | None]]:
    return [(c.engine, c.version, c.location.line if c.location else None) for c in components]


def test_trivy_style_json_image_binary_and_nested_distribution_package() -> None:
    components = collect(FIXTURES / "redis-image.cdx.json")
    assert found(components) == [
        ("redis", "7.2.4", 15),
        ("redis", "7.2.4", 35),
        ("redis", "7.0.15", 76),
    ]
    # The PyPI and npm packages called redis and Jedis are clients: never findings.
    assert not any("pkg:pypi" in (c.location.text or "") for c in components if c.location)
    assert [c.declared_license for c in components] == [None, "BSD-3-Clause", "BSD-3-Clause"]


def test_syft_style_xml_subject_image_apk_package_and_docker_purl() -> None:
    components = collect(FIXTURES / "valkey-image.cdx.xml")
    assert found(components) == [
        ("valkey", "8.0.1", 15),
        ("valkey", "8.0.1", 39),
        ("redis", "7.4.1", 46),
    ]
    assert all("go-redis" not in (c.location.text or "") for c in components if c.location)


@pytest.mark.parametrize(
    "purl",
    [
        "pkg:npm/redis@4.6.13",
        "pkg:pypi/redis@5.0.1",
        "pkg:maven/redis.clients/jedis@5.1.0",
        "pkg:gem/redis@5.0.8",
        "pkg:pypi/valkey@6.0.0",
    ],
)
def test_client_libraries_never_become_findings(purl: str) -> None:
    name = purl.split("/")[-1].split("@")[0]
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.4",
        "components": [{"type": "library", "name": name, "version": "1.0", "purl": purl}],
    }
    assert collect(Path("x.cdx.json"), json.dumps(doc)) == []


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        ("pkg:generic/redis@7.2.4", ("redis", "7.2.4")),
        ("pkg:apk/alpine/valkey@8.0.1-r0", ("valkey", "8.0.1")),
        ("pkg:deb/debian/redis-server@5:7.0.15-1~deb12u1", ("redis", "7.0.15")),
        ("pkg:docker/valkey/valkey@8.0.1", ("valkey", "8.0.1")),
        (
            "pkg:oci/redis@sha256%3Aabc?repository_url=docker.io/library/redis&tag=7.4.2",
            ("redis", "7.4.2"),
        ),
    ],
)
def test_server_purls_become_components(purl: str, expected: tuple[str, str]) -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [{"type": "library", "name": "x", "purl": purl}],
    }
    (component,) = collect(Path("x.cdx.json"), json.dumps(doc))
    assert (component.engine, component.version) == expected


def test_image_pinned_by_digest_only_is_unresolved() -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [
            {"type": "container", "name": "redis", "purl": "pkg:oci/redis@sha256%3A" + "a" * 64}
        ],
    }
    (component,) = collect(Path("x.cdx.json"), json.dumps(doc))
    assert component.version is None and "digest" in (component.unresolved or "")


def test_declared_license_that_disagrees_with_the_catalog_is_reported() -> None:
    report = check(
        [str(FIXTURES / "valkey-image.cdx.xml")],
        load_policy("default"),
        __import__("datetime").date(2026, 12, 1),
    )
    (redis,) = [f for f in report.findings if f.engine == "redis"]
    assert redis.license == "LicenseRef-scancode-rsalv2 OR SSPL-1.0"
    assert any("BSD-3-Clause" in n for n in redis.notes)
    assert not any("agrees with the catalog" in line for line in redis.rationale)


def test_claims_by_name_or_head_only() -> None:
    assert SOURCE.claims(Path("image.cdx.json"), b"{}")
    assert SOURCE.claims(Path("bom.json"), b'{\n  "bomFormat": "CycloneDX",')
    assert SOURCE.claims(Path("bom.xml"), b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4">')
    assert not SOURCE.claims(Path("package.json"), b'{"name": "redis"}')
    assert not SOURCE.claims(Path("pom.xml"), b"<project>")


def test_entity_declarations_are_refused() -> None:
    text = '<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>'
    with pytest.raises(InputError, match="entity"):
        collect(Path("x.cdx.xml"), text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "invalid JSON"),
        ('{"bomFormat": "SPDX"}', "not a CycloneDX BOM"),
        ('{"bomFormat": "CycloneDX", "components": {}}', "must be a list"),
        ("<bom", "invalid XML"),
        ('<bom xmlns="urn:other"/>', "not a CycloneDX BOM"),
    ],
)
def test_malformed_boms_are_input_errors_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        collect(Path("x.cdx.json" if text.startswith("{") else "x.cdx.xml"), text)
