"""JSON: the machine-readable contract (schemas/report.schema.json)."""

from __future__ import annotations

import json

from policycheck.formats.interface import Formatter
from policycheck.report import Report


class JsonFormat(Formatter):
    """Pretty-printed, key order fixed by the report, UTF-8 kept readable."""

    name = "json"
    description = "versioned JSON report (schema: policycheck/schemas/report.schema.json)"

    def render(self, report: Report) -> str:
        """The report as JSON."""
        return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


FORMAT = JsonFormat()
