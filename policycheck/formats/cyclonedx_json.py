"""CycloneDX 1.6 JSON: the report as a BOM other tools can ingest, verdicts as properties.

One component per finding carries the engine, its version, a ``pkg:generic`` purl, the
catalog's license (acknowledged as declared; CycloneDX allows one expression) and, as a
property, the license the evaluation settled on (the elected side of an OR, else the
effective license). The verdict, rules,
rationale and confirmations travel as ``policycheck:*`` properties, the CycloneDX way to
carry tool data. Like the SPDX output, everything derives from the report: the serial
number is a hash of the report JSON and the timestamp is the as-of date at midnight UTC.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from policycheck import __version__
from policycheck.formats.interface import Formatter
from policycheck.formats.spdx_json import generic_purl, midnight
from policycheck.jsontext import pretty, pretty_bytes
from policycheck.model import Finding
from policycheck.notice import DISCLAIMER, catalog_identity
from policycheck.report import Report

_REF_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def build_bom(report: Report) -> dict[str, Any]:
    """The report as a CycloneDX 1.6 BOM (a JSON-ready dict)."""
    digest = hashlib.sha256(
        json.dumps(report.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).digest()
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=5)}",
        "version": 1,
        "metadata": {
            "timestamp": midnight(report.as_of).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {
                "components": [
                    {"type": "application", "name": "policycheck", "version": __version__}
                ]
            },
            "properties": [
                {"name": "policycheck:policy", "value": report.policy.name},
                {"name": "policycheck:as-of", "value": report.as_of.isoformat()},
                {"name": "policycheck:catalog", "value": _catalog()},
                {"name": "policycheck:disclaimer", "value": DISCLAIMER},
            ],
        },
        "components": [_component(f, i) for i, f in enumerate(report.findings, 1)],
    }


def _catalog() -> str:
    ident = catalog_identity()
    return f"{ident['version']} sha256 {ident['sha256']}"


def _component(finding: Finding, index: int) -> dict[str, Any]:
    ref = "-".join(
        _REF_UNSAFE.sub("-", p).strip("-") or "x"
        for p in (str(index), finding.engine, finding.version or "unknown")
    )
    component: dict[str, Any] = {
        "bom-ref": f"finding-{ref}",
        "type": "application",
        "name": finding.engine,
    }
    if finding.version:
        component["version"] = finding.version
    purl = generic_purl(finding)
    if purl:
        component["purl"] = purl
    if finding.license:  # CycloneDX allows exactly one expression per component
        component["licenses"] = [{"expression": finding.license, "acknowledgement": "declared"}]
    component["properties"] = _properties(finding)
    return component


def _properties(finding: Finding) -> list[dict[str, str]]:
    props = [{"name": "policycheck:verdict", "value": str(finding.verdict)}]
    concluded = finding.elected or finding.effective_license
    if concluded:
        props.append({"name": "policycheck:concluded-license", "value": concluded})
    props += [{"name": "policycheck:rule", "value": r} for r in finding.rules]
    if finding.location is not None:
        props.append({"name": "policycheck:location", "value": str(finding.location)})
    if finding.converts:
        props.append(
            {
                "name": "policycheck:converts",
                "value": f"{finding.converts.get('to')} on {finding.converts.get('date')}",
            }
        )
    props += [{"name": "policycheck:rationale", "value": line} for line in finding.rationale]
    props += [{"name": "policycheck:confirm", "value": line} for line in finding.confirm]
    return props


class CycloneDxJsonFormat(Formatter):
    """CycloneDX 1.6 JSON BOM."""

    name = "cyclonedx-json"
    description = "CycloneDX 1.6 JSON BOM of the engines found, verdicts as properties"

    def render(self, report: Report) -> str:
        """The BOM, keys in a fixed order, ending with a newline."""
        return pretty(build_bom(report))

    def render_bytes(self, report: Report) -> bytes:
        """``render`` in the bytes orjson writes."""
        return pretty_bytes(build_bom(report))


FORMAT = CycloneDxJsonFormat()
