"""Every command ends in an exit code and a message, whatever its arguments.

Hypothesis draws argument lists from hostile pieces (names over the file-name limit,
control characters, empty strings, missing and unreadable paths, malformed dates and
versions, malformed policies) for each command and asserts that ``main`` returns 0, 1
or 2 and never lets an exception out: the one error handler sees every error path.
Set POLICYCHECK_FUZZ=long for a longer local run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck.cli import main

LONG = os.environ.get("POLICYCHECK_FUZZ") == "long"
EXAMPLES = 400 if LONG else 40

PIECES = [
    "",
    " ",
    "redis@7.4.0",
    "redis@",
    "@7.4.0",
    "rediss@7.4.0",
    "redis@7.4.0-" + "x" * 300,
    "x" * 300,
    "nul\x00byte",
    "new\nline",
    "\x1b[31m",
    "missing/file.yaml",
    "deploy",
    "deploy/compose.yaml",
    "bad.yaml",
    "policy.yaml",
    "bad-policy.yaml",
    "deep-policy.yaml",
    "--as-of",
    "2026-13-01",
    "2026-02-30",
    "0000-00-00",
    "--format",
    "json",
    "sarif",
    "nope",
    "--policy",
    "--use",
    "managed-service",
    "--fail-on",
    "review",
    "--output",
    "out/report.json",
    "missing-dir/report.json",
    "--jobs",
    "0",
    "-1",
    "--kind",
    "matrix",
    "--matrix",
    "HEAD",
    "HEAD~1",
    "--repo",
    "--max-file-size",
    "--exclude",
    "*",
]
COMMANDS = ["check", "diff", "adr", "validate", "licenses", "engines"]


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "compose.yaml").write_text("services:\n  c:\n    image: redis:7.4.0\n")
    (tmp_path / "bad.yaml").write_text("services: [\n")
    (tmp_path / "policy.yaml").write_text(
        "schema_version: 1\nname: p\nuses: [internal]\nrules: []\n"
    )
    (tmp_path / "bad-policy.yaml").write_text("schema_version: 1\napproved_on: 2024-02-30\n: :\n")
    (tmp_path / "deep-policy.yaml").write_text("a: " + "[" * 600 + "]" * 600 + "\n")
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=st.sampled_from(COMMANDS), args=st.lists(st.sampled_from(PIECES), max_size=6))
def test_any_arguments_end_in_an_exit_code(
    workdir: Path, capsys: pytest.CaptureFixture[str], command: str, args: list[str]
) -> None:
    code = main([command, *args])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (command, args)
    assert "Traceback" not in err and "Traceback" not in out
    if code == 2:
        assert err.strip(), f"exit 2 without a message: {[command, *args]}"
