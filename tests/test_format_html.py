"""The HTML sign-off report: golden file, escaping, self-containment, and a real browser.

Regenerate the golden file after an intended change with
``POLICYCHECK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_format_html.py``.
The browser tests need Debian's ``chromium`` (``apt-get install -y chromium``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.core import check
from policycheck.formats import all_formats
from policycheck.formats._signoff import Document, Paragraph, Section
from policycheck.formats.html import FORMAT, render_document
from policycheck.policy import Policy, load_policy
from policycheck.report import Report
from tests.conftest import AS_OF
from tests.test_format_markdown import (
    TARGETS,
    assert_matches_golden,
    hostile_report,
    hostile_suggestion_report,
    waiver_policy,
)

GOLDEN = Path(__file__).parent / "golden" / "signoff.html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install -y chromium)"
)


class _Dom(HTMLParser):
    """Visible text (outside <style>/<title>), tags seen, and checkbox count."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.classes: list[str] = []
        self.checkboxes = 0
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.classes += (dict(attrs).get("class") or "").split()
        if tag in ("style", "title", "head"):
            self._hidden += 1
        if tag == "input" and dict(attrs).get("type") == "checkbox":
            self.checkboxes += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "head"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)

    @property
    def visible(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


def parse(markup: str) -> _Dom:
    dom = _Dom()
    dom.feed(markup)
    dom.close()
    return dom


def chromium(tmp_path: Path, html_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
        html_file.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)


def test_golden_signoff_html(tmp_path: Path) -> None:
    report = check(TARGETS, waiver_policy(tmp_path), AS_OF)
    assert_matches_golden(FORMAT.render(report), GOLDEN)


def test_discovered_as_html() -> None:
    assert all_formats()["html"] is FORMAT


def test_same_input_gives_same_bytes(default_policy: Policy) -> None:
    first = FORMAT.render(check(TARGETS, default_policy, AS_OF))
    assert first == FORMAT.render(check(TARGETS, default_policy, AS_OF))
    # ENGINE@VERSION targets are reported in command-line order, the documented order
    reordered = FORMAT.render(check(list(reversed(TARGETS)), default_policy, AS_OF))
    headings = [re.findall(r"<h2>\d+\. ([^<]*)</h2>", page) for page in (first, reordered)]
    assert headings[0] == list(reversed(headings[1])) and len(headings[0]) > 2


def test_page_is_self_contained_without_scripts(default_policy: Policy) -> None:
    page = FORMAT.render(hostile_report(default_policy))
    lowered = page.lower()
    assert "<script" not in lowered
    for external in ("<link", "<img", "<iframe", "src=", "href=", "@import", "url("):
        assert external not in lowered
    assert "@media print" in page
    assert re.search(r"section\.component[^{]*\{[^}]*break-before: page", page)


def test_hostile_text_is_escaped_and_shown_verbatim(default_policy: Policy) -> None:
    page = FORMAT.render(hostile_report(default_policy))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    dom = parse(page)
    assert "script" not in dom.tags and "b" not in dom.tags and "i" not in dom.tags
    assert "pipes | inside <script>alert(1)</script> and a \\ backslash" in dom.visible
    assert "deploy/a|b.yaml:3" in dom.visible
    assert "contract <b>signed</b>" in dom.visible


def test_checklists_and_sign_off_are_checkboxes(default_policy: Policy) -> None:
    dom = parse(FORMAT.render(hostile_report(default_policy)))
    # 1 obligation; confirm use, version, judgement calls J4 and J3, waiver; 3 decisions
    assert dom.checkboxes == 9
    assert dom.classes.count("component") == 1
    assert "verdict-allow" in dom.classes
    for label in ("Name", "Role", "Date", "Signature", "Approve with conditions", "Reject"):
        assert label in dom.visible


def test_suggestions_and_waivers_are_shown(tmp_path: Path) -> None:
    page = FORMAT.render(check(TARGETS, waiver_policy(tmp_path), AS_OF))
    assert '<section id="waivers" class="waivers">\n<h2>Waivers</h2>' in page
    summary = page.split('<section id="summary"')[1].split("</section>")[0]
    assert "<h3>What to do instead</h3>" in summary
    assert (
        "<tr><td>1</td><td>Redis 7.4.0</td><td>review</td><td>Redis 7.2.14 (allow): the "
        "newest Redis release that passes this policy<br>Valkey 8.0.1 (allow): same redis "
        "lineage and protocol, but Redis 7.2 compatible" in summary
    )
    assert (
        "KeyDB 6.3.4 (allow): same redis lineage and protocol, but Redis 6 compatible; "
        "no Redis 7/8 commands" in summary
    )
    visible = parse(page).visible
    assert "Waiver W-REDIS-8 expired on 2026-10-31 (27 days before the report date)" in visible
    assert "<tr><td>W-KEYDB</td><td>unused: it matches no component in this report</td>" in page
    assert "<dt>Approved by</dt><dd>Dana Legal (General Counsel)</dd>" in page


def test_suggestion_text_is_escaped_in_html(default_policy: Policy) -> None:
    page = FORMAT.render(hostile_suggestion_report(default_policy))
    dom = parse(page)
    assert "script" not in dom.tags and "b" not in dom.tags
    assert "evil|<b>x</b> 1|2 (allow): drop-in | <script>alert(1)</script>" in dom.visible
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@given(st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"])))
def test_any_text_round_trips_through_html(text: str) -> None:
    doc = Document("T", "S", (Section("s", "S", (Paragraph(text),)),))
    dom = parse(render_document(doc))
    assert dom.tags.count("p") == 2  # the subtitle and the paragraph, nothing injected
    assert text in "".join(dom.text)


@dataclass(frozen=True)
class Rendered:
    """What one headless Chromium run made of the page: its DOM and its printout."""

    report: Report
    dom: _Dom
    pdf: bytes


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The golden report plus the hostile finding, loaded and printed by one Chromium run."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    policy = load_policy("default")
    report = check(TARGETS, policy, AS_OF)
    hostile = hostile_report(policy)
    combined = Report(
        policy,
        AS_OF,
        report.findings + hostile.findings,
        report.errors + hostile.errors,
        hostile.files,
    )
    tmp_path = tmp_path_factory.mktemp("browser")
    page = tmp_path / "signoff.html"
    page.write_text(FORMAT.render(combined), encoding="utf-8")
    pdf = tmp_path / "signoff.pdf"
    run = chromium(tmp_path, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", "--dump-dom")
    return Rendered(combined, parse(run.stdout), pdf.read_bytes())


@needs_chromium
def test_browser_shows_the_report_text(rendered: Rendered) -> None:
    visible = rendered.dom.visible
    assert "License sign-off: in-memory data stores" in visible
    assert "LicenseRef-scancode-rsalv2 (Redis Source Available License 2.0, RSALv2)" in visible
    assert "converts to Apache-2.0 (Apache License 2.0)" in visible
    assert "Policy SHA-256" in visible and rendered.report.policy.sha256 in visible
    assert "'not-a-target' is neither a file" in visible
    assert rendered.dom.classes.count("component") == len(rendered.report.findings)
    assert "script" not in rendered.dom.tags
    assert "<script>alert(1)</script>" in visible


@needs_chromium
def test_print_starts_each_component_on_its_own_page(rendered: Rendered) -> None:
    counts = [int(n) for n in re.findall(rb"/Count (\d+)", rendered.pdf)]
    # overview and glossary, one page or more per component, the sign-off page
    assert counts and max(counts) >= len(rendered.report.findings) + 2
