"""What the scan looked at: default excludes, counts by reason, warnings, one version form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policycheck import walk
from policycheck.cli import main
from policycheck.data import validator
from tests.test_walk import DEPLOYMENT

#: Some package's own Dockerfile: not how this repository deploys.
PACKAGE_DOCKERFILE = "FROM redis:7.4.0\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _tree(root: Path) -> None:
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / "cache.yaml").write_text(DEPLOYMENT)
    (root / "README.md").write_text("# project\n")
    for folder in (".venv", "node_modules", "site-packages", ".tox", ".terraform", "__pycache__"):
        (root / folder / "sub").mkdir(parents=True)
        (root / folder / "sub" / "cache.yaml").write_text(DEPLOYMENT)
    env = root / "tools" / "py311"  # a virtual environment under any name
    (env / "lib").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / "lib" / "Dockerfile").write_text(PACKAGE_DOCKERFILE)


def _found(result: walk.ScanResult) -> list[str]:
    return [c.location.path for c in result.components if c.location is not None]


def test_default_excludes_skip_what_is_not_the_repository_s_own(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = walk.scan_paths([str(tmp_path)])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in _found(result)] == [
        "deploy/cache.yaml"
    ]
    assert result.errors == []
    assert result.stats.skipped == {
        "folder: Python virtual environment": 3,  # .venv, .tox, tools/py311 (pyvenv.cfg)
        "folder: installed dependencies": 2,
        "folder: Terraform module cache": 1,
        "folder: cache": 1,
        walk.SKIP_NAME: 1,  # README.md
    }
    assert (result.stats.files, result.stats.parsed) == (2, 1)


def test_no_default_excludes_walks_everything(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = walk.scan_paths([str(tmp_path)], options=walk.ScanOptions(default_excludes=False))
    found = sorted(Path(p).relative_to(tmp_path).parts[0] for p in _found(result))
    assert found == sorted(
        [".terraform", ".tox", ".venv", "__pycache__", "deploy", "node_modules"]
        + ["site-packages", "tools"]
    )
    assert result.stats.skipped == {walk.SKIP_NAME: 2}  # README.md, pyvenv.cfg


def test_json_scan_section_tells_nothing_found_from_nothing_looked_at(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _tree(tmp_path)
    code, out, _ = run(
        ["check", str(tmp_path), "--format", "json", "--as-of", "2026-11-27"], capsys
    )
    assert code == 0
    data = json.loads(out)
    assert not list(validator("report").iter_errors(data))
    assert data["scan"]["files"] == 2 and data["scan"]["parsed"] == 1
    assert data["scan"]["engines_found"] == {"redis": 1}
    assert data["scan"]["skipped"]["folder: installed dependencies"] == 2
    assert data["scan"]["warnings"] == []


def test_text_prints_one_scan_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(tmp_path)
    _, out, _ = run(["check", str(tmp_path), "--as-of", "2026-11-27"], capsys)
    lines = out.splitlines()
    assert lines[-3].startswith("scanned 2 file(s), parsed 1; skipped: ")
    assert "3 folder(s) (Python virtual environment)" in lines[-3]
    assert lines[-2].startswith("1 finding(s)")
    assert lines[-1].startswith("Not legal advice")


def test_engine_targets_alone_print_no_scan_line(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["check", "redis@7.2.4", "--as-of", "2026-11-27"], capsys)
    assert "scanned" not in out


def test_empty_folder_and_unread_named_file_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("redis:7.4.0\n")
    code, _, err = run(
        ["check", str(tmp_path / "empty"), str(tmp_path / "notes.txt"), "--as-of", "2026-11-27"],
        capsys,
    )
    assert code == 0
    assert f"warning: {tmp_path / 'empty'}: no file in this folder is of a kind" in err
    assert f"warning: {tmp_path / 'notes.txt'}: not checked: {walk.SKIP_NAME}" in err


def test_an_empty_target_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", ""], capsys)
    assert code == 2
    assert "an empty target names nothing" in err


@pytest.mark.parametrize("written", ["v1.25.0", "1.25.0", "V1.25.0"])
def test_one_version_form_in_output(written: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        ["check", f"dragonfly@{written}", "--format", "json", "--as-of", "2026-11-27"], capsys
    )
    finding = json.loads(out)["findings"][0]
    assert finding["version"] == "1.25.0"
    assert finding["requested"] == written
    assert all(not s["version"].startswith("v") for s in finding["suggestions"])


def test_a_long_comment_header_does_not_hide_a_manifest(tmp_path: Path) -> None:
    header = "".join(
        f"# licence header line {n:04d} ........................\n" for n in range(120)
    )
    assert len(header) > 5 * 1024
    (tmp_path / "pod.yaml").write_text(header + DEPLOYMENT)
    result = walk.scan_paths([str(tmp_path)])
    assert [(c.engine, c.version) for c in result.components] == [("redis", "7.2.4")]
    assert result.components[0].location is not None
    assert (
        result.components[0].location.line
        == 120 + DEPLOYMENT.splitlines().index("          image: redis:7.2.4") + 1
    )


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_with_a_byte_order_mark_is_read(tmp_path: Path, codec: str) -> None:
    text = DEPLOYMENT
    data = text.encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):  # these codecs write no BOM themselves
        data = "\ufeff".encode(codec) + data
    (tmp_path / "cache.yaml").write_bytes(data)
    result = walk.scan_paths([str(tmp_path)])
    assert result.errors == []
    assert [(c.engine, c.version) for c in result.components] == [("redis", "7.2.4")]
    assert result.components[0].location is not None
    assert result.components[0].location.line == 10


def test_broken_utf16_is_an_error_with_its_line(tmp_path: Path) -> None:
    data = "\ufeff".encode("utf-16-le") + DEPLOYMENT.encode("utf-16-le") + b"\x00\xd8"
    (tmp_path / "cache.yaml").write_bytes(data)
    result = walk.scan_paths([str(tmp_path)])
    assert [(e.message.split(" but ")[0], e.line) for e in result.errors] == [
        ("file starts with a UTF-16 byte-order mark", 11)
    ]


def test_a_manifest_over_the_size_limit_is_an_error_not_a_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "big.yaml").write_text(DEPLOYMENT + "#" * (1 << 20) + "\n")
    (tmp_path / "small.yaml").write_text(DEPLOYMENT)
    (tmp_path / "big.json").write_text("[" + "1," * (1 << 20) + "1]")  # no manifest kind
    code, out, err = run(
        ["check", str(tmp_path), "--max-file-size", "1", "--format", "json"], capsys
    )
    assert code == 2
    data = json.loads(out)
    assert [(Path(e["path"]).name, e["message"]) for e in data["errors"]] == [
        ("big.yaml", "file is larger than 1 MiB; it was not checked")
    ]
    assert [Path(f["location"]["path"]).name for f in data["findings"]] == ["small.yaml"]
    code, out, _ = run(["check", str(tmp_path / "big.yaml"), "--format", "json"], capsys)
    assert code == 0 and len(json.loads(out)["findings"]) == 1
