"""JSON: the machine-readable contract (schemas/report.schema.json)."""

from __future__ import annotations

from policycheck.formats.interface import Formatter
from policycheck.jsontext import pretty_bytes
from policycheck.report import Report


class JsonFormat(Formatter):
    """Pretty-printed, key order fixed by the report, UTF-8 kept readable."""

    name = "json"
    description = "versioned JSON report (schema: policycheck/schemas/report.schema.json)"

    def render(self, report: Report) -> str:
        """The report as JSON."""
        return self.render_bytes(report).decode("utf-8")

    def render_bytes(self, report: Report) -> bytes:
        """The report as JSON, in the bytes orjson writes."""
        return pretty_bytes(report.to_json(), integers_only=True)  # report.schema.json


FORMAT = JsonFormat()
