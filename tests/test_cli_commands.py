"""Output files, discoverable commands (engines, licenses, schema, init), did-you-mean,
validate in one pass, image-tag variants on ENGINE@VERSION and diff --fail-on-change."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from policycheck import images
from policycheck.catalog import catalog
from policycheck.cli import SCHEMAS, main
from policycheck.data import data_dir, schema, validator
from policycheck.output import EXTENSIONS, infer_format
from policycheck.targets import engine_target

ROOT = Path(__file__).resolve().parents[1]
AS_OF = ["--as-of", "2026-11-27"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# -- output files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("r.json", lambda t: json.loads(t)["schema_version"] == "1.2"),
        ("r.sarif", lambda t: json.loads(t)["version"] == "2.1.0"),
        ("r.spdx.json", lambda t: json.loads(t)["spdxVersion"] == "SPDX-2.3"),
        ("r.spdx", lambda t: "\nSPDXVersion: SPDX-2.3\n" in t),
        ("r.xml", lambda t: "<testsuites" in t),
        ("r.html", lambda t: t.lstrip().lower().startswith("<!doctype html")),
        ("r.md", lambda t: t.startswith("# License sign-off")),
        ("R.JSON", lambda t: json.loads(t)["schema_version"] == "1.2"),
        ("r.txt", lambda t: t.startswith("policy default")),
        ("report", lambda t: t.startswith("policy default")),
    ],
)
def test_the_output_extension_picks_the_format(
    name: str, check: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / name
    code, out, err = run(["check", "valkey@8.1.1", *AS_OF, "-o", str(target)], capsys)
    assert (code, out, err) == (0, "", "")
    assert check(target.read_text())  # type: ignore[operator]


def test_format_wins_over_the_extension(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "r.json"
    run(["check", "valkey@8.1.1", *AS_OF, "-o", str(target), "--format", "text"], capsys)
    assert target.read_text().startswith("policy default")


def test_an_unknown_extension_is_a_usage_error_listing_the_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "r.pdf"
    code, out, err = run(["check", "valkey@8.1.1", *AS_OF, "-o", str(target)], capsys)
    assert code == 2 and out == "" and not target.exists()
    assert "cannot tell the format of" in err and "'.pdf'" in err
    for ending in (".json", ".sarif", ".html", ".md", ".xml (junit)", ".spdx.json", ".spdx"):
        assert ending in err


def test_diff_and_adr_infer_among_their_own_formats() -> None:
    assert infer_format("d.json", ["text", "json"], "text") == "json"
    assert infer_format("d", ["text", "json"], "text") == "text"
    assert infer_format("adr.html", ["html", "json", "markdown"], "markdown") == "html"
    with pytest.raises(ValueError, match=r"known: .*\.json \(json\)"):
        infer_format("d.sarif", ["text", "json"], "text")
    from policycheck.formats import FORMAT_MODULES

    assert set(EXTENSIONS.values()) <= set(FORMAT_MODULES)
    assert infer_format("bom.cdx.json", sorted(FORMAT_MODULES), "text") == "cyclonedx-json"


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_reports_get_the_umask_mode(
    umask: int, mode: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(umask)
    try:
        target = tmp_path / "r.json"
        assert run(["check", "valkey@8.1.1", *AS_OF, "-o", str(target)], capsys)[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_an_existing_report_keeps_its_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    target.chmod(0o640)
    assert run(["check", "valkey@8.1.1", *AS_OF, "-o", str(target)], capsys)[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert json.loads(target.read_text())["findings"][0]["engine"] == "valkey"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


# -- engines, licenses, schema ------------------------------------------------------------


def _aligned(lines: list[str]) -> None:
    """Every row starts each column where the header does."""
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?<=  )\S", header)]
    for row in lines[1:]:
        for s in starts:
            assert row[s - 1] == " " and row[s] != " ", (row, s)


def test_engines_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["engines"], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == [
        "ENGINE",
        "GOVERNANCE",
        "NEWEST",
        "LICENSE",
        "BY",
        "VERSION",
    ]
    assert len(lines) == len(catalog().engines) + 1
    _aligned(lines)
    redis = next(line for line in lines if line.startswith("redis "))
    assert "BSD-3-Clause from 1.3.6; LicenseRef-scancode-rsalv2 OR SSPL-1.0 from 7.3.0" in redis


def test_licenses_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["licenses"], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["LICENSE", "CATEGORY", "OSI", "NAME"]
    _aligned(lines)
    assert any(re.match(r"^MIT +permissive +yes +MIT License$", line) for line in lines)


@pytest.mark.parametrize(
    ("args", "name", "key", "count"),
    [
        (["engines"], "engine-list", "engines", None),
        (["engines", "valkey"], "engine-list", "engines", 1),
        (["licenses"], "license-list", "licenses", None),
        (["licenses", "busl-1.1"], "license-list", "licenses", 1),
    ],
)
def test_listings_as_json_follow_their_schema(
    args: list[str], name: str, key: str, count: int | None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([*args, "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0 and not list(validator(name).iter_errors(doc))
    ids = [item["id"] for item in doc[key]]
    assert ids == sorted(ids) and (count is None or len(ids) == count)
    assert run([*args, "--format", "json"], capsys)[1] == out


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_prints_each_schema(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema", name], capsys)
    assert code == 0 and json.loads(out) == schema(name)


# -- init -------------------------------------------------------------------------------


def _schema_target(policy: Path) -> Path:
    first = policy.read_text().splitlines()[0]
    m = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert m, first
    return (policy.parent / m.group(1)).resolve()


@pytest.mark.parametrize("bundled", ["default", "osi-only", "managed-service-provider"])
def test_init_writes_a_starter_validate_accepts(
    bundled: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["init", "--policy", bundled], capsys)
    policy = tmp_path / "policy.yaml"
    assert code == 0 and "policycheck validate policy.yaml" in out
    assert json.loads(_schema_target(policy).read_text()) == schema("policy")
    text = policy.read_text()
    rules = text.count("\n  - id: ")
    assert rules and text.count("\n  # ") >= rules  # a comment above each rule
    assert "# review when the license is not OSI-approved\n  - id: " in text or bundled != "default"
    code, out, err = run(["validate", "policy.yaml"], capsys)
    assert code == 0 and out.startswith("policy.yaml: ok") and err == ""
    assert run(["check", "redis@7.2.4", "--policy", "policy.yaml", *AS_OF], capsys)[0] == 0


def test_init_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "acme.yaml"
    target.write_text("mine\n")
    code, _, err = run(["init", str(target)], capsys)
    assert code == 2 and "file exists; not overwritten" in err and "--force" in err
    assert target.read_text() == "mine\n"
    assert run(["init", str(target), "--force"], capsys)[0] == 0
    assert "# Check it:   policycheck validate acme.yaml" in target.read_text()
    assert run(["init", str(tmp_path), "--policy", "permissive-only"], capsys)[0] == 0
    assert (tmp_path / "policy.yaml").is_file()  # a folder gets policy.yaml


def test_init_suggests_a_bundled_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["init", str(tmp_path), "--policy", "osi_only"], capsys)
    assert code == 2 and "did you mean osi-only?" in err


def test_bundled_policies_point_at_a_schema_that_exists() -> None:
    for policy in sorted(data_dir("policies").rglob("*.yaml")):
        target = _schema_target(policy)
        assert target.is_file(), policy
        assert "policycheck.dev" not in policy.read_text()


def test_readme_points_editors_at_a_loadable_schema() -> None:
    readme = (ROOT / "README.md").read_text()
    for m in re.finditer(r"\$schema=(\S+)", readme):
        assert not m.group(1).startswith("http"), m.group(0)


def test_readme_init_excerpt_is_what_init_writes() -> None:
    from policycheck.init import starter

    readme = (ROOT / "README.md").read_text()
    excerpt = readme.split("```sh\npolicycheck init\n```\n```yaml\n")[1].split("```")[0]
    written = starter("default", "policy.yaml").splitlines()
    pos = 0
    for want in excerpt.splitlines():
        if want == "...":
            continue
        pos = written.index(want, pos) + 1  # each line, in order
    assert written[0] == excerpt.splitlines()[0]


def test_readme_json_contract_lists_every_required_field() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## JSON output (a contract)")[1].split("\n## ")[0]
    report = schema("report")
    required = [*report["required"], *report["$defs"]["finding"]["required"]]
    missing = [key for key in required if f"`{key}`" not in section]
    assert not missing


# -- did you mean ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["check", "redis@7.4.0", "--policy", "defualt"], "did you mean default?"),
        (["check", "redis@7.4.0", "--use", "saaas"], "did you mean saas?"),
        (["check", "redis@7.4.0", "--format", "jsn"], "did you mean json?"),
        (["engines", "valky"], "unknown engine 'valky'; did you mean valkey?"),
        (["licenses", "MTI"], "did you mean MIT?"),
        (["schema", "polcy"], "did you mean policy?"),
    ],
)
def test_mistakes_say_what_was_probably_meant(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(args, capsys)
    assert code == 2 and fragment in err


def test_an_unknown_engine_stays_review_but_names_the_likely_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["check", "rediss@7.4.0", *AS_OF, "--format", "json"], capsys)
    [f] = json.loads(out)["findings"]
    assert code == 0 and f["verdict"] == "review" and not f["resolved"]
    assert "did you mean redis?" in f["rationale"][0] and "(fail closed)" in f["rationale"][0]
    _, text, _ = run(["check", "rediss@7.4.0", "--fail-on", "review", *AS_OF], capsys)
    assert "did you mean redis?" in text
    _, far, _ = run(["check", "postgres@16.1", *AS_OF, "--format", "json"], capsys)
    assert "did you mean" not in far


def test_hints_name_commands_not_repository_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "list.yaml").write_text("- a\n")
    (tmp_path / "bad.yaml").write_text("schema_version: 1\nname: x\n")
    for args in (
        ["validate", str(tmp_path / "list.yaml")],
        ["validate", "--kind", "policy", str(tmp_path / "list.yaml")],
        ["validate", str(tmp_path / "bad.yaml")],
        ["check", "redis@7.4.0", "--policy", "nope"],
    ):
        _, _, err = run(args, capsys)
        assert "policies/" not in err and "schemas/" not in err, err


# -- validate in one pass -------------------------------------------------------------------

BROKEN = """\
name: t
uses: [internal, saaas]
rules:
  - id: a
    when: {license: MTI}
    verdict: allow
    rationale: no
  - id: a
    when: {engine: valky}
    verdict: allow
    rationale: ok
elections:
  - {engine: redis, license: MIT, approved_by: me, reason: r}
waivers:
  - id: w1
    engine: redis
    verdict: allow
    reason: x
    approved_by: me
    approved_on: 2026-02-30
    expires: 2027-01-01
  - id: w1
    engine: redis
    verdict: allow
    reason: x
    approved_by: me
    approved_on: "2026-03-01"
    expires: "2026-01-01"
"""


def test_validate_reports_every_independent_error_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(BROKEN)
    code, out, err = run(["validate", str(path)], capsys)
    assert code == 2 and out == ""
    expected = [
        (1, "'schema_version' is a required property"),
        (2, "'saaas' is not one of: internal, saas, managed-service, distribution, modification; did you mean saas?"),
        (5, "unknown license id 'MTI'; did you mean MIT?"),
        (7, "rules/0/rationale: False is not of type 'string'"),
        (8, "duplicate rule id 'a'"),
        (9, "unknown engine 'valky'; did you mean valkey?"),
        (13, "election of MIT for redis (all versions): no catalogued release there offers it"),
        (20, "'2026-02-30' is not a real date (February 2026 has 28 days, not 30)"),
        (22, "duplicate waiver id 'w1'"),
        (28, "waiver 'w1' expires on 2026-01-01, before it was approved on 2026-03-01"),
    ]  # fmt: skip
    for line, message in expected:
        assert f"{path}:{line}: " in err and message in err, message
    lines = [int(m) for m in re.findall(rf"^error: {re.escape(str(path))}:(\d+):", err, re.M)]
    assert lines == sorted(lines) and len(lines) == len(expected)
    assert "quote the text, e.g. rationale: 'no'" in err


def test_a_valid_policy_still_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate", "default", "osi-only"], capsys)
    assert code == 0 and out.count(": ok (") == 2


# -- ENGINE@VERSION with an image variant -------------------------------------------------


@pytest.mark.parametrize(
    ("target", "version", "variant"),
    [
        ("redis@7.4.0-alpine", "7.4.0", "-alpine"),
        ("redis@7.4.0-bookworm", "7.4.0", "-bookworm"),
        ("valkey@8.1.1-alpine3.21", "8.1.1", "-alpine3.21"),
        ("dragonfly@v1.25.0-ubuntu", "1.25.0", "-ubuntu"),
        ("redis-stack@7.4.0-v3-arm64", "7.4.0", "-arm64"),
    ],
)
def test_a_variant_resolves_like_the_image_tag(
    target: str, version: str, variant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine, _, tag = target.partition("@")
    plain = tag.removesuffix(variant)
    _, out, _ = run(["check", target, f"{engine}@{plain}", *AS_OF, "--format", "json"], capsys)
    with_variant, without = json.loads(out)["findings"]
    assert with_variant["version"] == without["version"] and with_variant["version"].startswith(
        version
    )
    for key in ("license", "verdict", "rules", "effective_license"):
        assert with_variant[key] == without[key]
    [note] = [n for n in with_variant["notes"] if n.startswith("Requested as ")]
    assert repr(tag) in note and repr(variant) in note
    _, text, _ = run(["check", target, *AS_OF], capsys)
    assert f"(from {tag!r}, an image variant)" in text.splitlines()[2]


@pytest.mark.parametrize(
    "tag", ["7.4.0-alpine", "8.1.1-alpine3.21", "7.4-bookworm", "alpine", "7.4.0", "7.2", "e2e"]
)
def test_targets_and_image_tags_agree(tag: str) -> None:
    for engine in ("redis", "valkey"):
        component = engine_target(engine, tag)
        version, _floating, why = images.version_from_tag(
            tag, catalog().engines[engine].build_suffix
        )
        if why is None and version != tag:
            assert component.version == version, (engine, tag)
        else:
            assert component.version == tag and not component.notes


# -- diff --fail-on-change --------------------------------------------------------------------


def _sides(tmp_path: Path, base: str, head: str) -> tuple[str, str]:
    for side, image in (("base", base), ("head", head)):
        (tmp_path / side).mkdir()
        (tmp_path / side / "compose.yaml").write_text(f"services:\n  c:\n    image: {image}\n")
    return str(tmp_path / "base"), str(tmp_path / "head")


def test_fail_on_change_license_fails_when_the_verdict_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = _sides(tmp_path, "redis:7.4.0", "redis:8.2.1")
    code, out, _ = run(["diff", base, head, *AS_OF], capsys)
    assert code == 0 and "verdict review" in out  # the verdict stays review
    code, out, _ = run(["diff", base, head, *AS_OF, "--fail-on-change", "license"], capsys)
    assert code == 1
    assert (
        "FAILED (--fail-on-change license): license of 1 component(s) changed, 0 component(s) added"
        in out
    )
    code, out, _ = run(["diff", base, head, *AS_OF, "--fail-on-change", "verdict"], capsys)
    assert code == 0
    code, out, _ = run(
        ["diff", base, head, *AS_OF, "--fail-on-change", "license", "--format", "json"], capsys
    )
    doc = json.loads(out)
    assert not list(validator("diff").iter_errors(doc))
    assert doc["fail_on_change"] == ["license"] and doc["failed"] is True


def test_fail_on_change_verdict_and_removals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = _sides(tmp_path, "redis:7.2.4", "redis:7.4.0")
    assert run(["diff", base, head, *AS_OF], capsys)[0] == 0  # allow -> review, below deny
    assert run(["diff", base, head, *AS_OF, "--fail-on-change", "verdict"], capsys)[0] == 1
    # head removes the engine: nothing new is deployed, so nothing fails
    (Path(head) / "compose.yaml").write_text("services:\n  c:\n    image: nginx:1.27\n")
    assert run(["diff", base, head, *AS_OF, "--fail-on-change", "license"], capsys)[0] == 0
