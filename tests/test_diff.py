"""License drift between revisions: matching, git sides, renderers and fail rules."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import random
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import policycheck.walk
from policycheck.diff import (
    DiffReport,
    SideFacts,
    diff_revisions,
    pair_group,
    render_text,
    to_json,
)
from policycheck.errors import InputError
from policycheck.images import component_for_image
from policycheck.model import Component, Location
from policycheck.policy import Policy, Verdict
from policycheck.sources import all_sources
from policycheck.sources.interface import Source

AS_OF = dt.date(2026, 11, 27)
IMAGE_LINE = re.compile(r"^\s*image:\s*[\"']?([^\s\"'#]+)")


class FakeComposeSource(Source):
    """Stand-in for the compose source while it is being written: ``image:`` lines."""

    name = "fake-compose"
    priority = 10

    def claims(self, path: Path, head: bytes) -> bool:
        return "compose" in path.name and path.suffix in (".yaml", ".yml")

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        for number, line in enumerate(text.splitlines(), start=1):
            m = IMAGE_LINE.match(line)
            if m:
                found = component_for_image(m.group(1), Location(display, number, line.strip()))
                if found is not None:
                    yield found


@pytest.fixture(autouse=True)
def compose_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the real compose source when it exists, else the stand-in."""
    if importlib.util.find_spec("policycheck.sources.compose") is not None:
        return
    all_sources.cache_clear()
    monkeypatch.setattr(policycheck.walk, "all_sources", lambda: (FakeComposeSource(),))


def compose(*images: str, padding: int = 0) -> str:
    """A compose file with one service per image; ``padding`` comment lines on top."""
    lines = ["# generated"] * padding + ["services:"]
    for i, image in enumerate(images):
        lines += [f"  svc{i}:", f"    image: {image}", "    restart: always"]
    return "\n".join(lines) + "\n"


def image_line(text: str, image: str) -> int:
    """The 1-based line on which ``image`` appears."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if image in line)


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        check=True,
        text=True,
    )
    return done.stdout.strip()


def commit_file(repo: Path, rel: str, text: str, message: str) -> str:
    target = repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def run_diff(
    base: Path | str,
    head: Path | str,
    policy: Policy,
    fail_on: Verdict = Verdict.DENY,
    repo: Path = Path("."),
    exclude: tuple[str, ...] = (),
) -> DiffReport:
    return diff_revisions(str(base), str(head), policy, AS_OF, fail_on, exclude, repo)


def two_dirs(
    tmp_path: Path, base_text: str, head_text: str, name: str = "compose.yaml"
) -> tuple[Path, Path]:
    base, head = tmp_path / "base", tmp_path / "head"
    for root, text in ((base, base_text), (head, head_text)):
        (root / "app").mkdir(parents=True)
        (root / "app" / name).write_text(text)
    return base, head


def test_git_revisions_tag_bump_is_one_changed_entry(
    tmp_path: Path, default_policy: Policy
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    old_text = compose("redis:7.2.4")
    base_commit = commit_file(repo, "deploy/compose.yaml", old_text, "redis 7.2")
    new_text = compose("redis:7.4.0", padding=2)
    head_commit = commit_file(repo, "deploy/compose.yaml", new_text, "redis 7.4")

    diff = run_diff("HEAD~1", "HEAD", default_policy, Verdict.REVIEW, repo=repo)

    assert len(diff.changes) == 1
    change = diff.changes[0]
    assert (change.kind, change.engine, change.path) == ("changed", "redis", "deploy/compose.yaml")
    assert change.line == image_line(new_text, "redis:7.4.0")
    assert change.base is not None and change.head is not None
    assert change.base.line == image_line(old_text, "redis:7.2.4")
    assert (change.base.version, change.head.version) == ("7.2.4", "7.4.0")
    assert change.base.license == "BSD-3-Clause"
    assert change.head.license == "LicenseRef-scancode-rsalv2 OR SSPL-1.0"
    assert (change.base.verdict, change.head.verdict) == (Verdict.ALLOW, Verdict.REVIEW)
    assert change.changed == ["version", "license", "verdict"]
    assert change.raised and diff.failed
    assert diff.summary == {"added": 0, "removed": 0, "changed": 1, "raised": 1}
    doc = to_json(diff)
    assert (doc["base"]["commit"], doc["head"]["commit"]) == (base_commit, head_commit)
    assert doc["base"]["kind"] == "git"
    assert f"CHANGED redis at deploy/compose.yaml:{change.line}: 7.2.4 -> 7.4.0; " in render_text(
        diff
    )
    assert (
        "license BSD-3-Clause -> LicenseRef-scancode-rsalv2 OR SSPL-1.0; verdict allow -> review"
        in render_text(diff)
    )


def test_raised_to_review_does_not_fail_when_failing_on_deny(
    tmp_path: Path, default_policy: Policy
) -> None:
    base, head = two_dirs(tmp_path, compose("redis:7.2.4"), compose("redis:7.4.0"))
    diff = run_diff(base, head, default_policy, Verdict.DENY)
    assert diff.changes[0].raised
    assert not diff.failed


def test_added_and_removed_engines(tmp_path: Path, default_policy: Policy) -> None:
    base, head = two_dirs(
        tmp_path,
        compose("redis:7.2.4", "memcached:1.6.29"),
        compose(
            "redis:7.2.4",
            "valkey/valkey:8.0.1",
            "docker.dragonflydb.io/dragonflydb/dragonfly:v1.25.0",
        ),
    )
    diff = run_diff(base, head, default_policy, Verdict.REVIEW)
    kinds = {(c.kind, c.engine) for c in diff.changes}
    assert kinds == {("removed", "memcached"), ("added", "valkey"), ("added", "dragonfly")}
    removed = next(c for c in diff.changes if c.kind == "removed")
    assert removed.head is None and removed.base is not None
    assert removed.line == image_line(compose("redis:7.2.4", "memcached:1.6.29"), "memcached")
    dragonfly = next(c for c in diff.changes if c.engine == "dragonfly")
    assert dragonfly.head is not None and dragonfly.head.verdict == Verdict.REVIEW
    assert not dragonfly.raised  # raised is for matched components only
    assert diff.failed  # an added component at review fails --fail-on review
    assert diff.summary == {"added": 2, "removed": 1, "changed": 0, "raised": 0}
    text = render_text(diff)
    assert "REMOVED memcached at app/compose.yaml:" in text
    assert "ADDED valkey at app/compose.yaml:" in text and "8.0.1 (BSD-3-Clause, allow)" in text


def test_added_allow_component_does_not_fail(tmp_path: Path, default_policy: Policy) -> None:
    base, head = two_dirs(
        tmp_path, compose("redis:7.2.4"), compose("redis:7.2.4", "valkey/valkey:8.0.1")
    )
    diff = run_diff(base, head, default_policy, Verdict.REVIEW)
    assert [c.kind for c in diff.changes] == ["added"]
    assert not diff.failed


def test_license_change_is_reported_even_when_both_sides_allow(
    tmp_path: Path, default_policy: Policy
) -> None:
    base, head = two_dirs(
        tmp_path, compose("apache/kvrocks:2.0.6"), compose("apache/kvrocks:2.1.0")
    )
    diff = run_diff(base, head, default_policy, Verdict.ALLOW)
    (change,) = diff.changes
    assert change.changed == ["version", "license"]
    assert change.base is not None and change.head is not None
    assert (change.base.license, change.head.license) == ("BSD-3-Clause", "Apache-2.0")
    assert change.head.verdict == Verdict.ALLOW and not change.raised
    assert not diff.failed  # not added, not raised: even --fail-on allow passes
    assert "license BSD-3-Clause -> Apache-2.0; verdict allow" in render_text(diff)


def test_version_change_with_same_license_and_verdict_is_reported(
    tmp_path: Path, default_policy: Policy
) -> None:
    base, head = two_dirs(tmp_path, compose("redis:7.2.4"), compose("redis:7.2.5"))
    (change,) = run_diff(base, head, default_policy).changes
    assert change.changed == ["version"]


def test_moved_line_and_unchanged_components_are_not_listed(
    tmp_path: Path, default_policy: Policy
) -> None:
    base, head = two_dirs(
        tmp_path,
        compose("redis:7.2.4", "valkey/valkey:8.0.1"),
        compose("valkey/valkey:8.0.1", "redis:7.2.4", padding=5),
    )
    diff = run_diff(base, head, default_policy)
    assert diff.changes == []
    assert "no license drift" in render_text(diff)


def test_new_occurrence_above_old_one_is_added_not_changed(
    tmp_path: Path, default_policy: Policy
) -> None:
    head_text = compose("redis:7.4.0", "redis:7.2.4")
    base, head = two_dirs(tmp_path, compose("redis:7.2.4"), head_text)
    (change,) = run_diff(base, head, default_policy).changes
    assert change.kind == "added"
    assert change.head is not None and change.head.version == "7.4.0"
    assert change.line == image_line(head_text, "redis:7.4.0")


def test_same_file_in_other_directory_is_added_and_removed(
    tmp_path: Path, default_policy: Policy
) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    (base / "a").mkdir(parents=True)
    (head / "b").mkdir(parents=True)
    (base / "a" / "compose.yaml").write_text(compose("redis:7.2.4"))
    (head / "b" / "compose.yaml").write_text(compose("redis:7.2.4"))
    diff = run_diff(base, head, default_policy)
    assert sorted((c.kind, c.path) for c in diff.changes) == [
        ("added", "b/compose.yaml"),
        ("removed", "a/compose.yaml"),
    ]


def test_two_files_with_different_names_compare_as_one(
    tmp_path: Path, default_policy: Policy
) -> None:
    old = tmp_path / "compose.old.yaml"
    new = tmp_path / "compose.new.yaml"
    old.write_text(compose("redis:7.2.4"))
    new.write_text(compose("redis:7.4.0"))
    (change,) = run_diff(old, new, default_policy).changes
    assert (change.kind, change.path) == ("changed", "compose.new.yaml")


def test_path_against_git_revision(tmp_path: Path, default_policy: Policy) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit_file(repo, "compose.yaml", compose("redis:7.2.4"), "base")
    (repo / "compose.yaml").write_text(compose("redis:7.2.4", "valkey/valkey:8.0.1"))
    diff = run_diff("HEAD", repo, default_policy, repo=repo)
    assert [(c.kind, c.engine, c.path) for c in diff.changes] == [
        ("added", "valkey", "compose.yaml")
    ]
    assert to_json(diff)["head"] == {"spec": str(repo), "kind": "path", "commit": None}


@pytest.mark.parametrize("spec", ["no-such-branch", "--output=x", "HEAD~5"])
def test_bad_revision_is_input_error(tmp_path: Path, default_policy: Policy, spec: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit_file(repo, "compose.yaml", compose("redis:7.2.4"), "base")
    with pytest.raises(InputError) as caught:
        run_diff(spec, "HEAD", default_policy, repo=repo)
    assert caught.value.message == "not a path or a git revision"
    assert caught.value.hint


def test_not_a_repository_is_input_error(tmp_path: Path, default_policy: Policy) -> None:
    with pytest.raises(InputError, match="not a path or a git revision"):
        run_diff("HEAD", "HEAD", default_policy, repo=tmp_path)


def test_exclude_applies_to_both_sides(tmp_path: Path, default_policy: Policy) -> None:
    base, head = two_dirs(tmp_path, compose("redis:7.2.4"), compose("redis:7.4.0"))
    assert run_diff(base, head, default_policy, exclude=("app/*",)).changes == []


def test_json_is_deterministic_and_ordered(tmp_path: Path, default_policy: Policy) -> None:
    base, head = two_dirs(
        tmp_path,
        compose("memcached:1.6.29", "redis:7.2.4"),
        compose("redis:7.4.0", "valkey/valkey:8.0.1", "apache/kvrocks:2.1.0"),
    )
    first = json.dumps(to_json(run_diff(base, head, default_policy)))
    second = to_json(run_diff(base, head, default_policy))
    assert first == json.dumps(second)
    assert list(second) == [
        "schema_version",
        "tool",
        "policy",
        "as_of",
        "fail_on",
        "base",
        "head",
        "changes",
        "errors",
        "summary",
        "failed",
    ]
    assert second["policy"] == {"name": default_policy.name, "sha256": default_policy.sha256}
    lines = [c["line"] for c in second["changes"]]
    assert lines == sorted(lines)
    assert second["summary"] == {"added": 2, "removed": 1, "changed": 1, "raised": 1}


FACTS = st.builds(
    SideFacts,
    version=st.sampled_from(["7.2.4", "7.4.0", "8.0.1", None]),
    license=st.sampled_from(["BSD-3-Clause", "Apache-2.0"]),
    verdict=st.sampled_from(list(Verdict)),
    line=st.integers(1, 50),
)


@given(st.lists(FACTS, max_size=6), st.lists(FACTS, max_size=6))
def test_pairing_uses_every_occurrence_exactly_once(
    base: list[SideFacts], head: list[SideFacts]
) -> None:
    pairs = list(pair_group(base, head))
    assert sorted(id(b) for b, _ in pairs if b is not None) == sorted(id(b) for b in base)
    assert sorted(id(h) for _, h in pairs if h is not None) == sorted(id(h) for h in head)
    one_sided = sum(b is None or h is None for b, h in pairs)
    assert one_sided == abs(len(base) - len(head))


@given(st.lists(FACTS, max_size=6), st.randoms())
def test_reordering_identical_occurrences_is_no_change(
    base: list[SideFacts], rnd: random.Random
) -> None:
    head = list(base)
    rnd.shuffle(head)
    assert all(
        b is not None and h is not None and b.compared() == h.compared()
        for b, h in pair_group(base, head)
    )
