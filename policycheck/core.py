"""The check as a Python API: targets, a policy and a date in, a Report out.

The CLI is a thin layer over ``check``; other programs can call it directly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from policycheck.alternatives import Advisor
from policycheck.errors import InputError
from policycheck.evaluate import Evaluator
from policycheck.model import Component
from policycheck.policy import Policy, Verdict
from policycheck.report import Report
from policycheck.waivers import WaiverLedger
from policycheck.walk import ScanResult, scan_paths

_ENGINE_TARGET = re.compile(r"^(?P<engine>[A-Za-z0-9][A-Za-z0-9_.-]*)@(?P<version>[^@\s]+)$")


def parse_engine_target(text: str) -> Component | None:
    """``redis@7.4.0`` as a Component, or None when ``text`` is not of that form."""
    m = _ENGINE_TARGET.match(text.strip())
    if not m:
        return None
    return Component(m["engine"].lower(), m["version"], None, origin="target")


def collect(targets: Sequence[str], exclude: tuple[str, ...] = ()) -> ScanResult:
    """Components for every target: ``engine@version`` texts, files and directories."""
    result = ScanResult()
    paths: list[str] = []
    for target in targets:
        if Path(target).exists():
            paths.append(target)
            continue
        component = parse_engine_target(target)
        if component is None:
            result.errors.append(
                InputError(
                    f"{target!r} is neither a file, a directory nor ENGINE@VERSION",
                    hint="write e.g. redis@7.4.0, or a path to a manifest or directory",
                )
            )
            continue
        result.components.append(component)
    scanned = scan_paths(paths, exclude)
    result.components.extend(scanned.components)
    result.errors.extend(scanned.errors)
    result.files.update(scanned.files)
    return result


def check(
    targets: Sequence[str],
    policy: Policy,
    as_of: dt.date,
    fail_on: Verdict = Verdict.DENY,
    exclude: tuple[str, ...] = (),
    warn_expiring: int = 30,
) -> Report:
    """Evaluate every target under ``policy`` as of ``as_of``, then apply waivers."""
    scanned = collect(targets, exclude)
    evaluator = Evaluator(policy, as_of)
    ledger = WaiverLedger(policy, as_of, warn_expiring)
    advisor = Advisor(evaluator)
    findings = [ledger.apply(evaluator.evaluate(c)) for c in scanned.components]
    for finding in findings:
        finding.suggestions = [s.to_json() for s in advisor.suggest(finding)]
    report = Report(policy, as_of, findings, scanned.errors, scanned.files, fail_on)
    report.waivers = ledger.summary()
    return report
