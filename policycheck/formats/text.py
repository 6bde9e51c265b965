"""Text for people at a terminal: the verdict first, one glance per finding.

The default is concise: a header line, then per finding at most four lines (verdict,
engine@version and where; license and election; the one reason that decided the
verdict; the best alternative when it is not allowed), then the summary. ``--explain``
prints the whole reasoning: every rule, each use's effect with its clause, judgement
calls, elections, evidence, notes, every alternative and the statements to confirm.
Off a terminal nothing is wrapped or coloured, so a log line can be grepped whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policycheck import notice, terminal
from policycheck.formats.interface import Formatter
from policycheck.model import Finding
from policycheck.notice import DISCLAIMER
from policycheck.report import Report
from policycheck.targets import requested_as

#: Width of --explain text when it does not go to a terminal (files, pipes).
EXPLAIN_WIDTH = 100
INDENT = " " * 8
#: The notice every format carries, and where the full one and the statements are.
SHORT_DISCLAIMER = f"{notice.SHORT_DISCLAIMER} --explain lists what counsel must confirm."

_RULE_LINE = re.compile(r"^Rule (?P<id>\S+) \((?P<verdict>allow|review|deny)\): (?P<why>.*)$")
_DEFAULT_LINE = re.compile(r"^No rule of policy .* matched; its default applies \((?P<v>\w+)\)")


def finding_title(f: Finding) -> str:
    """``redis@7.4.0`` plus what was asked for and where it was found."""
    name = f"{f.engine}@{f.version}" if f.version else f"{f.engine} (version unknown)"
    typed = requested_as(f.notes)
    if typed is not None:
        name += f" (from {typed!r}, an image variant)"
    elif f.requested_differs:
        name += f" (from {f.requested!r})"
    if f.location:
        name += f"  at {f.location}"
    return name


def deciding_reason(f: Finding) -> str:
    """The one sentence that produced the verdict, derived from the finding itself.

    In order: a waiver in force (it set the verdict), the rule whose verdict is the
    finding's, the policy default when it applied at that verdict, a step that raised
    the verdict (fail closed on an assumption), then the first fail-closed sentence.
    """
    lines = f.rationale
    verdict = str(f.verdict)
    if f.waiver and f.waiver.get("status") != "expired":
        for line in lines:
            if line.startswith(f"Waiver {f.waiver['id']} applies"):
                return line
    for line in lines:
        m = _RULE_LINE.match(line)
        if m and m["verdict"] == verdict and m["id"] in f.rules:
            return f"rule {m['id']}: {m['why']}"
    for line in lines:
        m = _DEFAULT_LINE.match(line)
        if m and m["v"] == verdict:
            return line
    for line in lines:
        if line.startswith("Raised to "):
            return line
    for line in lines:
        if "fail closed" in line:
            return line
    rules = [line for line in lines if _RULE_LINE.match(line)]
    return (rules or lines or ["no reason recorded"])[0]


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


@dataclass(frozen=True)
class TextFormat(Formatter):
    """The default format; the CLI makes one per run with the terminal's answers."""

    explain: bool = False
    color: bool = False
    columns: int | None = None

    name = "text"
    description = "human-readable: verdict first, one glance per finding (--explain: all)"

    def render(self, report: Report) -> str:
        """The report for a terminal."""
        out = [*terminal.wrap(self._header(report), "", self.columns), ""]
        for f in report.findings:
            out.extend(self._explained(f) if self.explain else self._concise(f))
            out.append("")
        for e in report.errors:
            wrapped = terminal.wrap(str(e), "", self.columns, "ERROR   ")
            out.append(self._paint("ERROR", "error") + wrapped[0].removeprefix("ERROR"))
            out.extend(wrapped[1:])

        if report.errors:
            out.append("")
        for w in report.waivers:
            out.extend(
                terminal.wrap(
                    f"{w['id']}: {w['status']}, expires {w['expires']}, "
                    f"approved by {w['approved_by']}, matched {w['matched']} finding(s)",
                    "",
                    self.columns,
                    "WAIVER  ",
                )
            )
        if report.waivers:
            out.append("")
        if report.scan is not None and report.scan.files:
            out.extend(terminal.wrap(scan_line(report), "", self.columns))
        s = report.summary
        summary = (
            f"{len(report.findings)} finding(s): {s['allow']} allow, {s['review']} review, "
            f"{s['deny']} deny; {len(report.errors)} input error(s); fail-on {report.fail_on}"
        )
        out.extend(terminal.wrap(summary, "", self.columns))
        if self.explain:
            out.extend(terminal.wrap(DISCLAIMER, "", self._width()))
        else:
            out.extend(
                self._paint(line, "dim")
                for line in terminal.wrap(SHORT_DISCLAIMER, "", self.columns)
            )
        return "\n".join(out) + "\n"

    def _width(self) -> int | None:
        return self.columns or (EXPLAIN_WIDTH if self.explain else None)

    def _paint(self, text: str, style: str) -> str:
        return terminal.paint(text, style, self.color)

    def _header(self, report: Report) -> str:
        uses = ", ".join(u.value for u in report.policy.uses)
        return f"policy {report.policy.name} | uses: {uses} | as of {report.as_of}"

    def _title(self, f: Finding) -> list[str]:
        """Verdict, engine@version and where, wrapped like any line; only the verdict word
        and the name are styled, so the wrapping counts what shows."""
        verdict = str(f.verdict)
        head = f"{verdict.upper():7} "
        lines = terminal.wrap(finding_title(f), "", self.columns, head)
        first = self._paint(head[:-1], verdict) + " " + self._paint(lines[0][len(head) :], "bold")
        return [first, *(self._paint(line, "bold") for line in lines[1:])]

    def _concise(self, f: Finding) -> list[str]:
        """At most four logical lines (wrapped only on a terminal)."""
        out = self._title(f)
        confirm = f"confirm: {len(f.confirm)} statement(s), see --explain" if f.confirm else ""
        if f.license:
            lic = f"license {f.license}"
            if f.elected:
                lic += f" (elected {f.elected})"
            if f.effective_license and f.effective_license != f.license:
                lic += f" (in force now: {f.effective_license})"
            elif f.converts:
                lic += f" (converts to {f.converts['to']} on {f.converts['date']})"
            if confirm:
                lic, confirm = f"{lic}; {confirm}", ""
            out.extend(terminal.wrap(lic, INDENT, self.columns))
        why = deciding_reason(f) + (f" ({confirm})" if confirm else "")
        out.extend(terminal.wrap(why, INDENT, self.columns, "why: "))
        if f.suggestions and f.verdict > f.verdict.ALLOW:
            best = f.suggestions[0]
            more = len(f.suggestions) - 1
            line = f"{best['engine']}@{best['version']} ({best['verdict']}, {best['license']})"
            if more:
                line += f"; {more} more with --explain"
            out.extend(terminal.wrap(line, INDENT, self.columns, "instead: "))
        return out

    def _explained(self, f: Finding) -> list[str]:
        """Everything the finding holds, as today's reviewers read it."""
        width = self._width()
        out = self._title(f)
        if f.license:
            lic = f"license: {f.license}"
            if f.effective_license and f.effective_license != f.license:
                lic += f" (in force now: {f.effective_license})"
            out.append(INDENT + lic)
        if f.elected:
            out.append(f"{INDENT}elected: {f.elected}")
        if f.converts:
            out.append(f"{INDENT}converts to {f.converts['to']} on {f.converts['date']}")
        if f.waiver:
            out.append(f"{INDENT}waiver: {f.waiver.get('summary', '')}")
        out.extend(terminal.wrap(deciding_reason(f), INDENT, width, "decided by: "))
        for line in f.rationale:
            out.extend(terminal.wrap(line, INDENT, width, "- "))
        for note in f.notes:
            if note not in f.rationale:
                out.extend(terminal.wrap(note, INDENT, width, "- note: "))
        for sug in f.suggestions:
            out.extend(
                terminal.wrap(
                    f"instead: {sug['engine']}@{sug['version']} ({sug['verdict']}, "
                    f"{sug['license']}): {sug['reason']}",
                    INDENT,
                    width,
                    "- ",
                )
            )
        if f.confirm:
            out.append(f"{INDENT}legal to confirm:")
            for item in f.confirm:
                out.extend(terminal.wrap(item, INDENT + "  ", width, "[ ] "))
        return out


FORMAT = TextFormat()

__all__ = ["DISCLAIMER", "FORMAT", "TextFormat", "deciding_reason", "finding_title", "scan_line"]
