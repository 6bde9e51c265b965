"""GitHub Actions workflow commands: findings as annotations on the pull request.

A deny is ``::error``, a review ``::warning``; ``::notice`` is never emitted for an allow,
because GitHub caps annotations per step (10 of each level) and allows would crowd out the
findings a person must act on. The level follows the verdict, not ``--fail-on``: the exit
code already says whether the job fails. A finding from a file carries ``file=`` and
``line=`` so the annotation lands on the manifest line; one from the command line has no
file and shows on the workflow run only. Input errors are ``::error`` too.

Escaping follows the runner (``toolkit/packages/core/src/command.ts``): in the message
``%``, CR and LF become ``%25``, ``%0D``, ``%0A``; in properties ``:`` and ``,`` also
become ``%3A`` and ``%2C``. Nothing from a finding can therefore start a line of its own
and inject another workflow command. The output ends with a plain summary line.
"""

from __future__ import annotations

from policycheck.errors import InputError
from policycheck.formats.interface import Formatter
from policycheck.formats.sarif import (
    deciding_lines,
    deciding_rule_id,
    license_summary,
    target_label,
)
from policycheck.model import Finding
from policycheck.notice import SHORT_DISCLAIMER
from policycheck.policy import Verdict
from policycheck.report import Report

COMMANDS = {Verdict.DENY: "error", Verdict.REVIEW: "warning"}


def escape_data(text: str) -> str:
    """A workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command property value (file, line, title)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """``::name k=v,k=v::message`` with every part escaped; None properties are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def finding_command(f: Finding, report: Report) -> str | None:
    """The annotation for one finding, or None for an allow."""
    name = COMMANDS.get(f.verdict)
    if name is None:
        return None
    rule_id = deciding_rule_id(f, report.policy)
    title = f"policycheck {f.verdict}: {target_label(f)} ({rule_id})"
    head = f"{target_label(f)}: {license_summary(f)} (policy '{report.policy.name}')."
    message = "\n".join([head, *deciding_lines(f, rule_id, report.policy)])
    loc = f.location
    return command(
        name,
        message,
        file=loc.path.replace("\\", "/") if loc else None,
        line=loc.line if loc else None,
        title=title,
    )


def error_command(e: InputError) -> str:
    """An input error as an ``::error`` on its file and line when known."""
    return command(
        "error",
        str(e),
        file=e.path.replace("\\", "/") if e.path else None,
        line=e.line if e.path else None,
        title="policycheck input error",
    )


def summary_line(report: Report) -> str:
    """One plain line a person reads in the log; never a workflow command."""
    s = report.summary
    outcome = "FAILED" if report.failed else "passed"
    return (
        f"policycheck: {len(report.findings)} finding(s): {s['allow']} allow, "
        f"{s['review']} review, {s['deny']} deny; {len(report.errors)} input error(s); "
        f"fail-on {report.fail_on}: {outcome}"
    )


class GithubFormat(Formatter):
    """Annotations for ``run:`` steps in GitHub Actions."""

    name = "github"
    description = "GitHub Actions annotations: ::error for deny, ::warning for review"

    def render(self, report: Report) -> str:
        """One command per deny/review finding and input error, then the summary."""
        lines = [c for f in report.findings if (c := finding_command(f, report)) is not None]
        lines.extend(error_command(e) for e in report.errors)
        lines.append(f"policycheck: {SHORT_DISCLAIMER}")
        lines.append(summary_line(report))
        return "\n".join(lines) + "\n"


FORMAT = GithubFormat()
