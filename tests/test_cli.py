"""The CLI through click's runner, and once through the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policycheck.cli import main
from policycheck.data import validator


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_text_verdict_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "redis@7.4.0", "--as-of", "2026-11-27"], capsys)
    assert code == 0  # review is below the default --fail-on deny
    assert out.splitlines()[2].startswith("REVIEW  redis@7.4.0")
    assert "(elected LicenseRef-scancode-rsalv2)" in out


def test_fail_on_review_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(["check", "redis@7.4.0", "--fail-on", "review"], capsys)
    assert code == 1


def test_deny_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "redis@7.4.0", "--policy", "managed-service-provider"], capsys)
    assert code == 1 and "DENY" in out


def test_use_option_replaces_policy_uses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["check", "redis@7.4.0", "--use", "managed-service", "--format", "json"], capsys
    )
    data = json.loads(out)
    assert data["uses"] == ["managed-service"]
    assert data["findings"][0]["verdict"] == "deny" and code == 1


def test_json_is_valid_and_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "check",
        "dragonfly@v1.25.0",
        "redis@8.2.1",
        "valkey@8",
        "nope@1",
        "--format",
        "json",
        "--as-of",
        "2026-11-27",
    ]
    _, first, _ = run(args, capsys)
    _, second, _ = run(args, capsys)
    assert first == second
    data = json.loads(first)
    assert not list(validator("report").iter_errors(data))
    assert data["summary"] == {"allow": 0, "review": 4, "deny": 0}
    dragonfly = next(f for f in data["findings"] if f["engine"] == "dragonfly")
    assert dragonfly["converts"] == {"date": "2028-09-01", "to": "Apache-2.0"}
    # ENGINE@VERSION targets keep their command-line order
    assert [f["engine"] for f in data["findings"]] == ["dragonfly", "redis", "valkey", "nope"]


@pytest.mark.parametrize("fmt", ["json", "sarif", "cyclonedx-json", "markdown", "text"])
def test_a_report_file_holds_the_bytes_stdout_gets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """A file is written from bytes (JSON as orjson made them), stdout from text: the
    same report either way, non-ASCII text included."""
    args = ["check", "dragonfly@v1.25.0", "redis@8.2.1", "--as-of", "2026-11-27"]
    args += ["--format", fmt, "--color", "never"] if fmt == "text" else ["--format", fmt]
    _, out, _ = run(args, capsys)
    target = tmp_path / "report.out"
    run([*args, "-o", str(target)], capsys)
    written = target.read_bytes()
    assert written == out.encode("utf-8")
    if fmt == "json":
        assert not written.isascii()  # the rationale's dashes and section signs


def test_output_file_written_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.json"
    code, out, _ = run(
        ["check", "valkey@8.0.1", "--format", "json", "--output", str(target)], capsys
    )
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["findings"][0]["verdict"] == "allow"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["check", "redis"], "neither a file, a directory nor ENGINE@VERSION"),
        (["check", "redis@7.4.0", "--policy", "nope"], "unknown policy 'nope'"),
        (["check", "redis@7.4.0", "--as-of", "2026-13-01"], "2026-13-01: month 13 does not exist"),
        (["check", "redis@7.4.0", "--as-of", "2026-02-30"], "February 2026 has 28 days, not 30"),
        (["check", "redis@7.4.0", "--as-of", "20260201"], "is not a date; write YYYY-MM-DD"),
        (["check", "redis@7.4.0", "--format", "pdf"], "Invalid value for '--format'"),
        (["licenses", "WTFPL-9"], "unknown license"),
        (["engines", "redict"], "unknown engine"),
        (
            ["check", "redis@7.4.0", "-o", "/nonexistent-dir/x.json"],
            "output directory does not exist",
        ),
    ],
)
def test_usage_and_input_errors_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(args, capsys)
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err


def test_validate_reports_every_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "schema_version: 1\nname: x\nuses: [internal]\nrules:\n  - id: a\n    when: {license: NOPE}\n    verdict: deny\n    rationale: r\n  - id: a\n    when: {engine: nope}\n    verdict: deny\n    rationale: r\n"
    )
    code, _, err = run(["validate", str(bad), "default"], capsys)
    assert code == 2
    assert f"{bad}:6: unknown license id 'NOPE'" in err
    assert f"{bad}:9: duplicate rule id 'a'" in err
    assert f"{bad}:10: unknown engine 'nope'" in err


def test_validate_bundled_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate", "default", "osi-only"], capsys)
    assert code == 0 and "default: ok" in out


def test_licenses_and_engines_listings(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["licenses", "RSALv2"], capsys)
    assert out.startswith("LicenseRef-scancode-rsalv2: Redis Source Available License 2.0")
    assert "managed-service" in out and "restriction" in out
    _, out, _ = run(["engines", "dragonfly"], capsys)
    assert "Change Date 2030-11-01" in out and "single-vendor" in out
    _, out, _ = run(["engines"], capsys)
    assert "valkey" in out and "foundation" in out


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.startswith("policycheck, version ")


def test_installed_console_script_runs_from_another_directory(tmp_path: Path) -> None:
    exe = shutil.which("policycheck") or str(Path(sys.executable).parent / "policycheck")
    proc = subprocess.run(
        [
            exe,
            "check",
            "redis@7.2.4",
            "redis@7.4.0",
            "--policy",
            "managed-service-provider",
            "--format",
            "json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    verdicts = [f["verdict"] for f in json.loads(proc.stdout)["findings"]]
    assert verdicts == ["allow", "deny"]


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "policycheck", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "policycheck" in proc.stdout


def test_the_entry_point_flushes_everything_before_it_ends(tmp_path: Path) -> None:
    """``run`` ends the process without the interpreter's teardown: what it printed,
    here more than a pipe holds, must all have reached the reader first."""
    proc = subprocess.run(
        [sys.executable, "-m", "policycheck", "engines", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout) > 1 << 16
    assert {e["id"] for e in json.loads(proc.stdout)["engines"]} >= {"redis", "valkey"}


def test_adr_command_reproduces_the_seed_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    matrix = str(Path(__file__).resolve().parents[1] / "policies" / "adr" / "in-memory-stores.yaml")
    code, out, _ = run(
        [
            "adr",
            "valkey@latest",
            "redis@latest",
            "dragonfly@latest",
            "--matrix",
            matrix,
            "--as-of",
            "2026-11-27",
            "--format",
            "json",
        ],
        capsys,
    )
    data = json.loads(out)
    assert code == 0
    # 0.25*5 + 0.20*4 + 0.15*5 + 0.15*5 + 0.10*4 + 0.10*4 + 0.05*4
    assert data["totals"]["valkey"] == pytest.approx(4.55)
    assert data["ranking"] == ["valkey", "redis", "dragonfly"]


def test_diff_command_between_two_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for side, tag in (("a", "7.2.4"), ("b", "7.4.0")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "docker-compose.yml").write_text(
            f"services:\n  cache:\n    image: redis:{tag}\n"
        )
    code, out, _ = run(
        [
            "diff",
            str(tmp_path / "a"),
            str(tmp_path / "b"),
            "--fail-on",
            "review",
            "--as-of",
            "2026-11-27",
        ],
        capsys,
    )
    assert code == 1
    assert "7.2.4 -> 7.4.0" in out and "allow -> review" in out


def test_output_to_a_device_is_written_not_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    devnull = Path("/dev/null")
    if not devnull.exists():
        pytest.skip("no /dev/null on this platform")
    code, _, _ = run(["check", "valkey@8.1.1", "--output", str(devnull)], capsys)
    assert code == 0
    assert devnull.is_char_device()
