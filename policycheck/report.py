"""A Report: every finding of one run plus what the run was judged by.

The JSON form is a contract (``schemas/report.schema.json``): versioned, keys and list
order fixed, no timestamps beyond the as-of date, so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policycheck import __version__
from policycheck.errors import InputError
from policycheck.model import Finding
from policycheck.notice import DISCLAIMER, catalog_identity
from policycheck.policy import Policy, Verdict

if TYPE_CHECKING:
    from policycheck.walk import ScanStats

SCHEMA_VERSION = "1.2"


def _ordered(findings: list[Finding]) -> list[Finding]:
    """The documented order: ``ENGINE@VERSION`` targets first, in command-line order (as
    evaluated), then findings in files by path, line, engine and version."""
    named = [f for f in findings if f.location is None]
    found = sorted((f for f in findings if f.location is not None), key=Finding.sort_key)
    return named + found


@dataclass
class Report:
    """The result of a check run."""

    policy: Policy
    as_of: dt.date
    findings: list[Finding]
    errors: list[InputError] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    fail_on: Verdict = Verdict.DENY
    waivers: list[dict[str, Any]] = field(default_factory=list)
    scan: ScanStats | None = None

    def __post_init__(self) -> None:
        self.findings[:] = _ordered(self.findings)
        self.errors.sort(key=lambda e: (e.path or "", e.line or 0, e.message))

    @property
    def summary(self) -> dict[str, int]:
        """Count of findings per verdict."""
        counts = {str(v): 0 for v in Verdict}
        for f in self.findings:
            counts[str(f.verdict)] += 1
        return counts

    @property
    def engines_found(self) -> dict[str, int]:
        """Findings per engine among those found in files (not named on the command line)."""
        counts: dict[str, int] = {}
        for f in self.findings:
            if f.location is not None:
                counts[f.engine] = counts.get(f.engine, 0) + 1
        return dict(sorted(counts.items()))

    def scan_json(self) -> dict[str, Any]:
        """What the scan looked at: files seen and parsed, what was skipped and why."""
        scan = self.scan
        return {
            "files": scan.files if scan else 0,
            "parsed": scan.parsed if scan else 0,
            "skipped": dict(sorted(scan.skipped.items())) if scan else {},
            "engines_found": self.engines_found,
            "warnings": sorted(scan.warnings) if scan else [],
        }

    @property
    def failed(self) -> bool:
        """True when any finding is at or above ``fail_on``."""
        return any(f.verdict >= self.fail_on for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON document."""
        return {
            "schema_version": SCHEMA_VERSION,
            "disclaimer": DISCLAIMER,
            "catalog": catalog_identity(),
            "tool": {"name": "policycheck", "version": __version__},
            "policy": {"name": self.policy.name, "sha256": self.policy.sha256},
            "as_of": self.as_of.isoformat(),
            "uses": [u.value for u in self.policy.uses],
            "fail_on": str(self.fail_on),
            "findings": [f.to_json() for f in self.findings],
            "errors": [
                {"path": e.path, "line": e.line, "message": e.message, "hint": e.hint}
                for e in self.errors
            ],
            "files": [{"path": p, "sha256": s} for p, s in sorted(self.files.items())],
            "waivers": list(self.waivers),
            "scan": self.scan_json(),
            "summary": self.summary,
        }
