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
from policycheck.notice import catalog_identity
from policycheck.policy import Policy, Verdict, load_policy, resolve_policy_path
from policycheck.report import Report
from tests.conftest import AS_OF

GOLDEN = Path(__file__).parent / "golden" / "signoff.md"
CATALOG = "catalog (version), SHA-256 (sha256 of the bundled data)"
TARGETS = (
    "redis@7.4.0",
    "valkey@8.0.1",
    "dragonfly@v1.25.0",
    "redis@8.2.1",
    "redis@7.2",
    "foo@1",
    "not-a-target",
)
UNESCAPED_PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")

#: One waiver in each state of the ledger on AS_OF (2026-11-27) for TARGETS: W-REDIS-72
#: applies to redis@7.2, W-DRAGONFLY applies but expires within 30 days, W-REDIS-8
#: matches redis@8.2.1 but has expired, W-KEYDB matches nothing.
WAIVERS_YAML = """
waivers:
  - id: W-REDIS-72
    engine: redis
    versions: "<7.4"
    verdict: allow
    reason: Redis 7.2 is BSD-3-Clause; the release pipeline pins the floating tag.
    approved_by: Dana Legal (General Counsel)
    approved_on: "2026-06-01"
    expires: "2027-05-31"
  - id: W-DRAGONFLY
    engine: dragonfly
    verdict: allow
    reason: Used only as an internal cache, within the Dragonfly Additional Use Grant.
    approved_by: Sam Counsel
    approved_on: "2026-03-01"
    expires: "2026-12-10"
  - id: W-REDIS-8
    engine: redis
    versions: ">=8.0.0"
    verdict: allow
    reason: Trial of Redis 8 under the AGPL election, approved for one quarter.
    approved_by: Dana Legal (General Counsel)
    approved_on: "2026-07-01"
    expires: "2026-10-31"
  - id: W-KEYDB
    engine: keydb
    verdict: allow
    reason: KeyDB evaluation.
    approved_by: Sam Counsel
    approved_on: "2026-05-01"
    expires: "2027-06-30"
"""


def waiver_policy(tmp_path: Path) -> Policy:
    """The bundled default policy, renamed, plus WAIVERS_YAML.

    Built from the bundled file rather than copied into a fixture, so the golden report
    keeps judging by the real default rules.
    """
    text = resolve_policy_path("default").read_text(encoding="utf-8")
    assert text.count("\nname: default\n") == 1
    text = text.replace("\nname: default\n", "\nname: default-with-waivers\n")
    path = tmp_path / "default-with-waivers.yaml"
    path.write_text(text.rstrip("\n") + "\n" + WAIVERS_YAML, encoding="utf-8")
    return load_policy(str(path))


def section(text: str, title: str) -> str:
    """One ``## title`` section of a Markdown report, up to the next one (or its rule)."""
    start = text.index(f"\n## {title}\n")
    ends = [i for i in (text.find("\n## ", start + 1), text.find("\n---\n", start)) if i != -1]
    return text[start : min(ends, default=len(text))]


def assert_matches_golden(actual: str, golden: Path) -> None:
    """Compare with the golden file, or rewrite it when POLICYCHECK_UPDATE_GOLDEN=1.

    The catalog's version and hash change with every fact; the golden file holds a
    placeholder for them, so it changes only when the report's wording does.
    """
    ident = catalog_identity()
    actual = actual.replace(f"catalog {ident['version']}, SHA-256 {ident['sha256']}", CATALOG)
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
    report = Report(policy, AS_OF, [finding], errors, files)
    report.waivers = [
        {
            "id": "W-1",
            "status": "active",
            "expires": "2027-01-01",
            "approved_by": "Legal | Team",
            "matched": 1,
        },
        {
            "id": "W-<2>",
            "status": "unused",
            "expires": "2026-01-01",
            "approved_by": "# Ops",
            "matched": 0,
        },
    ]
    return report


def hostile_suggestion_report(policy: Policy) -> Report:
    """A denied component whose suggestion text tries to break out of tables and markup."""
    finding = Finding(
        engine="redis",
        engine_name="Redis",
        version="7.4.0",
        verdict=Verdict.DENY,
        rationale=[],
        license="SSPL-1.0",
        effective_license="SSPL-1.0",
        suggestions=[
            {
                "engine": "evil|<b>x</b>",
                "version": "1|2",
                "verdict": "allow",
                "license": "MIT",
                "reason": "drop-in | <script>alert(1)</script>",
            }
        ],
    )
    return Report(policy, AS_OF, [finding])


def test_golden_signoff_markdown(tmp_path: Path) -> None:
    report = check(TARGETS, waiver_policy(tmp_path), AS_OF)
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


# -- what to do instead ------------------------------------------------------------------


def test_summary_says_what_to_do_instead_of_a_denied_component() -> None:
    report = check(["redis@7.4.0", "valkey@8.0.1"], load_policy("managed-service-provider"), AS_OF)
    redis = next(f for f in report.findings if f.engine == "redis")
    assert redis.verdict == Verdict.DENY and len(redis.suggestions) >= 3
    summary = section(FORMAT.render(report), "Summary")
    assert "\n### What to do instead\n" in summary
    expected = "<br>".join(
        escape(f"{name} {s['version']} (allow): {s['reason']}")
        for name, s in zip(
            ["Redis", "Valkey", "KeyDB", "Garnet", "Apache Kvrocks"], redis.suggestions, strict=True
        )
    )
    assert f"| 1 | Redis 7.4.0 | deny | {expected} |" in summary
    assert "Redis 7.2.14 (allow): the newest Redis release that passes this policy<br>" in summary
    assert (
        "Valkey 8.0.1 (allow): same redis lineage and protocol, but Redis 7.2 compatible" in summary
    )
    assert (
        "KeyDB 6.3.4 (allow): same redis lineage and protocol, but Redis 6 compatible; no Redis 7/8 commands"
        in summary
    )
    assert "drop-in" not in summary
    assert "| 2 | Valkey 8.0.1 |" not in summary.split("### What to do instead")[1]


def test_component_section_tables_every_suggestion_with_license_and_verdict() -> None:
    report = check(["redis@7.4.0"], load_policy("managed-service-provider"), AS_OF)
    component = section(FORMAT.render(report), "1\\. Redis 7.4.0")
    instead = component.split("### What to do instead\n")[1].split("\n### ")[0]
    rows = [line for line in instead.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0] == "| Engine | Version | License | Verdict under this policy | Why it fits |"
    assert len(rows) - 1 == len(report.findings[0].suggestions) == 5
    assert rows[1] == (
        '| Redis (the same engine) | 7.2.14 | BSD-3-Clause (BSD 3-Clause "New" or "Revised" '
        "License) | allow: passes this policy | The newest Redis release that passes this "
        "policy |"
    )
    assert rows[2].startswith(
        '| Valkey | 8.0.1 | BSD-3-Clause (BSD 3-Clause "New" or "Revised" License) | allow: '
        "passes this policy | Same redis lineage and protocol, but Redis 7.2 compatible"
    )
    assert rows[3].startswith("| KeyDB | 6.3.4 |") and "no Redis 7/8 commands" in rows[3]
    # the suggestion's license is explained in the glossary like every other one
    assert "- MIT (MIT License): permissive open source" in FORMAT.render(report)


def test_suggestions_come_before_the_license_analysis() -> None:
    report = check(["redis@7.4.0"], load_policy("managed-service-provider"), AS_OF)
    component = section(FORMAT.render(report), "1\\. Redis 7.4.0")
    headings = [line for line in component.splitlines() if line.startswith("### ")]
    assert headings[0] == "### What to do instead"


def test_unpinned_release_is_told_that_pinning_is_enough(default_policy: Policy) -> None:
    text = FORMAT.render(check(["redis@7.2"], default_policy, AS_OF))
    assert (
        "Redis 7.2.14 (allow): the newest Redis release that passes this policy; it is the "
        "release found, so pinning this exact version is enough" in section(text, "Summary")
    )


def test_pinned_release_is_not_told_to_pin(default_policy: Policy) -> None:
    text = FORMAT.render(check(["redis@7.4.0"], default_policy, AS_OF))
    assert "pinning this exact version" not in text


def test_unknown_engine_says_no_alternative_could_be_checked(default_policy: Policy) -> None:
    text = FORMAT.render(check(["foo@1"], default_policy, AS_OF))
    none = "None: the engine is not in policycheck's catalog, so no alternative could be checked."
    assert f"| 1 | foo 1 | review | {none} |" in section(text, "Summary")
    assert f"### What to do instead\n\n{none}\n" in section(text, "1\\. foo 1")


def test_allowed_components_get_no_alternatives(default_policy: Policy) -> None:
    text = FORMAT.render(check(["valkey@8.0.1"], default_policy, AS_OF))
    assert "Every component passes the policy; nothing needs replacing." in section(text, "Summary")
    assert "### What to do instead" not in section(text, "1\\. Valkey 8.0.1")


def test_suggestion_text_is_escaped(default_policy: Policy) -> None:
    text = FORMAT.render(hostile_suggestion_report(default_policy))
    assert "<script>" not in text and "<b>" not in text
    cell = "evil\\|\\<b\\>x\\</b\\> 1\\|2 (allow): drop-in \\| \\<script\\>alert(1)\\</script\\>"
    assert f"| 1 | Redis 7.4.0 | deny | {cell} |" in text
    for line in text.splitlines():
        if line.startswith("| evil"):
            assert len(UNESCAPED_PIPE.findall(line)) == 6  # five cells


# -- waivers -----------------------------------------------------------------------------


def test_applied_waiver_says_who_when_why_and_until_when(tmp_path: Path) -> None:
    text = FORMAT.render(check(TARGETS, waiver_policy(tmp_path), AS_OF))
    component = section(text, "5\\. Redis 7.2.14 (requested as 7.2)")
    assert "- **Verdict:** allow: " in component
    assert "(set by waiver W-REDIS-72; without it: review)" in component
    assert (
        "### Waiver applied\n\nWaiver W-REDIS-72 changes the verdict from review to allow. It "
        "was approved by Dana Legal (General Counsel) on 2026-06-01, because: Redis 7.2 is "
        "BSD-3-Clause; the release pipeline pins the floating tag. It applies until "
        "2027-05-31 (185 days after the report date).\n" in component
    )
    assert "- **Status:** active: in force\n" in component
    assert "- **Verdict without it:** review\n" in component
    # allowed by the waiver, so there is nothing to replace
    assert "### What to do instead" not in component


def test_expiring_waiver_warns_in_the_summary_and_the_component(tmp_path: Path) -> None:
    text = FORMAT.render(check(TARGETS, waiver_policy(tmp_path), AS_OF))
    cell = "(set by waiver W-DRAGONFLY; without it: review; the waiver expires soon, on 2026-12-10)"
    assert cell in section(text, "Summary")
    component = section(text, "3\\. Dragonfly 1.25.0")
    assert "It applies until 2026-12-10 (13 days after the report date)." in component
    assert "renew it before then, or the verdict returns to review." in component
    assert "- **Status:** expiring: in force, but expires within the warning period\n" in component


def test_expired_waiver_is_shown_as_no_longer_applying(tmp_path: Path) -> None:
    text = FORMAT.render(check(TARGETS, waiver_policy(tmp_path), AS_OF))
    row = next(line for line in section(text, "Summary").splitlines() if "| 4 |" in line)
    assert row.endswith(
        "| review: the policy cannot decide alone; a lawyer must decide and sign (waiver "
        "W-REDIS-8 expired on 2026-10-31 and no longer applies) |"
    )
    component = section(text, "4\\. Redis 8.2.1")
    assert "set by waiver W-REDIS-8" not in component
    assert (
        "### Waiver (expired: no longer applies)\n\nWaiver W-REDIS-8 expired on 2026-10-31 "
        "(27 days before the report date) and no longer applies, so the verdict above is the "
        "policy's own. It had been approved by Dana Legal (General Counsel) on 2026-07-01, "
        "because: Trial of Redis 8 under the AGPL election, approved for one quarter." in component
    )
    assert "- **Expired on:** 2026-10-31\n" in component
    assert "- [ ] Expired waiver W-REDIS-8 is renewed with a new approval or removed" in component
    assert "Waiver W-REDIS-8 would have set the verdict, but it has expired" in component
    # still review, so the way out is offered
    assert "### What to do instead" in component


def test_waivers_section_lists_the_ledger_and_flags_stale_decisions(tmp_path: Path) -> None:
    report = check(TARGETS, waiver_policy(tmp_path), AS_OF)
    text = FORMAT.render(report)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[2:5] == [
        "## How to read this report",
        "## Waivers",
        "## 1\\. Redis 7.4.0",
    ]
    assert "- **Waivers:** 4 in the policy (1 active, 1 expiring, 1 expired, 1 unused)" in text
    waivers = section(text, "Waivers")
    rows = {
        line.split(" | ")[0][2:]: line for line in waivers.splitlines() if line.startswith("| W-")
    }
    assert list(rows) == [w["id"] for w in report.waivers]
    assert rows["W-REDIS-72"] == (
        "| W-REDIS-72 | active: in force | Redis, versions \\<7.4; sets the verdict to allow | "
        "by Dana Legal (General Counsel) on 2026-06-01 | 2027-05-31 (185 days after the report "
        "date) | 5\\. Redis 7.2.14 (requested as 7.2) | Redis 7.2 is BSD-3-Clause; the release "
        "pipeline pins the floating tag. |"
    )
    assert "| expired: it no longer applies |" in rows["W-REDIS-8"]
    assert "| 4\\. Redis 8.2.1 |" in rows["W-REDIS-8"]
    assert "| unused: it matches no component in this report | KeyDB;" in rows["W-KEYDB"]
    assert "| none | KeyDB evaluation. |" in rows["W-KEYDB"]
    attention = waivers.split("### Waivers that need a decision\n")[1]
    assert [line.split(" ")[1] for line in attention.strip().splitlines()] == [
        "W-DRAGONFLY",
        "W-REDIS-8",
        "W-KEYDB",
    ]
    assert "- W-REDIS-8 expired on 2026-10-31 (27 days before the report date)" in attention
    # the ledger moved out of the evidence section
    assert "Waivers in the policy" not in section(text, "Evidence")


def test_warning_period_decides_what_counts_as_expiring(tmp_path: Path) -> None:
    report = check(TARGETS, waiver_policy(tmp_path), AS_OF, warn_expiring=5)
    waivers = section(FORMAT.render(report), "Waivers")
    assert "| W-DRAGONFLY | active: in force |" in waivers
    assert "- W-DRAGONFLY" not in waivers


def test_unused_and_expired_waiver_says_both(default_policy: Policy) -> None:
    report = hostile_report(default_policy)
    waivers = section(FORMAT.render(report), "Waivers")
    assert (
        "| W-\\<2\\> | unused: it matches no component in this report; it has also expired |"
        in waivers
    )
    assert "| by # Ops | 2026-01-01 (330 days before the report date) | none |" in waivers
    assert "| W-1 | active: in force |" in waivers and "| by Legal \\| Team |" in waivers
    assert "| 1\\. Redis 7.4.0 |" in waivers


def test_policy_without_waivers_says_every_verdict_is_its_own(default_policy: Policy) -> None:
    text = FORMAT.render(check(["redis@7.4.0"], default_policy, AS_OF))
    assert (
        "## Waivers\n\nThe policy records no waivers: every verdict in this report is the "
        "policy's own.\n" in text
    )
    assert "- **Waivers:** none recorded in the policy\n" in text


def test_rule_that_decided_is_the_one_the_waiver_overrode(tmp_path: Path) -> None:
    text = FORMAT.render(check(TARGETS, waiver_policy(tmp_path), AS_OF))
    component = section(text, "5\\. Redis 7.2.14 (requested as 7.2)")
    rules = component.split("### Policy rule that decided\n\n")[1].split("\n\n")[0].splitlines()
    assert rules[0].startswith("- review-unpinned (review): ")
    assert rules[1].startswith("- Also matched: allow-permissive (allow): ")
    assert rules[2] == "- The verdict was then set by waiver W-REDIS-72 (below)."
