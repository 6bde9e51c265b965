"""Hostile file names and policy texts cannot forge report lines in any format."""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spdx_tools.spdx.parser.parse_anything import parse_file

from policycheck.core import check
from policycheck.formats import all_formats
from policycheck.policy import Policy, load_policy, resolve_policy_path

AS_OF = dt.date(2026, 11, 27)
FORGED = "PackageName: injected"
#: A folder name that would add a package to a tag-value document printed as is.
EVIL_DIR = f"x\n{FORGED}\nSPDXID: SPDXRef-evil\n::error::forged\n\x1b[31mred"
COMPOSE = "services:\n  cache:\n    image: redis:7.4.0\n"


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    folder = root / EVIL_DIR
    folder.mkdir()
    (folder / "compose.yaml").write_text(COMPOSE)
    return root


@pytest.fixture(scope="module")
def hostile_policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    text = resolve_policy_path("default").read_text(encoding="utf-8")
    evil = json.dumps(f"closes the field </text>\n{FORGED}\nSPDXID: SPDXRef-evil2\n<text>")
    start = text.index("  - id: review-not-osi")  # the rule that decides redis 7.4.0
    field = text.index("    rationale:", start)
    end = text.index("\n", field)
    text = text[:field] + f"    rationale: {evil}" + text[end:]
    path = tmp_path_factory.mktemp("policy") / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy(str(path))


@pytest.mark.parametrize("fmt", sorted(all_formats()))
def test_no_format_prints_a_control_character_from_a_path(
    fmt: str, hostile_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(hostile_tree)
    report = check(["."], load_policy("default"), AS_OF)
    assert len(report.findings) == 1
    out = all_formats()[fmt].render(report)
    assert "\x1b" not in out
    lines = out.splitlines()
    assert not any(line.startswith((FORGED, "SPDXID: SPDXRef-evil", "::error::")) for line in lines)
    assert "x\\x0aPackageName" in out or "x/x0aPackageName" in out or "x\\\\x0a" in out


def test_tag_value_keeps_one_package_with_a_hostile_policy_text(
    hostile_tree: Path,
    hostile_policy: Policy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(hostile_tree)
    report = check(["."], hostile_policy, AS_OF)
    assert "</text>" in "".join(r.rationale for r in hostile_policy.rules)
    for fmt, name in (("spdx", "out.spdx"), ("spdx-json", "out.spdx.json")):
        path = tmp_path / name
        path.write_text(all_formats()[fmt].render(report), encoding="utf-8")
        assert "closes the field" in path.read_text(encoding="utf-8"), fmt
        document = parse_file(str(path))
        assert [p.name for p in document.packages] == ["redis"], fmt


_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


@settings(max_examples=25, deadline=None)
@given(
    name=st.text(
        alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=30,
    ).filter(lambda n: n not in (".", "..") and len(n.encode("utf-8")) < 200),
    control=st.sampled_from(["\n", "\r", "\x1b[2J", "\u2028", "\x85", "\t", "\x7f"]),
)
def test_any_folder_name_reaches_no_report_raw(name: str, control: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / (name + control + FORGED)
        folder.mkdir()
        (folder / "compose.yaml").write_text(COMPOSE)
        report = check([scratch], load_policy("default"), AS_OF)
        assert len(report.findings) == 1 and report.errors == []
        for fmt, formatter in sorted(all_formats().items()):
            out = formatter.render(report)
            assert _RAW_CONTROL.search(out.replace("\t", " ")) is None, fmt
            assert not any(line.startswith(FORGED) for line in out.splitlines()), fmt
