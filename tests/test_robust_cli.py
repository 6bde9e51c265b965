"""No traceback, ever: one source's bug, refused names and failed writes end in a message."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policycheck import walk
from policycheck.cli import main
from policycheck.model import Component
from policycheck.sources.kubernetes import SOURCE as KUBERNETES

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: c}\nspec:\n  containers:\n    - image: redis:7.2.4\n"
LONG = "x" * 300  # over the usual 255-byte file-name limit


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_source_that_crashes_costs_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.yaml").write_text(POD)
    (tmp_path / "b.yaml").write_text(POD.replace("7.2.4", "7.4.0"))
    real = KUBERNETES.collect

    def flaky(path: Path, text: str, display: str) -> Iterator[Component]:
        if path.name == "a.yaml":
            raise ZeroDivisionError("a bug")
        return real(path, text, display)

    monkeypatch.setattr(KUBERNETES, "collect", flaky)
    result = walk.scan_paths([str(tmp_path)])
    assert [c.version for c in result.components] == ["7.4.0"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.path is not None and error.path.endswith("a.yaml")
    assert "internal error reading this file (ZeroDivisionError)" in error.message


def test_a_target_longer_than_a_file_name_is_an_engine_target(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["check", f"redis@7.4.0-{LONG}", "--as-of", "2026-11-27"], capsys)
    assert code == 0 and err == ""
    # read as the image tag redis:7.4.0-xxx... would be: release 7.4.0 in a (long) variant
    assert out.splitlines()[2].startswith("REVIEW  redis@7.4.0 (from '7.4.0-xxx")


@pytest.mark.parametrize("option", ["--output", "--policy"])
def test_a_name_the_system_refuses_is_an_input_error(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["check", "redis@7.2.4", option, str(tmp_path / LONG)], capsys)
    assert code == 2
    assert err.startswith("error: ") and "Traceback" not in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_failed_write_to_stdout_exits_2_with_a_message() -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "policycheck", "check", "redis@7.2.4"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: No space left on device")
    assert "Traceback" not in proc.stderr


def test_report_files_follow_the_umask_and_keep_their_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    old = os.umask(0o022)
    try:
        assert run(["check", "redis@7.2.4", "-o", str(report)], capsys)[0] == 0
        assert stat.S_IMODE(report.stat().st_mode) == 0o644
        report.chmod(0o640)
        assert run(["check", "redis@7.2.4", "-o", str(report)], capsys)[0] == 0
        assert stat.S_IMODE(report.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_an_output_symlink_is_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "reports" / "latest.txt"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "report.txt"
    link.symlink_to(target)
    assert run(["check", "valkey@8.0.1", "-o", str(link)], capsys)[0] == 0
    assert link.is_symlink()
    assert "ALLOW   valkey@8.0.1" in target.read_text()


def test_ctrl_c_exits_2_and_keeps_the_previous_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "report.json"
    report.write_text("previous report\n")
    (tmp_path / "a.yaml").write_text(POD)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(walk, "scan_file", interrupted)
    code, out, err = run(["check", str(tmp_path / "a.yaml"), "-o", str(report)], capsys)
    assert code == 2
    assert "aborted" in err and "Traceback" not in err
    assert report.read_text() == "previous report\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_permission_errors_are_input_errors_for_a_user_without_access(tmp_path: Path) -> None:
    """As a user who may not read a target, the policy or the output folder: exit 2 and a
    message naming it, never a traceback."""
    import pwd

    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody'")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "a.yaml").write_text(POD)
    (tmp_path / "policy.yaml").write_text("schema_version: 1\n")
    secret.chmod(0o700)
    (tmp_path / "policy.yaml").chmod(0o600)
    tmp_path.chmod(0o755)
    try:
        subprocess.run(
            [sys.executable, "-c", "import policycheck"],
            check=True,
            capture_output=True,
            user=nobody.pw_uid,
            group=nobody.pw_gid,
            cwd="/",
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("this Python or policycheck is not usable by another user here")
    cases = [
        ["check", str(secret)],
        ["check", "redis@7.2.4", "--policy", str(tmp_path / "policy.yaml")],
        ["check", "redis@7.2.4", "-o", str(secret / "out.json")],
    ]
    for args in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "policycheck", *args],
            capture_output=True,
            text=True,
            check=False,
            user=nobody.pw_uid,
            group=nobody.pw_gid,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            cwd="/",
        )
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr, args


def test_permission_errors_are_input_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a user without access meets, simulated where every test runs as one user:
    an unreadable manifest, folder, policy or output folder is exit 2 with a message."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "a.yaml").write_text(POD)
    (tmp_path / "locked").mkdir()
    policy = tmp_path / "policy.yaml"
    policy.write_text("schema_version: 1\n")
    real_open, real_scandir = Path.open, os.scandir

    def guarded_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name in ("a.yaml", "policy.yaml"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    def guarded_scandir(path: Any) -> Any:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def refused_replace(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied", str(dst))

    real_walker_open = walk._open

    def guarded_walker_open(file: str) -> int:
        if Path(file).name == "a.yaml":
            raise PermissionError(13, "Permission denied", str(file))
        return real_walker_open(file)

    monkeypatch.setattr(Path, "open", guarded_open)
    monkeypatch.setattr(walk, "_open", guarded_walker_open)  # its own opens
    monkeypatch.setattr(os, "scandir", guarded_scandir)
    code, _, err = run(["check", str(tmp_path)], capsys)
    assert code == 2
    assert "a.yaml: cannot read file: Permission denied" in err
    assert "locked: cannot list folder: Permission denied" in err
    code, _, err = run(["check", "redis@7.2.4", "--policy", str(policy)], capsys)
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err
    monkeypatch.setattr(os, "replace", refused_replace)
    code, _, err = run(["check", "redis@7.2.4", "-o", str(tmp_path / "out.json")], capsys)
    assert code == 2 and "cannot write report: Permission denied" in err
    assert not list(tmp_path.glob(".out.json.*"))
