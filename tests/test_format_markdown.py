"""The Markdown sign-off report: golden file, escaping, and what a lawyer must find in it.

Regenerate the golden file after an intended change with
``POLICYCHECK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_format_markdown.py``.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.core import check
from policycheck.errors import InputError
from policycheck.formats import all_formats
from policycheck.formats.markdown import FORMAT, escape
from policycheck.model import Effect, Finding, Location
from policycheck.policy import Policy, Verdict
from policycheck.report import Report
from tests.conftest import AS_OF

GOLDEN = Path(__file__).parent / "golden" / "signoff.md"
TARGETS = (
    "redis@7.4.0",
    "valkey@8.1.1",
    "dragonfly@v1.25.0",
    "redis@8.2.1",
    "redis@7.2",
    "foo@1",
    "not-a-target",
)
UNESCAPED_PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")


def assert_matches_golden(actual: str, golden: Path) -> None:
    """Compare with the golden file, or rewrite it when POLICYCHECK_UPDATE_GOLDEN=1."""
    if os.environ.get("POLICYCHECK_UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
        return
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{golden.name} (golden)",
                tofile=f"{golden.name} (rendered now)",
            )
        )
        pytest.fail(
            f"{golden.name} differs from the golden file; if the change is intended, rerun "
            f"with POLICYCHECK_UPDATE_GOLDEN=1.\n{diff}",
            pytrace=False,
        )


def hostile_report(policy: Policy) -> Report:
    """A report whose every text field tries to break out of tables and markup."""
    finding = Finding(
        engine="redis",
        engine_name="Redis",
        version="7.4.0",
        verdict=Verdict.ALLOW,
        rationale=["pipes | inside <script>alert(1)</script> and a \\ backslash"],
        license="LicenseRef-scancode-rsalv2 OR SSPL-1.0",
        effective_license="LicenseRef-scancode-rsalv2 OR SSPL-1.0",
        location=Location("deploy/a|b.yaml", 3, "image: redis:7.4.0"),
        obligations=[
            Effect("SSPL-1.0", "saas", "obligation", "Offer | source", "§13", "https://x", None)
        ],
        notes=["# not a heading\n- not a list"],
        waiver={
            "id": "W-1",
            "status": "active",
            "verdict": "allow",
            "original_verdict": "deny",
            "summary": "W-1: deny -> allow, approved by Legal | Team",
            "reason": "contract <b>signed</b>",
            "approved_by": "Legal | Team",
            "approved_on": "2026-01-01",
            "expires": "2027-01-01",
        },
    )
    errors = [InputError("bad | input <i>", "x.yaml", 2, "fix it")]
    files = {"deploy/a|b.yaml": "ab" * 32}
    return Report(policy, AS_OF, [finding], errors, files)


def test_golden_signoff_markdown(default_policy: Policy) -> None:
    report = check(TARGETS, default_policy, AS_OF)
    assert_matches_golden(FORMAT.render(report), GOLDEN)


def test_discovered_as_markdown_and_helper_module_is_not_a_format() -> None:
    formats = all_formats()
    assert formats["markdown"] is FORMAT
    assert "_signoff" not in formats and "signoff" not in formats


def test_report_orders_summary_first_and_ends_with_sign_off(default_policy: Policy) -> None:
    text = FORMAT.render(check(TARGETS, default_policy, AS_OF))
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["## Overview", "## Summary", "## How to read this report"]
    assert headings[-3:] == ["## Evidence", "## Input errors", "## Sign-off"]
    for decision in ("Approve", "Approve with conditions", "Reject"):
        assert f"- [ ] {decision}\n" in text


def test_license_ids_are_explained_with_their_names(default_policy: Policy) -> None:
    text = FORMAT.render(check(["redis@7.4.0"], default_policy, AS_OF))
    assert "LicenseRef-scancode-rsalv2 (Redis Source Available License 2.0, RSALv2)" in text
    assert "SSPL-1.0 (Server Side Public License, v 1)" in text
    assert "Relies on judgement call J4" in text


def test_busl_conversion_and_grant_are_stated(default_policy: Policy) -> None:
    text = FORMAT.render(check(["dragonfly@v1.25.0"], default_policy, AS_OF))
    assert "converts to Apache-2.0 (Apache License 2.0)" in text
    assert "until 2028-09-01" in text
    assert "Dragonfly Additional Use Grant" in text


def test_hostile_text_cannot_break_tables(default_policy: Policy) -> None:
    text = FORMAT.render(hostile_report(default_policy))
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    assert table_lines and all(line.endswith(" |") for line in table_lines)
    summary_row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert len(UNESCAPED_PIPE.findall(summary_row)) == 5  # four cells
    assert "deploy/a\\|b.yaml:3" in summary_row
    assert "<script>" not in text and "\\<script\\>" in text
    assert "\n# not a heading" not in text
    assert "- \\# not a heading<br>\\- not a list" in text


def test_waiver_obligation_errors_and_files_are_shown(default_policy: Policy) -> None:
    text = FORMAT.render(hostile_report(default_policy))
    assert (
        "- [ ] SSPL-1.0 (Server Side Public License, v 1), use behind our own SaaS: Offer" in text
    )
    assert "- **Approved by:** Legal \\| Team" in text
    assert "- **Expires:** 2027-01-01" in text
    assert "(set by waiver W-1; without it: deny)" in text
    assert "| x.yaml:2 | bad \\| input \\<i\\> | fix it |" in text
    assert f"| deploy/a\\|b.yaml | {'ab' * 32} |" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a|b", "a\\|b"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two<br>lines"),
        ("# title", "\\# title"),
        ("- item", "\\- item"),
        ("1. first", "1\\. first"),
        ("7.2.14", "7.2.14"),
        ("&lt;", "\\&lt;"),
        ("R&D", "R&D"),
        ("*bold* _it_ [link](x) `code`", "\\*bold\\* \\_it\\_ \\[link\\](x) \\`code\\`"),
    ],
)
def test_escape_examples(text: str, expected: str) -> None:
    assert escape(text) == expected


def _unescape(md: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md.replace("<br>", "\n"))


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"])))
def test_escape_round_trips_and_stays_on_one_line(text: str) -> None:
    escaped = escape(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert not UNESCAPED_PIPE.search(escaped)
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    assert _unescape(escaped) == "\n".join(kept)
