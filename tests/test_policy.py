"""Policy loading: every mistake is reported with file, line and a hint, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from policycheck.errors import InputError
from policycheck.policy import bundled_names, check_policy, load_policy

GOOD = """\
schema_version: 1
name: acme
uses: [internal, saas]
rules:
  - id: allow-permissive
    when: {category: permissive}
    verdict: allow
    rationale: fine
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def errors_of(tmp_path: Path, text: str) -> list[InputError]:
    result = check_policy(write(tmp_path, text))
    assert isinstance(result, list), "expected errors"
    return result


def test_bundled_policies_load() -> None:
    assert bundled_names() == ["default", "managed-service-provider", "osi-only", "permissive-only"]
    for name in bundled_names():
        policy = load_policy(name)
        assert policy.rules and len(policy.sha256) == 64


def test_good_policy_loads(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, GOOD))
    assert policy.name == "acme" and [u.value for u in policy.uses] == ["internal", "saas"]


@pytest.mark.parametrize(
    ("replace", "by", "line", "fragment"),
    [
        ("verdict: allow", "verdict: permit", 7, "'permit' is not one of: allow, review, deny"),
        ("[internal, saas]", "[internal, hosting]", 3, "'hosting' is not one of"),
        ("category: permissive", "category: permisive", 6, "is not valid"),
        ("category: permissive", "license: RSAL-3", 6, "unknown license id 'RSAL-3'"),
        ("category: permissive", "engine: redus", 6, "unknown engine 'redus'"),
        ("category: permissive", "engine: redis, versions: '>=x'", 6, "bad version range"),
        ("    rationale: fine", "    rationale: fine\n    colour: red", 9, "unknown key"),
        ("uses: [internal, saas]", "uses: [internal, saas", 4, "YAML syntax error"),
    ],
)
def test_errors_name_the_line(
    tmp_path: Path, replace: str, by: str, line: int, fragment: str
) -> None:
    errors = errors_of(tmp_path, GOOD.replace(replace, by))
    first = errors[0]
    assert first.path and first.path.endswith("policy.yaml")
    assert first.line == line, str(first)
    assert fragment in str(first), str(first)


def test_bad_date_in_waiver(tmp_path: Path) -> None:
    text = GOOD + (
        "waivers:\n  - id: W\n    engine: redis\n    verdict: allow\n    reason: r\n"
        "    approved_by: me\n    approved_on: '2026-02-30'\n    expires: '2027-01-01'\n"
    )
    errors = errors_of(tmp_path, text)
    assert errors[0].line == 15 and "not a real date" in errors[0].message


def test_missing_expiry_is_a_schema_error(tmp_path: Path) -> None:
    text = (
        GOOD
        + "waivers:\n  - id: W\n    engine: redis\n    verdict: allow\n    reason: r\n    approved_by: me\n    approved_on: '2026-01-01'\n"
    )
    errors = errors_of(tmp_path, text)
    assert "'expires' is a required property" in errors[0].message
    assert errors[0].line == 10


def test_unknown_policy_name_lists_bundled() -> None:
    with pytest.raises(InputError) as exc:
        load_policy("strict")
    assert "default" in (exc.value.hint or "")


def test_yaml_merge_keys_are_supported() -> None:
    from policycheck.yamlload import load_text

    doc = load_text("base: &b {image: redis:7.2.4, port: 1}\nsvc:\n  <<: *b\n  port: 2\n", "f.yaml")
    assert doc.value["svc"] == {"image": "redis:7.2.4", "port": 2}
    assert doc.line_of(("svc", "port")) == 4


# --- registries: mirrors and in-house images ------------------------------------------------

REGISTRIES = """\
registries:
  mirrors:
    - prefix: Artifactory.corp.example/dockerhub/
      of: index.docker.io
  images:
    corp/cache: {engine: redis-oss, tag: release, note: built by the platform team}
    corp/redis-hardened: redis
    registry.corp.example/team/kv: {engine: valkey, tag: line}
    corp/redis-backup: {engine: none}
"""


def test_registries_are_read_with_lines(tmp_path: Path) -> None:
    from policycheck.registries import DeclaredImage, Mirror

    policy = load_policy(write(tmp_path, GOOD + REGISTRIES))
    regs = policy.registries
    assert regs.mirrors == (Mirror("artifactory.corp.example/dockerhub", "docker.io", 11),)
    assert regs.images == (
        DeclaredImage("corp/cache", "redis", "release", "built by the platform team", 14),
        DeclaredImage("corp/redis-hardened", "redis", "image", None, 15),
        DeclaredImage("registry.corp.example/team/kv", "valkey", "line", None, 16),
        DeclaredImage("corp/redis-backup", None, "image", None, 17),
    )
    assert regs.source and regs.source.endswith("policy.yaml")
    assert policy.with_uses(policy.uses).registries == regs
    assert not load_policy(write(tmp_path, GOOD)).registries


@pytest.mark.parametrize(
    ("replace", "by", "line", "fragment"),
    [
        ("{engine: redis-oss,", "{engine: redus,", 14, "unknown engine 'redus'"),
        (
            "corp/redis-hardened: redis",
            "corp/redis-hardened: valkee",
            15,
            "unknown engine 'valkee'",
        ),
        ("tag: line}", "tag: minor}", 16, "'minor' is not one of: release, line, image"),
        ("{engine: none}", "{engine: none, tag: release}", 17, "runs no engine has no tag"),
        (
            "corp/redis-hardened: redis",
            "corp/redis-hardened:1.2: redis",
            15,
            "not an image repository",
        ),
        (
            "prefix: Artifactory",
            "prefix: mirror/Artifactory",
            11,
            "does not start with a registry host",
        ),
        ("      of: index.docker.io", "      of: docker.io\n      to: x", 13, "unknown key"),
        ("  images:", "  image:", 13, "unknown key"),
    ],
)
def test_registry_errors_name_the_line(
    tmp_path: Path, replace: str, by: str, line: int, fragment: str
) -> None:
    text = GOOD + REGISTRIES
    assert replace in text
    errors = errors_of(tmp_path, text.replace(replace, by))
    first = errors[0]
    assert first.line == line, str(first)
    assert fragment in str(first), str(first)


COMPOSE = """\
services:
  cache:
    image: registry.corp.example/corp/cache:7.4.0
  session:
    image: artifactory.corp.example/dockerhub/redis:7.2.5
  backup:
    image: corp/redis-backup:3
"""


def _scan(tmp_path: Path, jobs: int | None = None) -> list[tuple[str, str | None, int | None]]:
    import datetime as dt

    from policycheck.core import check
    from policycheck.walk import ScanOptions

    (tmp_path / "compose.yml").write_text(COMPOSE)
    policy = load_policy(write(tmp_path, GOOD + REGISTRIES))
    report = check([str(tmp_path)], policy, dt.date(2026, 9, 1), options=ScanOptions(jobs=jobs))
    assert report.errors == []
    return [(f.engine, f.version, f.location.line if f.location else None) for f in report.findings]


def test_check_honours_the_policys_registries(tmp_path: Path) -> None:
    """The in-house image names no engine: the walker's prefilter must still read the file."""
    assert _scan(tmp_path) == [("redis", "7.4.0", 3), ("redis", "7.2.5", 5)]


def test_scanning_workers_see_the_registries(tmp_path: Path) -> None:
    for i in range(3):
        sub = tmp_path / f"svc{i}"
        sub.mkdir()
        (sub / "compose.yml").write_text(COMPOSE)
    found = _scan(tmp_path, jobs=2)
    assert found.count(("redis", "7.4.0", 3)) == 4


def test_check_restores_the_registries_afterwards(tmp_path: Path) -> None:
    from policycheck import images

    _scan(tmp_path)
    assert not images.configured() and images.DECLARED_WORDS == ()


def test_loader_policy_with_registries_the_scan_missed_is_an_error(tmp_path: Path) -> None:
    import datetime as dt

    from policycheck.core import check

    (tmp_path / "compose.yml").write_text(COMPOSE)
    path = write(tmp_path, GOOD + REGISTRIES)
    report = check([str(tmp_path)], lambda: load_policy(path), dt.date(2026, 9, 1))
    assert [e.message for e in report.errors] == [
        "the policy declares registries, but the scan ran without them"
    ]


def test_cli_reads_registries_before_the_scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from policycheck.cli import main

    (tmp_path / "compose.yml").write_text(COMPOSE)
    policy = write(tmp_path, GOOD + REGISTRIES)
    code = main(["check", str(tmp_path / "compose.yml"), "--policy", policy, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    found = [(f["engine"], f["version"]) for f in json.loads(out)["findings"]]
    assert found == [("redis", "7.4.0"), ("redis", "7.2.5")]


def test_in_house_image_naming_no_engine_passes_the_prefilter(tmp_path: Path) -> None:
    """Files are skipped unless they name an engine; a declared image counts as one."""
    import datetime as dt

    from policycheck.core import check

    (tmp_path / "compose.yml").write_text("services:\n  app:\n    image: corp/cache:7.4.0\n")
    policy = load_policy(write(tmp_path, GOOD + REGISTRIES))
    report = check([str(tmp_path)], policy, dt.date(2026, 9, 1))
    assert [(f.engine, f.version) for f in report.findings] == [("redis", "7.4.0")]
    unaware = check([str(tmp_path)], load_policy(write(tmp_path, GOOD)), dt.date(2026, 9, 1))
    assert unaware.findings == []


def test_cli_stops_on_a_bad_registry_before_scanning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from policycheck.cli import main

    (tmp_path / "compose.yml").write_text(COMPOSE)
    policy = write(tmp_path, GOOD + REGISTRIES.replace("{engine: redis-oss,", "{engine: redus,"))
    code = main(["check", str(tmp_path / "compose.yml"), "--policy", policy])
    _, err = capsys.readouterr()
    assert code == 2
    assert "policy.yaml:14: unknown engine 'redus'" in err


def test_a_declared_in_house_image_is_found_in_kubernetes_manifests(tmp_path: Path) -> None:
    """The Kubernetes prefilter looks for engine words on image lines; a declared in-house
    image names none, so its name must count as one."""
    import datetime as dt

    from policycheck.core import check

    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: c}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: c\n"
        "          image: registry.corp.example/corp/cache:7.4.0\n"
    )
    policy = load_policy(write(tmp_path, GOOD + REGISTRIES))
    report = check([str(tmp_path)], policy, dt.date(2026, 9, 1))
    assert [
        (f.engine, f.version, f.location.line if f.location else None) for f in report.findings
    ] == [("redis", "7.4.0", 9)]
