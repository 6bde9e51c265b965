"""``policycheck validate``: policies and ADR decision matrices, told apart by content.

Every error must reach the user as ``file:line: message`` plus a hint, with exit code 2
and no traceback; a valid file prints one OK line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policycheck.cli import main
from policycheck.policy import resolve_policy_path

ROOT = Path(__file__).resolve().parents[1]
MATRIX = ROOT / "policies" / "adr" / "in-memory-stores.yaml"

SMALL_MATRIX = """\
schema_version: 1
drivers:
  - id: licensing-governance
    name: Licensing
    weight: 0.5
  - id: speed
    name: Speed
    weight: 0.5
options:
  valkey:
    label: Valkey
    scores:
      licensing-governance: {score: 5}
      speed: {score: 4}
"""


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_every_error_has_a_hint(err: str) -> None:
    lines = err.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert starts, err
    for i in starts:
        assert i + 1 < len(lines) and lines[i + 1].startswith("  hint: "), err
    assert "Traceback" not in err


def test_bundled_matrix_is_recognised_and_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["validate", str(MATRIX)], capsys)
    assert (code, err) == (0, "")
    assert out == f"{MATRIX}: ok (decision matrix, 7 drivers, 3 options)\n"


def test_policies_and_matrices_in_one_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = write(tmp_path, SMALL_MATRIX)
    policy = resolve_policy_path("osi-only")
    code, out, _ = run(["validate", "default", str(small), str(policy)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(r"default: ok \(\d+ rules, uses: internal, saas\)", lines[0])
    assert lines[1] == f"{small}: ok (decision matrix, 2 drivers, 1 option)"
    assert re.fullmatch(rf"{re.escape(str(policy))}: ok \(\d+ rules, uses: .+\)", lines[2])


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "weight: 0.5\n  - id: speed",
            "weight: 0.6\n  - id: speed",
            2,
            "driver weights sum to 1.1, not 1",
        ),
        (
            "      speed: {score: 4}",
            "      speed: {score: 4}\n      looks: {score: 1}",
            15,
            "option 'valkey' scores unknown driver 'looks'",
        ),
        ("      speed: {score: 4}", "", 12, "option 'valkey' does not score driver(s) speed"),
        (
            "  valkey:\n    label",
            "  valkey:\n    engine: redus\n    label",
            11,
            "option 'valkey': unknown engine 'redus'",
        ),
        (
            "  - id: speed",
            "  - id: licensing-governance",
            6,
            "duplicate driver id 'licensing-governance'",
        ),
        (
            "speed: {score: 4}",
            "speed: {score: 7}",
            14,
            "options/valkey/scores/speed/score: 7 is greater than the maximum of 5",
        ),
        (
            "    label: Valkey",
            "    label: Valkey\n    colour: red",
            12,
            "options/valkey/colour: unknown key ('colour' was unexpected)",
        ),
        ("      speed: {score: 4}", "      speed: {score: 4", 15, "YAML syntax error"),
    ],
)
def test_matrix_errors_name_file_line_and_hint(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    line: int,
    message: str,
) -> None:
    assert SMALL_MATRIX.count(old) == 1
    bad = write(tmp_path, SMALL_MATRIX.replace(old, new))
    code, out, err = run(["validate", str(bad)], capsys)
    assert code == 2 and out == ""
    assert f"error: {bad}:{line}: {message}" in err, err
    assert_every_error_has_a_hint(err)


def test_weights_error_hint_shows_the_arithmetic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(
        tmp_path, SMALL_MATRIX.replace("weight: 0.5\n  - id: speed", "weight: 0.6\n  - id: speed")
    )
    _, _, err = run(["validate", str(bad)], capsys)
    assert "  hint: the weights are 0.6 + 0.5; adjust them so they add up to exactly 1\n" in err


def test_errors_of_one_file_are_all_shown_in_line_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SMALL_MATRIX.replace("      speed: {score: 4}", "      looks: {score: 1}")
    bad = write(tmp_path, text)
    code, _, err = run(["validate", str(bad)], capsys)
    assert code == 2
    found = [line for line in err.splitlines() if line.startswith("error: ")]
    assert found == [
        f"error: {bad}:12: option 'valkey' does not score driver(s) speed",
        f"error: {bad}:14: option 'valkey' scores unknown driver 'looks'",
    ]


def test_a_bad_file_does_not_hide_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, SMALL_MATRIX.replace("speed: {score: 4}", "speed: {score: 0}"))
    code, out, err = run(["validate", str(bad), "default", str(MATRIX)], capsys)
    assert code == 2
    assert f"{bad}:14: options/valkey/scores/speed/score: 0 is less than the minimum of 1" in err
    assert "default: ok" in out and f"{MATRIX}: ok (decision matrix" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # matrix-only keys make it a matrix, even when the required ones are missing
        ("title: Choosing a store\n", ":1: (top level): 'drivers' is a required property"),
        ("options: {}\n", ":1: (top level): 'drivers' is a required property"),
        # policy-only keys make it a policy
        ("name: mine\n", ":1: (top level): 'rules' is a required property"),
        ("schema_version: 1\nuses: [internal]\n", ":1: (top level): 'name' is a required property"),
    ],
)
def test_kind_is_told_apart_by_top_level_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    code, _, err = run(["validate", str(path)], capsys)
    assert code == 2
    assert f"error: {path}{expected}\n  hint: add the missing key\n" in err


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("rules: []\ndrivers: []\n", "keys of both"),
        ("schema_version: 1\n", "neither's keys"),
        ("", "neither's keys"),
        ("- a list\n", "neither's keys"),
    ],
)
def test_undecidable_file_asks_for_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, found: str
) -> None:
    path = write(tmp_path, text)
    code, _, err = run(["validate", str(path)], capsys)
    assert code == 2
    assert (
        f"error: {path}:1: cannot tell whether this is a policy or a decision matrix "
        f"(it has {found})\n  hint: a policy has top-level uses and rules, a decision matrix "
        "drivers and options; or pass --kind policy or --kind matrix\n"
    ) in err


def test_kind_option_overrides_detection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = write(tmp_path, SMALL_MATRIX + "rules: []\n")
    code, _, err = run(["validate", "--kind", "matrix", str(both)], capsys)
    assert code == 2
    assert f"error: {both}:15: rules: unknown key ('rules' was unexpected)" in err
    code, _, err = run(["validate", "--kind", "policy", str(MATRIX)], capsys)
    assert code == 2
    assert re.search(rf"error: {re.escape(str(MATRIX))}:\d+: .*'uses' is a required property", err)
    assert_every_error_has_a_hint(err)


def test_matrix_that_is_not_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "- a\n- b\n")
    code, _, err = run(["validate", "--kind", "matrix", str(path)], capsys)
    assert code == 2
    assert f"error: {path}:1: a decision matrix must be a YAML mapping\n  hint: run " in err


def test_errors_without_their_own_hint_get_one_for_their_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(tmp_path, "schema_version: 2\nname: x\nuses: [internal]\nrules: []\n", "p.yaml")
    matrix = write(tmp_path, SMALL_MATRIX.replace("schema_version: 1", "schema_version: 2"))
    code, _, err = run(["validate", str(policy), str(matrix)], capsys)
    assert code == 2
    assert (
        f"error: {policy}:1: schema_version: 1 was expected\n  hint: run "
        "'policycheck schema policy' for every key, 'policycheck init' for a starter\n"
    ) in err
    assert (
        f"error: {matrix}:1: schema_version: 1 was expected\n  hint: run "
        "'policycheck schema matrix' for every key\n"
    ) in err
    assert "policies/" not in err and "schemas/" not in err  # a pip user has neither


def test_errors_with_their_own_hint_keep_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "schema_version: 1\nname: x\nuses: [internal]\nrules:\n"
        "  - id: a\n    when: {category: permissive}\n    verdict: allow\n    rationale: r\n"
        "  - id: a\n    when: {category: permissive}\n    verdict: allow\n    rationale: r\n"
    )
    path = write(tmp_path, text)
    _, _, err = run(["validate", str(path)], capsys)
    assert err == f"error: {path}:9: duplicate rule id 'a'\n  hint: rule ids must be unique\n"


@pytest.mark.parametrize("kind", ["auto", "matrix"])
def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    missing = tmp_path / "nope.yaml"
    code, _, err = run(["validate", "--kind", kind, str(missing)], capsys)
    assert code == 2
    assert f"error: {missing}: file not found\n  hint: pass " in err


def test_directory_and_unreadable_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"title: caf\xe9\n")
    code, _, err = run(["validate", str(tmp_path), str(latin1)], capsys)
    assert code == 2
    assert f"error: {tmp_path}: not a file\n  hint: " in err
    assert f"error: {latin1}:1: file is not valid UTF-8\n  hint: save it as UTF-8\n" in err
    assert_every_error_has_a_hint(err)


def test_unknown_bundled_policy_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["validate", "strict"], capsys)
    assert code == 2
    assert "error: unknown policy 'strict'\n  hint: use a bundled policy name (default" in err
