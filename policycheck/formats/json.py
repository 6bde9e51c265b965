"""JSON: the machine-readable contract (schemas/report.schema.json)."""

from __future__ import annotations

from policycheck.formats.interface import Formatter
from policycheck.jsontext import pretty
from policycheck.report import Report


class JsonFormat(Formatter):
    """Pretty-printed, key order fixed by the report, UTF-8 kept readable."""

    name = "json"
    description = "versioned JSON report (schema: policycheck/schemas/report.schema.json)"

    def render(self, report: Report) -> str:
        """The report as JSON."""
        return pretty(report.to_json(), integers_only=True)  # report.schema.json


FORMAT = JsonFormat()
