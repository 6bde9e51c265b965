"""The default text: one glance per finding, the deciding reason, --explain, colour, width,
order, and what a terminal changes (isatty injected, and once through a real pty)."""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from policycheck import terminal
from policycheck.cli import main
from policycheck.formats.text import SHORT_DISCLAIMER, TextFormat, deciding_reason
from policycheck.model import Finding, Location
from policycheck.notice import DISCLAIMER
from policycheck.policy import Policy, Verdict
from policycheck.report import Report

ROOT = Path(__file__).resolve().parents[1]
AS_OF = ["--as-of", "2026-11-27"]
FIVE = ["redis@7.2.4", "redis@7.4.0", "redis@8.2.1", "valkey@8.1.1", "dragonfly@v1.25.0"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def blocks(out: str) -> list[list[str]]:
    """The finding blocks of a text report: runs of lines after the header, up to the summary."""
    body = out.split("\n\n")[1:-1]
    return [b.splitlines() for b in body if re.match(r"^(ALLOW|REVIEW|DENY) ", b)]


@pytest.fixture
def on_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard output and error are a terminal 80 columns wide, colour not refused."""
    monkeypatch.setattr(terminal, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(terminal, "stderr_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_five_engines_fit_one_screen_at_four_lines_each(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", *FIVE, *AS_OF], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) <= 40
    assert lines[0] == "policy default | uses: internal, saas | as of 2026-11-27"
    found = blocks(out)
    assert len(found) == 5 and all(1 < len(b) <= 4 for b in found)
    assert lines[-2].startswith("5 finding(s): 1 allow, 4 review, 0 deny")
    assert lines[-1] == SHORT_DISCLAIMER
    redis74 = next(b for b in found if b[0].startswith("REVIEW  redis@7.4.0"))
    assert redis74[1].startswith(
        "        license LicenseRef-scancode-rsalv2 OR SSPL-1.0 (elected LicenseRef-scancode-rsalv2)"
        "; confirm: 2 statement(s), see --explain"
    )
    assert redis74[2].startswith("        why: rule review-not-osi: ")
    assert redis74[3].startswith("        instead: redis@7.2.14 (allow, BSD-3-Clause)")
    allowed = next(b for b in found if b[0].startswith("ALLOW   redis@7.2.4"))
    assert not any("instead:" in line for line in allowed)  # alternatives only when not allowed


def test_explain_prints_the_whole_reasoning(capsys: pytest.CaptureFixture[str]) -> None:
    _, short, _ = run(["check", "redis@7.4.0", *AS_OF], capsys)
    for flag in ("--explain", "-v"):
        _, out, _ = run(["check", "redis@7.4.0", *AS_OF, flag], capsys)
        assert "decided by: rule review-not-osi" in out
        assert "Judgement call J4" in out.replace("\n          ", " ")
        assert "SSPL-1.0 not elected" in out
        assert "instead: valkey@8.0.1" in out and "instead: kvrocks@" in out
        assert out.replace("\n", " ").count("Not legal advice.") == 1
        assert len(out.splitlines()) > 3 * len(short.splitlines())
        assert " ".join(out.split()).endswith(" ".join(DISCLAIMER.split()))


def _finding(**kw: object) -> Finding:
    base: dict[str, object] = {"engine": "redis", "version": "7.4.0", "verdict": Verdict.REVIEW}
    base.update(kw)
    base.setdefault("rationale", [])
    return Finding(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("finding", "reason"),
    [
        (  # the rule whose verdict is the finding's, not the first rule fired
            _finding(
                verdict=Verdict.DENY,
                rules=["deny-x", "review-y"],
                rationale=["licensed X.", "Rule review-y (review): y.", "Rule deny-x (deny): x."],
            ),
            "rule deny-x: x.",
        ),
        (  # no rule matched: the policy default decided
            _finding(
                rationale=[
                    "licensed X.",
                    "No rule of policy p matched; its default applies (review): nobody said.",
                ]
            ),
            "No rule of policy p matched; its default applies (review): nobody said.",
        ),
        (  # an allow rule, then fail closed raised it
            _finding(
                rules=["allow-p"],
                rationale=[
                    "Rule allow-p (allow): fine.",
                    "Raised to review: the license of an unverified release is an assumption.",
                ],
            ),
            "Raised to review: the license of an unverified release is an assumption.",
        ),
        (  # nothing known: the fail-closed sentence
            _finding(
                version=None,
                rationale=["The version could not be determined: x.", "pin it (fail closed)."],
            ),
            "pin it (fail closed).",
        ),
        (  # a waiver in force set the verdict
            _finding(
                verdict=Verdict.ALLOW,
                rules=["review-not-osi"],
                waiver={"id": "W-1", "status": "active"},
                rationale=["Rule review-not-osi (review): r.", "Waiver W-1 applies: verdict ..."],
            ),
            "Waiver W-1 applies: verdict ...",
        ),
    ],
)
def test_the_deciding_reason_is_derived_from_the_finding(finding: Finding, reason: str) -> None:
    assert deciding_reason(finding) == reason


def _report(findings: list[Finding]) -> Report:
    policy = Policy(
        name="p",
        description="",
        uses=(),
        rules=(),
        default_verdict=Verdict.REVIEW,
        default_rationale="",
        sha256="0" * 64,
        source="p.yaml",
    )
    return Report(policy, dt.date(2026, 11, 27), findings)


def test_statements_to_confirm_are_counted_then_listed() -> None:
    f = _finding(
        license="SSPL-1.0",
        rules=["r"],
        rationale=["Rule r (review): because."],
        confirm=["RSALv2 lets you run it behind a SaaS product.", "No pass-through commands."],
    )
    short = TextFormat().render(_report([f]))
    assert "license SSPL-1.0; confirm: 2 statement(s), see --explain" in short
    assert len(blocks(short)[0]) <= 4
    unknown = _finding(engine="rediss", rationale=["unknown (fail closed)."], confirm=["x"])
    assert "why: unknown (fail closed). (confirm: 1 statement(s), see --explain)" in (
        TextFormat().render(_report([unknown]))
    )
    full = TextFormat(explain=True).render(_report([f]))
    assert "legal to confirm:\n" in full
    assert "  [ ] RSALv2 lets you run it behind a SaaS product.\n" in full
    assert "  [ ] No pass-through commands.\n" in full


def test_engine_targets_keep_command_line_order_files_come_by_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "b.yaml").write_text("services:\n  c:\n    image: valkey/valkey:8.1.1\n")
    (tmp_path / "a.yaml").write_text(
        "services:\n  a:\n    image: redis:7.4.0\n  b:\n    image: redis:7.2.4\n"
    )
    args = ["check", "valkey@8.1.1", str(tmp_path), "redis@7.2.4", "dragonfly@1.25.0"]
    _, out, _ = run([*args, *AS_OF, "--format", "json"], capsys)
    doc = json.loads(out)
    order = [(f["engine"], f["location"] and f["location"]["line"]) for f in doc["findings"]]
    assert order == [
        ("valkey", None),
        ("redis", None),
        ("dragonfly", None),
        ("redis", 3),
        ("redis", 5),
        ("valkey", 3),
    ]
    paths = [f["location"]["path"] for f in doc["findings"] if f["location"]]
    assert paths == sorted(paths)
    assert run([*args, *AS_OF, "--format", "json"], capsys)[1] == out  # same bytes


def test_no_colour_and_no_wrapping_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["check", *FIVE, *AS_OF], capsys)
    assert not ANSI.search(out)
    assert max(len(line) for line in out.splitlines()) > 100  # one logical line each
    _, forced, _ = run(["check", *FIVE, *AS_OF, "--color", "always"], capsys)
    assert "\x1b[1;33mREVIEW " in forced and "\x1b[1;32mALLOW  " in forced
    assert ANSI.sub("", forced) == out


def test_colour_and_width_on_a_terminal(
    on_terminal: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out, _ = run(["check", *FIVE, *AS_OF], capsys)
    assert "\x1b[1;33mREVIEW " in out
    plain = ANSI.sub("", out).splitlines()
    long_words = [w for w in ANSI.sub("", out).split() if len(w) > 80 - 8]
    assert all(len(line) <= 80 for line in plain if not any(w in line for w in long_words))
    _, never, _ = run(["check", *FIVE, *AS_OF, "--color", "never"], capsys)
    assert not ANSI.search(never)
    monkeypatch.setenv("NO_COLOR", "1")
    _, no_color, _ = run(["check", *FIVE, *AS_OF], capsys)
    assert not ANSI.search(no_color)
    assert run(["check", *FIVE, *AS_OF, "--color", "always"], capsys)[1] != no_color


def test_wrapping_never_splits_an_identifier_or_url(
    on_terminal: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    _, out, _ = run(["check", "redis@7.4.0", "dragonfly@1.25.0", *AS_OF, "--explain"], capsys)
    words = set(ANSI.sub("", out).split())
    for needle in (
        "https://github.com/redis/redis/blob/7.4.0/LICENSE.txt]",
        "LicenseRef-scancode-rsalv2",
        "https://github.com/dragonflydb/dragonfly/blob/v1.25.0/LICENSE.md]",
    ):
        assert any(needle in w for w in words), needle
    assert "field-of-use" in words or "field-of-use." in words


def test_a_colourless_file_even_when_run_on_a_terminal(
    on_terminal: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.txt"
    run(["check", *FIVE, *AS_OF, "-o", str(target), "--color", "always"], capsys)
    assert not ANSI.search(target.read_text())


def _broken(tmp_path: Path) -> Path:
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: [redis\n")
    return tmp_path


def test_an_input_error_shows_once_on_a_terminal(
    on_terminal: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["check", str(_broken(tmp_path)), *AS_OF], capsys)
    assert code == 2
    assert "ERROR" in out and "compose.yaml" in out
    assert "compose.yaml" not in err


def test_an_input_error_reaches_stderr_in_a_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["check", str(_broken(tmp_path)), *AS_OF], capsys)
    assert code == 2 and "ERROR" in out
    assert err.startswith("error: ") and "compose.yaml" in err


def test_through_a_real_pseudo_terminal() -> None:
    """No injection: a pty is a terminal, so verdicts are coloured and lines fit its width."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"COLUMNS": "72"}
    proc = subprocess.run(
        [sys.executable, "-m", "policycheck", "check", *FIVE, *AS_OF],
        cwd=ROOT,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
        timeout=120,
        check=False,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    out = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    assert proc.returncode == 0
    assert "\x1b[1;33mREVIEW" in out
    assert all(len(line) <= 72 for line in ANSI.sub("", out).splitlines())


def test_location_is_shown_where_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _finding(location=Location("deploy/app.yaml", 12), rationale=["x (fail closed)."])
    assert "REVIEW  redis@7.4.0  at deploy/app.yaml:12" in TextFormat().render(_report([f]))


def _tree(tmp_path: Path) -> Path:
    for i in range(3):
        folder = tmp_path / f"svc{i}"
        folder.mkdir()
        (folder / "compose.yaml").write_text(f"services:\n  a:\n    image: redis:7.2.{i + 4}\n")
    return tmp_path


def test_progress_on_a_terminal_stderr_only(
    on_terminal: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(terminal.Progress, "delay", 0.0)
    monkeypatch.setattr(terminal.Progress, "interval", 0.0)
    code, out, err = run(["check", str(_tree(tmp_path)), *AS_OF, "-j", "1"], capsys)
    assert code == 0 and "policycheck: parsed" not in out
    assert "\r\x1b[Kpolicycheck: parsed 3 file(s), now in " in err
    assert err.endswith("\r\x1b[K")  # erased before the report is read


def test_no_progress_when_stderr_is_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terminal.Progress, "delay", 0.0)
    monkeypatch.setattr(terminal, "stdout_is_terminal", lambda: True)
    code, _, err = run(["check", str(_tree(tmp_path)), *AS_OF], capsys)
    assert code == 0 and err == ""
