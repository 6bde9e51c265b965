"""Text for people at a terminal: verdict first, then license, election and reasons."""

from __future__ import annotations

import textwrap

from policycheck.formats.interface import Formatter
from policycheck.model import Finding
from policycheck.notice import SHORT_DISCLAIMER
from policycheck.report import Report

_WIDTH = 100


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        text, width=_WIDTH, initial_indent=indent + "- ", subsequent_indent=indent + "  "
    )


def finding_title(f: Finding) -> str:
    """``redis 7.4.0`` plus where it was found."""
    name = f"{f.engine}@{f.version}" if f.version else f"{f.engine} (version unknown)"
    if f.requested_differs:
        name += f" (from {f.requested!r})"
    if f.location:
        name += f"  at {f.location}"
    return name


def scan_line(report: Report) -> str:
    """One line on what was looked at: files seen, parsed, and what was left out and why."""
    scan = report.scan_json()
    line = f"scanned {scan['files']} file(s), parsed {scan['parsed']}"
    skipped = scan["skipped"]
    if skipped:
        line += "; skipped: " + ", ".join(
            f"{count} folder(s) ({why.removeprefix('folder: ')})"
            if why.startswith("folder: ")
            else f"{count} {why}"
            for why, count in skipped.items()
        )
    return line


class TextFormat(Formatter):
    """The default format."""

    name = "text"
    description = "human-readable: verdict first, then license and reasons"

    def render(self, report: Report) -> str:
        """The report for a terminal."""
        out: list[str] = []
        uses = ", ".join(u.value for u in report.policy.uses)
        out.append(f"policy {report.policy.name} | uses: {uses} | as of {report.as_of}")
        out.append("")
        for f in report.findings:
            out.append(f"{str(f.verdict).upper():7} {finding_title(f)}")
            if f.license:
                lic = f"license: {f.license}"
                if f.effective_license and f.effective_license != f.license:
                    lic += f" (in force now: {f.effective_license})"
                out.append("        " + lic)
            if f.elected:
                out.append(f"        elected: {f.elected}")
            if f.converts:
                out.append(f"        converts to {f.converts['to']} on {f.converts['date']}")
            if f.waiver:
                out.append(f"        waiver: {f.waiver.get('summary', '')}")
            for line in f.rationale:
                out.append(_wrap(line, "        "))
            for sug in f.suggestions:
                out.append(
                    _wrap(
                        f"instead: {sug['engine']}@{sug['version']} ({sug['verdict']}, "
                        f"{sug['license']}): {sug['reason']}",
                        "        ",
                    )
                )
            out.append("")
        for e in report.errors:
            out.append(f"ERROR   {e}")
        if report.errors:
            out.append("")
        for w in report.waivers:
            out.append(
                f"WAIVER  {w['id']}: {w['status']}, expires {w['expires']}, "
                f"approved by {w['approved_by']}, matched {w['matched']} finding(s)"
            )
        if report.waivers:
            out.append("")
        out.append(f"({SHORT_DISCLAIMER})")
        if report.scan is not None and report.scan.files:
            out.append(scan_line(report))
        s = report.summary
        out.append(
            f"{len(report.findings)} finding(s): {s['allow']} allow, {s['review']} review, "
            f"{s['deny']} deny; {len(report.errors)} input error(s); fail-on {report.fail_on}"
        )
        return "\n".join(out) + "\n"


FORMAT = TextFormat()
