"""SARIF 2.1.0 for GitHub code scanning: one alert per finding that needs a person.

Why the shape is what it is:

* **Rules.** Every policy rule becomes a ``reportingDescriptor`` so an alert links to the
  rule's rationale. Verdicts no policy rule decided get synthetic rules (``SYNTHETIC_RULES``):
  the policy's default, and the fail-closed cases (unknown engine, unresolved version, ...).
  A finding's rule is its highest-verdict fired rule (first in policy order on a tie), else
  the synthetic rule that explains the verdict (``deciding_rule_id``).
* **Results.** Only review and deny findings by default: an allow is not a problem to
  triage. ``with_allow()`` gives a formatter that also emits allows (level ``note``).
* **Locations.** A finding from a file gets the path as given (forward slashes, relative
  to ``%SRCROOT%``) and its line. GitHub rejects a whole upload when a result has no
  physical location (``locationFromSarifResult: expected at least one location`` /
  ``expected a physical location``), so a finding from the command line (``redis@7.4.0``)
  gets the target text itself as a pseudo-path without ``uriBaseId`` (the way image
  scanners report image names), plus a logical location ``engine@version``. The policy
  file is not used: a bundled policy is not in the repository, and every target would
  pile onto one line of it.
* **Fingerprints.** ``partialFingerprints["policycheck/v1"]`` hashes rule id, path, engine
  and the version text as written, never the line, so editing above a finding does not
  close and reopen its alert. Identical findings in one file are told apart by an
  occurrence counter, as CodeQL does.
* **Input errors** go to ``invocations[0].toolExecutionNotifications``, which GitHub shows
  as tool errors rather than code alerts.

Output is deterministic: fixed key order, findings in report order, no timestamps.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any
from urllib.parse import quote

from policycheck import __version__, failclosed
from policycheck.errors import InputError
from policycheck.formats.interface import Formatter
from policycheck.jsontext import pretty, pretty_bytes
from policycheck.model import Finding
from policycheck.notice import DISCLAIMER, catalog_identity
from policycheck.policy import Policy, Rule, Verdict
from policycheck.report import Report

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "policycheck/v1"
SRCROOT = "%SRCROOT%"
#: Characters kept as written in artifact URIs (RFC 3986 path characters minus ":").
_URI_SAFE = "/@!$&'()*+,;="
#: GitHub truncates or rejects rule descriptions longer than this.
_DESCRIPTION_LIMIT = 1024

LEVELS = {Verdict.ALLOW: "note", Verdict.REVIEW: "warning", Verdict.DENY: "error"}

POLICY_DEFAULT = failclosed.POLICY_DEFAULT

#: Fail-closed rules, in descriptor order; the policy default is added per policy.
SYNTHETIC_RULES: tuple[failclosed.FailClosed, ...] = failclosed.ALL


# -- what decided a finding (shared with the junit and github formats) -----------------


def target_label(f: Finding) -> str:
    """``redis@7.4.9`` plus the version as written when resolution changed it."""
    version = f.version or f.requested or "unknown-version"
    label = f"{f.engine}@{version}"
    if f.requested_differs:
        label += f" (requested {f.requested})"
    return label


def license_summary(f: Finding) -> str:
    """The license words of a message: expression, what is in force, what was elected."""
    if not f.license:
        return "license unknown"
    text = f"license {f.license}"
    if f.effective_license and f.effective_license != f.license:
        text += f" (in force: {f.effective_license})"
    if f.elected:
        text += f", elected {f.elected}"
    return text


def _decided_verdict(f: Finding) -> Verdict:
    """The verdict before an active waiver changed it: the one rules are compared with."""
    waiver = f.waiver or {}
    original = waiver.get("original_verdict")
    if waiver.get("status") != "expired" and isinstance(original, str):
        try:
            return Verdict.parse(original)
        except KeyError:
            return f.verdict
    return f.verdict


def deciding_rule(f: Finding, policy: Policy) -> Rule | None:
    """The highest-verdict policy rule that fired for ``f`` (policy order breaks ties)."""
    fired = [r for r in policy.rules if r.id in f.rules]
    if not fired:
        return None
    top = max(r.verdict for r in fired)
    return next(r for r in fired if r.verdict == top)


def deciding_rule_id(f: Finding, policy: Policy) -> str:
    """The id of the rule, policy or fail-closed, that produced the finding's verdict.

    The evaluator records it in ``f.rules``; this only picks the one at the verdict: the
    highest-verdict policy rule (policy order on a tie), else the first fail-closed
    reason, else the policy default.
    """
    decided = _decided_verdict(f)
    rule = deciding_rule(f, policy)
    if rule is not None and rule.verdict >= decided:
        return rule.id
    reasons = [s for s in SYNTHETIC_RULES if s.id in f.rules]
    candidates = [(s.verdict, s.id) for s in reasons]
    if POLICY_DEFAULT in f.rules or (rule is None and not reasons):
        candidates.append((policy.default_verdict, POLICY_DEFAULT))
    if rule is not None:
        candidates.append((rule.verdict, rule.id))
    # the first (in this order) whose verdict is the one decided, else the highest
    at_verdict = [cid for v, cid in candidates if v == decided]
    if at_verdict:
        return at_verdict[0]
    return max(candidates, key=lambda c: c[0])[1]


def deciding_lines(f: Finding, rule_id: str, policy: Policy) -> list[str]:
    """The rationale sentences that carry the verdict; all of them when none is marked.

    For a policy rule that is every fired rule at the deciding rule's verdict, so a
    floating non-OSI release names both reasons a person must look at it.
    """
    if rule_id in (
        failclosed.UNKNOWN_ENGINE.id,
        failclosed.UNRESOLVED_VERSION.id,
        failclosed.UNCATALOGUED_VERSION.id,
        failclosed.NO_SUCH_RELEASE.id,
    ):
        return list(f.rationale)
    top = deciding_rule(f, policy)
    peers = set()
    if top is not None and top.id == rule_id:
        peers = {r.id for r in policy.rules if r.id in f.rules and r.verdict == top.verdict}
    prefixes = tuple(f"Rule {rid} (" for rid in sorted(peers | {rule_id})) + ("Waiver ",)

    def decides(line: str) -> bool:
        if line.startswith(prefixes):
            return True
        if rule_id == POLICY_DEFAULT:
            return line.startswith("No rule of policy ")
        if rule_id in failclosed.BY_ID:
            return "fail closed" in line or line.startswith("Raised to ")
        return False

    chosen = [line for line in f.rationale if decides(line)]
    return chosen or list(f.rationale)


# -- rules -----------------------------------------------------------------------------


def _clip(text: str, limit: int = _DESCRIPTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_clause(text: str) -> str:
    """The text up to its first full stop or semicolon: a title, not a paragraph."""
    return re.split(r"[.;](?:\s|$)", text.strip(), maxsplit=1)[0]


def _pascal(rule_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part)


_REMEDY = {
    Verdict.DENY: "Move to a release or engine the policy allows, buy a commercial license, "
    "or record an approved waiver in the policy.",
    Verdict.REVIEW: "Have the owner of the policy (usually legal) sign off, then record the "
    "decision in the policy as an election or a waiver with an approver and expiry.",
    Verdict.ALLOW: "Nothing to do: this is reported for completeness.",
}


def _descriptor(
    rule_id: str, verdict: Verdict, summary: str, rationale: str, origin: str
) -> dict[str, Any]:
    """One reportingDescriptor; ``origin`` says where the rule comes from."""
    remedy = _REMEDY[verdict]
    return {
        "id": rule_id,
        "name": _pascal(rule_id),
        "shortDescription": {"text": _clip(f"{verdict}: {summary}")},
        "fullDescription": {"text": _clip(rationale)},
        "help": {
            "text": f"{origin} gives the verdict {verdict}. {rationale}\n\n{remedy}",
            "markdown": f"**{origin}** gives the verdict **{verdict}**.\n\n{rationale}\n\n{remedy}",
        },
        "defaultConfiguration": {"level": LEVELS[verdict]},
        "properties": {"tags": ["license", "policy", str(verdict)]},
    }


def rule_descriptors(policy: Policy) -> list[dict[str, Any]]:
    """Policy rules in policy order, then the default and the fail-closed rules."""
    out = [
        _descriptor(
            r.id,
            r.verdict,
            _first_clause(r.rationale),
            r.rationale,
            f"Rule {r.id} of policy '{policy.name}'",
        )
        for r in policy.rules
    ]
    default_text = (
        f"No rule of policy {policy.name} matched; its default applies: {policy.default_rationale}"
    )
    out.append(
        _descriptor(
            POLICY_DEFAULT,
            policy.default_verdict,
            "No policy rule matched; the policy default applies",
            default_text,
            f"The default of policy '{policy.name}'",
        )
    )
    for s in SYNTHETIC_RULES:
        out.append(_descriptor(s.id, s.verdict, s.summary, s.rationale, "policycheck"))
    return out


# -- locations and fingerprints ----------------------------------------------------------


def _posix(path: str) -> str:
    text = path.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def artifact_location(path: str) -> dict[str, Any]:
    """A repository-relative URI under %SRCROOT%, or a file: URI for an absolute path."""
    posix = _posix(path)
    if posix.startswith("/"):
        return {"uri": "file://" + quote(posix, safe=_URI_SAFE)}
    if re.match(r"^[A-Za-z]:/", posix):
        return {"uri": f"file:///{posix[:2]}" + quote(posix[2:], safe=_URI_SAFE)}
    return {"uri": quote(posix, safe=_URI_SAFE), "uriBaseId": SRCROOT}


def _command_line_target(f: Finding) -> str:
    return f"{f.engine}@{f.requested or f.version or 'unknown-version'}"


def _location(f: Finding) -> dict[str, Any]:
    logical = [{"name": target_label(f), "fullyQualifiedName": target_label(f), "kind": "module"}]
    if f.location is None:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": quote(_command_line_target(f), safe=_URI_SAFE)}
        }
    else:
        physical = {"artifactLocation": artifact_location(f.location.path)}
        if f.location.line:
            region: dict[str, Any] = {"startLine": f.location.line}
            if f.location.text:
                region["snippet"] = {"text": f.location.text}
            physical["region"] = region
    return {"physicalLocation": physical, "logicalLocations": logical}


def fingerprint(f: Finding, rule_id: str) -> str:
    """A hash that survives line moves: rule, path, engine and version as written."""
    path = _posix(f.location.path) if f.location else ""
    version = f.requested if f.requested is not None else (f.version or "")
    key = "\x00".join((rule_id, path, f.engine, version))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


# -- results ---------------------------------------------------------------------------


def message_text(f: Finding, rule_id: str, policy: Policy) -> str:
    """Verdict, target, license, then the deciding rationale, one sentence a line."""
    head = f"{f.verdict}: {target_label(f)}, {license_summary(f)} (policy '{policy.name}')."
    return "\n".join([head, *deciding_lines(f, rule_id, policy)])


def _result(
    f: Finding, rule_id: str, index: int, policy: Policy, occurrence: int
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "verdict": str(f.verdict),
        "engine": f.engine,
        "version": f.version,
        "requested": f.requested,
        "license": f.license,
        "elected": f.elected,
        "rules": list(f.rules),
    }
    if f.waiver:
        properties["waiver"] = f.waiver.get("id")
    return {
        "ruleId": rule_id,
        "ruleIndex": index,
        "level": LEVELS[f.verdict],
        "message": {"text": message_text(f, rule_id, policy)},
        "locations": [_location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: f"{fingerprint(f, rule_id)}:{occurrence}"},
        "properties": properties,
    }


def _notification(e: InputError) -> dict[str, Any]:
    note: dict[str, Any] = {"level": "error", "message": {"text": str(e)}}
    if e.path:
        physical: dict[str, Any] = {"artifactLocation": artifact_location(e.path)}
        if e.line:
            physical["region"] = {"startLine": e.line}
        note["locations"] = [{"physicalLocation": physical}]
    return note


class SarifFormat(Formatter):
    """SARIF 2.1.0 log with one run; see the module docstring for the design."""

    name = "sarif"
    description = "SARIF 2.1.0 for GitHub code scanning (review and deny findings)"

    def __init__(self, include_allow: bool = False) -> None:
        self.include_allow = include_allow

    def reported(self, f: Finding) -> bool:
        """Allow findings are results only when asked for."""
        return self.include_allow or f.verdict > Verdict.ALLOW

    def results(self, report: Report) -> list[dict[str, Any]]:
        """One result per reported finding, in report order."""
        descriptors = rule_descriptors(report.policy)
        index = {d["id"]: i for i, d in enumerate(descriptors)}
        seen: Counter[str] = Counter()
        out = []
        for f in report.findings:
            if not self.reported(f):
                continue
            rule_id = deciding_rule_id(f, report.policy)
            digest = fingerprint(f, rule_id)
            seen[digest] += 1
            out.append(_result(f, rule_id, index[rule_id], report.policy, seen[digest]))
        return out

    def log(self, report: Report) -> dict[str, Any]:
        """The SARIF log as a JSON-ready dict."""
        driver = {
            "name": "policycheck",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": rule_descriptors(report.policy),
        }
        run = {
            "tool": {"driver": driver},
            "invocations": [
                {
                    "executionSuccessful": not report.errors,
                    "toolExecutionNotifications": [_notification(e) for e in report.errors],
                }
            ],
            "results": self.results(report),
            "properties": {
                "policy": {"name": report.policy.name, "sha256": report.policy.sha256},
                "asOf": report.as_of.isoformat(),
                "failOn": str(report.fail_on),
                "summary": report.summary,
                "disclaimer": DISCLAIMER,
                "catalog": catalog_identity(),
            },
        }
        return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}

    def render(self, report: Report) -> str:
        """The log as pretty-printed JSON."""
        return pretty(self.log(report))

    def render_bytes(self, report: Report) -> bytes:
        """``render`` in the bytes orjson writes."""
        return pretty_bytes(self.log(report))


def with_allow() -> SarifFormat:
    """The formatter behind ``--sarif-include-allow``: allow findings become notes."""
    return SarifFormat(include_allow=True)


FORMAT = SarifFormat()
