"""identify: which license a license file is, BUSL parameters, and the policy's verdict."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from policycheck.cli import main
from policycheck.data import schema
from policycheck.identify import identify_all, to_json
from policycheck.identify.match import match_text
from policycheck.policy import Verdict, load_policy

FIXTURES = Path(__file__).parent / "fixtures" / "identify"
AS_OF = dt.date(2026, 12, 1)


def identify(name: str, as_of: dt.date = AS_OF, policy: str = "default") -> dict:
    (result,) = identify_all([str(FIXTURES / name)], load_policy(policy), as_of)
    return result.to_json()


@pytest.mark.parametrize(
    ("folder", "license"),
    [
        ("mit", "MIT"),
        ("apache", "Apache-2.0"),
        ("bsd3", "BSD-3-Clause"),
        ("agpl", "AGPL-3.0-only"),
        ("sspl", "SSPL-1.0"),
        ("elastic", "Elastic-2.0"),
        ("dragonfly-1.16", "BUSL-1.1"),
        ("terraform-1.6", "BUSL-1.1"),
        ("cockroach-22.2", "BUSL-1.1"),
    ],
)
def test_each_text_is_identified(folder: str, license: str) -> None:
    result = identify(folder)
    assert result["license"] == license
    assert result["confidence"] >= 0.75


@pytest.mark.parametrize(
    ("folder", "verdict"),
    [
        ("mit", "allow"),
        ("bsd3", "allow"),
        ("agpl", "review"),  # network copyleft goes to legal under default
        ("sspl", "review"),
        ("elastic", "review"),
        ("unknown", "review"),
        ("empty-folder", "review"),
    ],
)
def test_verdicts_under_the_default_policy(folder: str, verdict: str) -> None:
    assert identify(folder)["verdict"] == verdict


def test_dragonfly_before_1_17_converts_on_the_fifth_anniversary() -> None:
    result = identify("dragonfly-1.16")
    assert result["busl"] == {
        "licensor": "Example Dragonfly Ltd.",
        "licensed_work": "Dragonfly, its components and any modification of them.",
        "change_date": "2028-03-15",
        "change_date_text": None,
        "change_license": "Apache-2.0",
        "change_license_text": "Apache License, Version 2.0, as published by the Apache Foundation.",
        "additional_use_grant": "Production use is allowed inside your own product, as long as "
        "that product is not an in-memory data store. Offering the Licensed Work to third "
        "parties as a Service is not.",
        "anniversary_years": 5,
    }
    assert result["converts"] == {"date": "2028-03-15", "to": "Apache-2.0"}
    assert any("fifth anniversary" in line for line in result["rationale"])


def test_dragonfly_1_17_fourth_anniversary_spelled_forth() -> None:
    result = identify("dragonfly-1.17")
    assert result["busl"]["anniversary_years"] == 4
    assert result["busl"]["change_date"] == "2028-09-01"


def test_additional_use_grant_is_a_restriction_legal_confirms() -> None:
    result = identify("dragonfly-1.16")
    assert result["verdict"] in ("review", "deny")
    assert any(
        "Additional Use Grant" in c and "in-memory data store" in c for c in result["confirm"]
    )


def test_relative_change_date_is_kept_as_text_and_never_converts() -> None:
    result = identify("terraform-1.6", as_of=dt.date(2040, 1, 1))
    busl = result["busl"]
    assert busl["change_date"] is None
    assert busl["change_date_text"] == "Four years from the date the Licensed Work is published."
    assert busl["change_license"] == "MPL-2.0"
    assert busl["licensor"] == "Example Infrastructure, Inc."
    assert result["effective_license"] == "BUSL-1.1"  # no publication date: no conversion
    assert result["verdict"] != "allow"
    assert any("publication date" in c for c in result["confirm"])


def test_cockroach_style_grant_with_a_second_paragraph_and_conversion_by_date() -> None:
    before = identify("cockroach-22.2", as_of=dt.date(2025, 9, 30))
    assert before["busl"]["additional_use_grant"].endswith("create tables of their own design.")
    assert before["busl"]["change_date"] == "2025-10-01"
    assert before["effective_license"] == "BUSL-1.1"
    assert before["verdict"] == "deny"  # the base BUSL terms restrict production use
    after = identify("cockroach-22.2", as_of=dt.date(2025, 10, 1))
    assert after["effective_license"] == "Apache-2.0"
    assert after["verdict"] == "allow"
    assert after["confirm"] == []


def test_two_texts_in_one_file_are_judged_together_and_reviewed() -> None:
    both = (FIXTURES / "sspl/LICENSE.txt").read_text() + (FIXTURES / "mit/LICENSE").read_text()
    assert [m.id for m in match_text(both)] == ["MIT", "SSPL-1.0"]


def test_agpl_and_sspl_texts_are_not_also_reported_as_gpl() -> None:
    assert [m.id for m in match_text((FIXTURES / "sspl/LICENSE.txt").read_text())] == ["SSPL-1.0"]
    assert [m.id for m in match_text((FIXTURES / "agpl/LICENSE").read_text())] == ["AGPL-3.0-only"]


def test_title_line_names_any_spdx_listed_license_at_lower_confidence() -> None:
    (m,) = match_text("Boost Software License - Version 1.0 - August 17th, 2003\n\nblah")
    assert (m.id, m.confidence) == ("BSL-1.0", 0.6)


def test_listed_license_without_effects_record_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "LICENSE").write_text("Boost Software License - Version 1.0\n\nterms\n")
    (result,) = identify_all([str(tmp_path)], load_policy("default"), AS_OF)
    assert result.finding.verdict >= Verdict.REVIEW
    assert any("no effects record" in line for line in result.finding.rationale)


def test_json_output_validates_against_its_schema(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(FIXTURES / n) for n in ("mit", "dragonfly-1.16", "terraform-1.6", "unknown")]
    assert main(["identify", *paths, "--format", "json", "--as-of", "2026-12-01"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, schema("identify"))
    assert doc["schema_version"] == "1.0"
    assert [r["license"] for r in doc["results"]] == ["MIT", "BUSL-1.1", "BUSL-1.1", None]


def test_text_output_and_use_option(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        ["identify", str(FIXTURES / "agpl"), "--use", "distribution", "--as-of", "2026-12-01"]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert out.startswith(f"{FIXTURES / 'agpl' / 'LICENSE'}: AGPL-3.0-only (confidence 1.00) -> ")


def test_missing_path_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["identify", str(FIXTURES / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_identify_json_is_deterministic() -> None:
    policy = load_policy("default")
    paths = [str(FIXTURES)]
    first = to_json(identify_all([str(FIXTURES / "dragonfly-1.16")], policy, AS_OF), policy, AS_OF)
    second = to_json(identify_all([str(FIXTURES / "dragonfly-1.16")], policy, AS_OF), policy, AS_OF)
    assert first == second and paths


def test_a_folder_gives_its_license_files_in_name_order(tmp_path: Path) -> None:
    from policycheck.identify import license_files

    for name in ("README.md", "license.go", "LICENSE.md", "COPYING", "BSL.txt", "NOTICE"):
        (tmp_path / name).write_text("x")
    assert [p.name for p, _ in license_files([str(tmp_path)]) if p] == [
        "BSL.txt",
        "COPYING",
        "LICENSE.md",
    ]
