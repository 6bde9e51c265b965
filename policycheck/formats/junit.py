"""JUnit XML for CI test reporters (GitLab, Jenkins, Azure DevOps, test-report actions).

Every finding is a test case, so a CI dashboard lists each engine deployment with its
verdict: a finding at or above ``--fail-on`` is a ``<failure>``, anything below passes with
its rationale in ``<system-out>``. Input errors (unreadable manifests, bad targets) are test
cases with ``<error>``, which reporters show apart from policy failures.

``classname`` is the file the finding came from (``targets`` for command-line targets) so
reporters group findings by file; ``name`` is ``engine@version`` plus the line. ``file`` and
``line`` attributes are added where known for reporters that annotate source lines.

XML is built with ElementTree, never by hand, so markup in rationale text is escaped.
Characters XML 1.0 cannot carry at all (control characters) become U+FFFD. There is no
timestamp, hostname or time attribute, so the same report gives the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from policycheck.errors import InputError
from policycheck.formats.interface import Formatter
from policycheck.formats.sarif import deciding_rule_id, target_label
from policycheck.model import Finding
from policycheck.notice import DISCLAIMER, catalog_identity
from policycheck.report import Report

SUITE_NAME = "policycheck"
TARGETS_CLASSNAME = "targets"
INPUTS_CLASSNAME = "inputs"

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        # An XML parser reads a raw CR in text as LF; write LF so the text reads back as is.
        element.text = xml_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    return element


def case_name(f: Finding) -> str:
    """``redis@7.4.0 (line 12)``: unique enough within a file for reporters to list."""
    name = target_label(f)
    if f.location and f.location.line:
        name += f" (line {f.location.line})"
    return name


def _finding_case(suite: ET.Element, f: Finding, report: Report) -> None:
    attrs = {
        "classname": f.location.path.replace("\\", "/") if f.location else TARGETS_CLASSNAME,
        "name": case_name(f),
    }
    if f.location:
        attrs["file"] = attrs["classname"]
        if f.location.line:
            attrs["line"] = str(f.location.line)
    case = _sub(suite, "testcase", **attrs)
    body = "\n".join(f.rationale)
    if f.verdict >= report.fail_on:
        rule = deciding_rule_id(f, report.policy)
        first = f.rationale[0] if f.rationale else ""
        message = f"{f.verdict} ({rule}): {first}"
        _sub(case, "failure", body, message=message, type=str(f.verdict))
    else:
        _sub(case, "system-out", f"{f.verdict}: {body}")


def _error_case(suite: ET.Element, e: InputError) -> None:
    name = "input error" + (f" (line {e.line})" if e.line else "")
    attrs = {"classname": e.path.replace("\\", "/") if e.path else INPUTS_CLASSNAME, "name": name}
    if e.path:
        attrs["file"] = attrs["classname"]
        if e.line:
            attrs["line"] = str(e.line)
    case = _sub(suite, "testcase", **attrs)
    _sub(case, "error", str(e), message=e.message, type="input-error")


def _counts(report: Report) -> dict[str, str]:
    failures = sum(1 for f in report.findings if f.verdict >= report.fail_on)
    return {
        "tests": str(len(report.findings) + len(report.errors)),
        "failures": str(failures),
        "errors": str(len(report.errors)),
        "skipped": "0",
    }


def _properties(suite: ET.Element, report: Report) -> None:
    props = _sub(suite, "properties")
    for name, value in (
        ("policy", report.policy.name),
        ("policy_sha256", report.policy.sha256),
        ("catalog", f"{catalog_identity()['version']} sha256 {catalog_identity()['sha256']}"),
        ("disclaimer", DISCLAIMER),
        ("as_of", report.as_of.isoformat()),
        ("fail_on", str(report.fail_on)),
    ):
        _sub(props, "property", name=name, value=value)


class JunitFormat(Formatter):
    """One ``<testsuite name="policycheck">`` inside ``<testsuites>``."""

    name = "junit"
    description = "JUnit XML: one test case per finding, failures at or above --fail-on"

    def tree(self, report: Report) -> ET.Element:
        """The document root, for callers that want the tree rather than text."""
        counts = _counts(report)
        root = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
        suite = _sub(root, "testsuite", name=SUITE_NAME, **counts)
        _properties(suite, report)
        for f in report.findings:
            _finding_case(suite, f, report)
        for e in report.errors:
            _error_case(suite, e)
        return root

    def render(self, report: Report) -> str:
        """The document with an XML declaration, indented, ending with a newline."""
        root = self.tree(report)
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


FORMAT = JunitFormat()
