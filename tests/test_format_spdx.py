"""SPDX output formats: valid SPDX 2.3 (zero spdx-tools messages), deterministic, complete."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from spdx_tools.spdx.model import (
    AnnotationType,
    Document,
    Package,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from policycheck import __version__
from policycheck.core import check
from policycheck.formats import all_formats
from policycheck.formats.interface import Formatter
from policycheck.formats.spdx_json import FORMAT as SPDX_JSON
from policycheck.formats.spdx_json import build_document, document_namespace
from policycheck.formats.spdx_tv import FORMAT as SPDX_TV
from policycheck.policy import load_policy
from policycheck.report import Report

TARGETS = ["redis@7.4.0", "valkey@8.0.1", "dragonfly@v1.25.0", "redis@8.2.1", "foo@1"]
AS_OF = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def report() -> Report:
    return check(TARGETS, load_policy("default"), AS_OF)


@pytest.fixture(scope="module")
def written(report: Report, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    """Both renderings written to disk and parsed back by spdx-tools."""
    folder = tmp_path_factory.mktemp("spdx")
    docs = {}
    for name, fmt in (("out.spdx.json", SPDX_JSON), ("out.spdx", SPDX_TV)):
        path = folder / name
        path.write_text(fmt.render(report), encoding="utf-8")
        docs[name] = parse_file(str(path))
    return docs


def packages_by_name_version(doc: Document) -> dict[tuple[str, str | None], Package]:
    return {(p.name, p.version): p for p in doc.packages}


def test_formats_are_discovered_by_name() -> None:
    formats = all_formats()
    assert formats["spdx-json"] is SPDX_JSON
    assert formats["spdx"] is SPDX_TV


@pytest.mark.parametrize("name", ["out.spdx.json", "out.spdx"])
def test_written_document_validates_with_zero_messages(
    written: dict[str, Document], name: str
) -> None:
    assert validate_full_spdx_document(written[name]) == []


@pytest.mark.parametrize("name", ["out.spdx.json", "out.spdx"])
def test_one_package_per_finding_described_by_the_document(
    written: dict[str, Document], name: str
) -> None:
    doc = written[name]
    assert sorted((p.name, p.version) for p in doc.packages) == [
        ("dragonfly", "1.25.0"),
        ("foo", "1"),
        ("redis", "7.4.0"),
        ("redis", "8.2.1"),
        ("valkey", "8.0.1"),
    ]
    described = {
        r.related_spdx_element_id
        for r in doc.relationships
        if r.spdx_element_id == "SPDXRef-DOCUMENT"
        and r.relationship_type == RelationshipType.DESCRIBES
    }
    assert described == {p.spdx_id for p in doc.packages}


@pytest.mark.parametrize("name", ["out.spdx.json", "out.spdx"])
def test_licenses_declared_from_catalog_and_concluded_from_election(
    written: dict[str, Document], name: str
) -> None:
    pkgs = packages_by_name_version(written[name])
    redis74 = pkgs[("redis", "7.4.0")]
    assert str(redis74.license_declared) == "LicenseRef-scancode-rsalv2 OR SSPL-1.0"
    assert str(redis74.license_concluded) == "LicenseRef-scancode-rsalv2"
    assert str(pkgs[("redis", "8.2.1")].license_concluded) == "AGPL-3.0-only"
    assert str(pkgs[("valkey", "8.0.1")].license_declared) == "BSD-3-Clause"
    unknown = pkgs[("foo", "1")]
    assert unknown.license_declared == SpdxNoAssertion()
    assert unknown.license_concluded == SpdxNoAssertion()


@pytest.mark.parametrize("name", ["out.spdx.json", "out.spdx"])
def test_license_ref_is_declared_with_a_pointer_not_a_text(
    written: dict[str, Document], name: str
) -> None:
    infos = written[name].extracted_licensing_info
    assert [i.license_id for i in infos] == ["LicenseRef-scancode-rsalv2"]
    assert (
        infos[0].extracted_text
        == "See https://github.com/redis/redis/blob/7.4.0/LICENSE.txt (text not reproduced)"
    )
    assert infos[0].license_name


@pytest.mark.parametrize("name", ["out.spdx.json", "out.spdx"])
def test_verdict_travels_as_review_annotation(written: dict[str, Document], name: str) -> None:
    doc = written[name]
    by_id = {p.spdx_id: p for p in doc.packages}
    notes = {(by_id[a.spdx_id].name, by_id[a.spdx_id].version): a for a in doc.annotations}
    valkey = notes[("valkey", "8.0.1")]
    assert valkey.annotation_type == AnnotationType.REVIEW
    assert valkey.annotator.name == f"policycheck-{__version__}"
    assert valkey.annotation_date == dt.datetime(2026, 11, 27, 0, 0)
    assert valkey.annotation_comment.startswith(
        "verdict: allow; rules: allow-permissive; rationale: Valkey 8.0.1"
    )
    assert notes[("redis", "7.4.0")].annotation_comment.startswith(
        "verdict: review; rules: review-not-osi;"
    )


@pytest.mark.parametrize("name", ["out.spdx.json", "out.spdx"])
def test_generic_purl_for_each_versioned_finding(written: dict[str, Document], name: str) -> None:
    pkgs = packages_by_name_version(written[name])
    refs = pkgs[("dragonfly", "1.25.0")].external_references
    assert [(r.reference_type, r.locator) for r in refs] == [
        ("purl", "pkg:generic/dragonfly@1.25.0")
    ]


@pytest.mark.parametrize("name", ["out.spdx.json", "out.spdx"])
def test_creation_info_depends_only_on_the_report(
    report: Report, written: dict[str, Document], name: str
) -> None:
    info = written[name].creation_info
    assert info.created == dt.datetime(2026, 11, 27, 0, 0)
    assert [str(c) for c in info.creators] == [f"Tool: policycheck-{__version__}"]
    assert info.document_namespace == document_namespace(report)
    assert info.document_namespace.startswith("https://policycheck.dev/spdx/")


@pytest.mark.parametrize("fmt", [SPDX_JSON, SPDX_TV], ids=["json", "tv"])
def test_same_report_same_bytes(report: Report, fmt: Formatter) -> None:
    again = check(TARGETS, load_policy("default"), AS_OF)
    assert fmt.render(report) == fmt.render(again)


def test_namespace_changes_with_the_report(report: Report) -> None:
    later = dataclasses.replace(report, as_of=dt.date(2026, 11, 28))
    assert document_namespace(later) != document_namespace(report)
    assert "2026-11-28T00:00:00Z" in SPDX_JSON.render(later)


def test_json_rendering_is_json_with_trailing_newline(report: Report) -> None:
    text = SPDX_JSON.render(report)
    assert text.endswith("}\n")
    assert json.loads(text)["spdxVersion"] == "SPDX-2.3"


def test_tag_value_rendering_starts_with_the_document_header(report: Report) -> None:
    text = SPDX_TV.render(report)
    assert "SPDXVersion: SPDX-2.3\n" in text
    assert "Creator: Tool: policycheck-" in text
    assert text.endswith("\n")


def test_empty_report_is_still_valid() -> None:
    empty = check([], load_policy("default"), AS_OF)
    doc = build_document(empty)
    assert doc.packages == []
    assert validate_full_spdx_document(doc) == []
    assert "Relationship: SPDXRef-DOCUMENT DESCRIBES NONE" in SPDX_TV.render(empty)


def test_scanned_file_location_and_errors_are_recorded(tmp_path: Path) -> None:
    (tmp_path / "bad.spdx.json").write_text('{"spdxVersion": redis', encoding="utf-8")
    scanned = check([str(tmp_path / "bad.spdx.json"), "redis@7.2.4"], load_policy("default"), AS_OF)
    doc = build_document(scanned)
    assert validate_full_spdx_document(doc) == []
    assert doc.creation_info.document_comment is not None
    assert "could not be read" in doc.creation_info.document_comment
    assert doc.packages[0].comment == "Checked as redis@7.2.4."
