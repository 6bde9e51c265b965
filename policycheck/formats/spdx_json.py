"""SPDX 2.3 JSON: the report as an SBOM other tools can ingest, verdicts as annotations.

One package per finding carries the engine, its version, the catalog's license
(licenseDeclared) and the license the evaluation settled on (licenseConcluded: the
elected side of an OR, else the effective license). The verdict, rules and rationale
travel as a REVIEW annotation by policycheck. Everything is derived from the report, so
the same report gives the same bytes: the namespace is a hash of the report JSON and
the creation time is the as-of date at midnight UTC, never the wall clock.

The document is built once (``build_document``) and written by spdx-tools; the
tag-value format (``spdx_tv``) reuses the same document. spdx-tools is imported only
when rendering, because importing it costs more than a whole check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote

from policycheck import __version__
from policycheck.errors import DataError
from policycheck.formats.interface import Formatter
from policycheck.knowledge import knowledge
from policycheck.model import Finding
from policycheck.notice import DISCLAIMER, catalog_identity
from policycheck.report import Report

if TYPE_CHECKING:
    from license_expression import LicenseExpression
    from spdx_tools.spdx.model import (
        Actor,
        Annotation,
        CreationInfo,
        Document,
        ExtractedLicensingInfo,
        Package,
        Relationship,
        SpdxNoAssertion,
    )

NAMESPACE_BASE = "https://policycheck.dev/spdx/"
TOOL = f"policycheck-{__version__}"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def build_document(report: Report) -> Document:
    """The report as an SPDX 2.3 document (model objects; writers serialise it)."""
    from spdx_tools.spdx.model import Document

    created = midnight(report.as_of)
    packages = [_package(finding, index) for index, finding in enumerate(report.findings, 1)]
    return Document(
        creation_info=_creation_info(report, created),
        packages=packages,
        annotations=[
            _verdict_annotation(f, p.spdx_id, created)
            for f, p in zip(report.findings, packages, strict=True)
        ],
        relationships=_describes(packages),
        extracted_licensing_info=_extracted_licensing_infos(packages),
    )


def _describes(packages: list[Package]) -> list[Relationship]:
    """DOCUMENT DESCRIBES each package; SPDX needs one even when nothing was found (NONE)."""
    from spdx_tools.spdx.model import Relationship, RelationshipType, SpdxNone

    if not packages:
        return [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, SpdxNone())]
    return [
        Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, p.spdx_id) for p in packages
    ]


def midnight(day: dt.date) -> dt.datetime:
    """``day`` at 00:00:00 (written with a Z): a timestamp that depends only on the report."""
    return dt.datetime.combine(day, dt.time(0, 0))


def document_namespace(report: Report) -> str:
    """A namespace unique to the report's content, stable across runs."""
    canonical = json.dumps(report.to_json(), sort_keys=True, ensure_ascii=False)
    return NAMESPACE_BASE + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _tool() -> Actor:
    from spdx_tools.spdx.model import Actor, ActorType

    return Actor(ActorType.TOOL, TOOL)


def _creation_info(report: Report, created: dt.datetime) -> CreationInfo:
    from spdx_tools.spdx.model import CreationInfo

    return CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=f"policycheck report, policy {report.policy.name}, as of {report.as_of.isoformat()}",
        document_namespace=document_namespace(report),
        creators=[_tool()],
        created=created,
        creator_comment=(
            f"Policy {report.policy.name} (sha256 {report.policy.sha256}); "
            f"uses: {', '.join(u.value for u in report.policy.uses) or 'none'}; "
            f"fail on: {report.fail_on}."
        ),
        document_comment=_document_comment(report),
    )


def _document_comment(report: Report) -> str:
    """What the document is and which data judged it; then inputs that could not be
    read, so a reader knows the SBOM may be incomplete."""
    ident = catalog_identity()
    lines = [DISCLAIMER, f"License data: catalog {ident['version']}, sha256 {ident['sha256']}."]
    if report.errors:
        lines.append(
            f"{len(report.errors)} input(s) could not be read; engines in them are missing:"
        )
        lines += [str(e).replace("\n", " ") for e in report.errors]
    return "\n".join(lines)


def spdx_id_for(finding: Finding, index: int) -> str:
    """``SPDXRef-1-redis-7.4.0``: unique by position, readable by engine and version."""
    parts = [str(index), finding.engine, finding.version or "unknown"]
    return "SPDXRef-" + "-".join(_ID_UNSAFE.sub("-", p).strip("-") or "x" for p in parts)


def generic_purl(finding: Finding) -> str | None:
    """``pkg:generic/redis@7.4.0``; None without a version (the image is not in a Finding)."""
    if not finding.version:
        return None
    name = quote(finding.engine, safe=".-_~")
    return f"pkg:generic/{name}@{quote(finding.version, safe='.-_~')}"


def _package(finding: Finding, index: int) -> Package:
    from spdx_tools.spdx.model import (
        ExternalPackageRef,
        ExternalPackageRefCategory,
        Package,
        SpdxNoAssertion,
    )

    purl = generic_purl(finding)
    refs = (
        [ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl)]
        if purl
        else []
    )
    concluded = finding.elected or finding.effective_license or finding.license
    return Package(
        spdx_id=spdx_id_for(finding, index),
        name=finding.engine,
        download_location=SpdxNoAssertion(),
        version=finding.version or "NOASSERTION",
        files_analyzed=False,
        license_declared=_license(finding.license),
        license_concluded=_license(concluded),
        license_comment=_license_comment(finding),
        comment=_where(finding),
        external_references=refs,
    )


def _license(expression: str | None) -> LicenseExpression | SpdxNoAssertion:
    from spdx_tools.common.spdx_licensing import spdx_licensing
    from spdx_tools.spdx.model import SpdxNoAssertion

    if not expression:
        return SpdxNoAssertion()
    return spdx_licensing.parse(expression)


def _license_comment(finding: Finding) -> str | None:
    notes = []
    if finding.elected and finding.license and finding.elected != finding.license:
        notes.append(
            f"Concluded license is the elected option {finding.elected} of {finding.license}."
        )
    if finding.converts:
        notes.append(
            f"{finding.license} converts to {finding.converts.get('to')} on {finding.converts.get('date')}."
        )
    return " ".join(notes) or None


def _where(finding: Finding) -> str | None:
    if finding.location is not None:
        text = f" ({finding.location.text})" if finding.location.text else ""
        return f"Found at {finding.location}{text}."
    if finding.requested:
        return f"Checked as {finding.engine}@{finding.requested}."
    return None


def _verdict_annotation(finding: Finding, spdx_id: str, created: dt.datetime) -> Annotation:
    from spdx_tools.spdx.model import Annotation, AnnotationType

    comment = (
        f"verdict: {finding.verdict}; rules: {', '.join(finding.rules) or 'none'}; "
        f"rationale: {' '.join(finding.rationale)}"
    )
    return Annotation(spdx_id, AnnotationType.REVIEW, _tool(), created, comment)


def _extracted_licensing_infos(packages: list[Package]) -> list[ExtractedLicensingInfo]:
    """An entry for every LicenseRef used, as SPDX requires; the text is a pointer only."""
    from spdx_tools.common.spdx_licensing import spdx_licensing
    from spdx_tools.spdx.model import ExtractedLicensingInfo

    refs: set[str] = set()
    for package in packages:
        for value in (package.license_declared, package.license_concluded):
            if value is not None and not _is_no_assertion(value):
                refs.update(
                    k for k in spdx_licensing.license_keys(value) if k.startswith("LicenseRef-")
                )
    infos = []
    for ref in sorted(refs):
        record = knowledge().get(ref)
        name = record.name if record else ref
        url = record.url if record else None
        pointer = f"See {url} (text not reproduced)" if url else "License text not reproduced."
        infos.append(
            ExtractedLicensingInfo(
                license_id=ref,
                extracted_text=pointer,
                license_name=name,
                cross_references=[url] if url else [],
            )
        )
    return infos


def _is_no_assertion(value: object) -> bool:
    from spdx_tools.spdx.model import SpdxNoAssertion, SpdxNone

    return isinstance(value, SpdxNoAssertion | SpdxNone)


def write_spdx(report: Report, writer: Callable[[Document, TextIO], None]) -> str:
    """Build, validate and serialise; an invalid document is a policycheck data bug."""
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    document = build_document(report)
    problems = validate_full_spdx_document(document)
    if problems:
        raise DataError(
            "the SPDX document built from this report is invalid: "
            + "; ".join(p.validation_message for p in problems[:3]),
            hint="report this: a catalog license id is not on the SPDX list and not a LicenseRef",
        )
    stream = io.StringIO()
    writer(document, stream)
    text = stream.getvalue()
    return text if text.endswith("\n") else text + "\n"


def _write_json(document: Document, stream: TextIO) -> None:
    from spdx_tools.spdx.writer.json import json_writer

    json_writer.write_document_to_stream(document, stream, validate=False)


class SpdxJsonFormat(Formatter):
    """SPDX 2.3 JSON, validated by spdx-tools before it is written."""

    name = "spdx-json"
    description = "SPDX 2.3 JSON SBOM, one package per finding, verdicts as REVIEW annotations"

    def render(self, report: Report) -> str:
        """The report as an SPDX 2.3 JSON document."""
        return write_spdx(report, _write_json)


FORMAT = SpdxJsonFormat()
