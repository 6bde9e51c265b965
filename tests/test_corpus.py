"""The shared corpus of real manifests: every MANIFEST row gets its expected answer.

``../shared/corpus/MANIFEST.tsv`` names, per file written by others, the engines it
deploys and the version as written. The corpus is not copied into the project; the
test is skipped where it is not beside the checkout.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest

from policycheck.core import check
from policycheck.model import Finding
from policycheck.policy import load_policy

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MANIFEST = CORPUS / "MANIFEST.tsv"
pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason="shared corpus not present")
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")


def _rows() -> list[dict[str, str]]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def findings() -> dict[str, list[Finding]]:
    report = check([str(CORPUS)], load_policy("default"), dt.date(2026, 12, 1))
    assert report.errors == []
    by_path: dict[str, list[Finding]] = {}
    for f in report.findings:
        assert f.location is not None
        by_path.setdefault(Path(f.location.path).relative_to(CORPUS).as_posix(), []).append(f)
    return by_path


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row["path"])
def test_every_row_gets_its_expected_answer(
    row: dict[str, str], findings: dict[str, list[Finding]]
) -> None:
    found = findings.get(row["path"], [])
    expected_engine = row["engines_deployed"].split()[0]
    if expected_engine == "none":
        assert found == []
        return
    mine = [f for f in found if f.engine == expected_engine]
    assert mine, f"{row['path']}: no {expected_engine} finding"
    written = row["version_as_written"].strip().strip('"')
    version = _VERSION.match(written)
    for f in mine:
        if version:
            assert f.requested is not None and f.requested.startswith(version.group(1))
            assert f.resolved
        elif "latest" in written or written.startswith("(none)"):
            assert f.requested == "latest" and not f.pinned
        else:  # a template, a non-version tag, an empty tag, an operator default
            assert f.version is None and not f.resolved
        assert str(f.verdict) in ("allow", "review", "deny")
