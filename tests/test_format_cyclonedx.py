"""CycloneDX JSON output: deterministic, one component per finding, readable by the source."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from policycheck.core import check
from policycheck.formats import all_formats
from policycheck.formats.cyclonedx_json import FORMAT
from policycheck.policy import load_policy
from policycheck.report import Report
from policycheck.sources.cyclonedx import SOURCE

TARGETS = ["redis@7.4.0", "valkey@8.1.1", "dragonfly@v1.25.0", "foo@1"]
AS_OF = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def report() -> Report:
    return check(TARGETS, load_policy("default"), AS_OF)


def test_discovered_by_name() -> None:
    assert all_formats()["cyclonedx-json"] is FORMAT


def test_same_report_same_bytes_and_no_wall_clock(report: Report) -> None:
    first, second = FORMAT.render(report), FORMAT.render(report)
    assert first == second
    bom = json.loads(first)
    assert bom["metadata"]["timestamp"] == "2026-11-27T00:00:00Z"
    assert bom["serialNumber"].startswith("urn:uuid:")


def test_one_component_per_finding_with_verdict_and_license(report: Report) -> None:
    bom = json.loads(FORMAT.render(report))
    components = bom["components"]
    assert [(c["name"], c.get("version")) for c in components] == [
        (f.engine, f.version) for f in report.findings
    ]
    redis = next(c for c in components if c["name"] == "redis")
    assert redis["licenses"] == [
        {"expression": "LicenseRef-scancode-rsalv2 OR SSPL-1.0", "acknowledgement": "declared"}
    ]
    props = {p["name"]: p["value"] for p in redis["properties"]}
    assert props["policycheck:verdict"] == "review"
    assert redis["purl"] == "pkg:generic/redis@7.4.0"
    assert all(len(c["licenses"]) == 1 for c in components if "licenses" in c)


def test_the_cyclonedx_source_reads_the_output_back(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "out.cdx.json"
    path.write_text(FORMAT.render(report), encoding="utf-8")
    back = list(SOURCE.collect(path, path.read_text(encoding="utf-8"), path.name))
    catalogued = [(f.engine, f.version) for f in report.findings if f.engine != "foo"]
    assert sorted((c.engine, c.version) for c in back) == sorted(catalogued)
