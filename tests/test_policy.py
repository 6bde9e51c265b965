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
