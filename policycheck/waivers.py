"""Applying recorded decisions to findings: waivers with owner and expiry.

A waiver never hides a finding: the finding keeps its rationale and gains a sentence
saying who approved the waiver, why and until when. Expired waivers stop applying and
say so, so that a decision nobody renewed cannot keep a deny quiet forever.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field

from policycheck.model import Finding
from policycheck.policy import Policy, Waiver
from policycheck.versions import parse_version


@dataclass
class WaiverLedger:
    """Which waivers matched which findings, for the unused/expiring summary."""

    policy: Policy
    as_of: dt.date
    warn_days: int = 30
    hits: dict[str, int] = field(default_factory=dict)

    def status(self, w: Waiver) -> str:
        """active, expiring (within warn_days), or expired, as of the run's date."""
        expires = dt.date.fromisoformat(w.expires)
        if self.as_of > expires:
            return "expired"
        if (expires - self.as_of).days <= self.warn_days:
            return "expiring"
        return "active"

    def apply(self, finding: Finding) -> Finding:
        """Apply the first matching waiver in force (in policy order) to ``finding``.

        A waiver in force wins over an expired one wherever either is listed, so a
        renewal written below the waiver it renews applies. Only when every matching
        waiver has expired does the finding say so. Every match is counted, so the
        expired waiver shows as expired (prune it), not as unused.
        """
        matching = [w for w in self.policy.waivers if _matches(w, finding)]
        for w in matching:
            self.hits[w.id] = self.hits.get(w.id, 0) + 1
        in_force = [w for w in matching if self.status(w) != "expired"]
        for w in (in_force or matching)[:1]:
            state = self.status(w)
            record = {
                "id": w.id,
                "status": state,
                "verdict": str(w.verdict),
                "original_verdict": str(finding.verdict),
                "reason": w.reason,
                "approved_by": w.approved_by,
                "approved_on": w.approved_on,
                "expires": w.expires,
            }
            if state == "expired":
                record["summary"] = f"waiver {w.id} expired on {w.expires}; it no longer applies"
                finding.rationale.append(
                    f"Waiver {w.id} (approved by {w.approved_by} on {w.approved_on}) expired on "
                    f"{w.expires} and no longer applies; renew or remove it."
                )
            else:
                before = finding.verdict
                finding.verdict = w.verdict
                record["summary"] = (
                    f"{w.id}: {before} -> {w.verdict}, approved by {w.approved_by}, until {w.expires}"
                )
                finding.rationale.append(
                    f"Waiver {w.id} applies: verdict {before} -> {w.verdict}, approved by "
                    f"{w.approved_by} on {w.approved_on} until {w.expires}, because: {w.reason}"
                )
                if state == "expiring":
                    finding.rationale.append(
                        f"Waiver {w.id} expires on {w.expires}, within {self.warn_days} days."
                    )
            finding.waiver = record
            return finding
        return finding

    def summary(self) -> list[dict[str, object]]:
        """Every waiver with its status and number of matches; unused ones are flagged."""
        out: list[dict[str, object]] = []
        for w in self.policy.waivers:
            hits = self.hits.get(w.id, 0)
            out.append(
                {
                    "id": w.id,
                    "status": "unused" if hits == 0 else self.status(w),
                    "expires": w.expires,
                    "approved_by": w.approved_by,
                    "matched": hits,
                }
            )
        return out


def _matches(w: Waiver, f: Finding) -> bool:
    if w.engine != f.engine:
        return False
    if w.versions is not None:
        v = parse_version(f.version) if f.version else None
        if v is None or not w.versions.contains(v):
            return False
    if w.path is not None and (f.location is None or not fnmatch.fnmatch(f.location.path, w.path)):
        return False
    return w.rule is None or w.rule in f.rules
