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
from policycheck.cli import main
from policycheck.data import schema, validator
from policycheck.diff import (
    DIFF_SCHEMA_VERSION,
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
    repo: Path | None = None,
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


def init_repo(parent: Path, name: str = "repo") -> Path:
    """An empty git repository in ``parent/name``."""
    repo = parent / name
    repo.mkdir()
    git(repo, "init", "-q")
    return repo


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
    assert caught.value.path == spec
    assert caught.value.message == (
        "base is neither an existing file or directory nor a revision of the git "
        f"repository {repo.resolve()}"
    )
    assert caught.value.hint


def test_unknown_revision_hint_says_to_fetch(tmp_path: Path, default_policy: Policy) -> None:
    repo = init_repo(tmp_path)
    commit_file(repo, "compose.yaml", compose("redis:7.2.4"), "base")
    with pytest.raises(InputError) as caught:
        run_diff("HEAD", "origin/main", default_policy, repo=repo)
    assert caught.value.message.startswith("head is neither")
    assert caught.value.hint is not None and "git fetch origin main" in caught.value.hint


@pytest.fixture
def no_repo_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path``, with git stopped from finding a repository above it."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return tmp_path


def test_not_a_repository_is_input_error(no_repo_above: Path, default_policy: Policy) -> None:
    with pytest.raises(InputError) as caught:
        run_diff("HEAD", "HEAD", default_policy, repo=no_repo_above)
    assert caught.value.path == str(no_repo_above)
    assert caught.value.message == "--repo: not a git repository"
    assert caught.value.hint is not None and "--repo" in caught.value.hint


def test_missing_repo_directory_is_input_error(tmp_path: Path, default_policy: Policy) -> None:
    with pytest.raises(InputError) as caught:
        run_diff("HEAD~1", "HEAD", default_policy, repo=tmp_path / "nope")
    assert caught.value.message == "--repo: no such directory"


def test_default_repo_outside_a_repository_names_the_current_directory(
    no_repo_above: Path, default_policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(no_repo_above)
    with pytest.raises(InputError) as caught:
        run_diff("main", "HEAD", default_policy)
    assert caught.value.path == str(no_repo_above)
    assert caught.value.message == "current directory (default --repo): not a git repository"


def test_two_paths_need_no_repository(
    no_repo_above: Path, default_policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, head = two_dirs(no_repo_above, compose("redis:7.2.4"), compose("redis:7.4.0"))
    monkeypatch.chdir(no_repo_above)
    (change,) = run_diff("base", "head", default_policy).changes
    assert change.kind == "changed"


def test_path_that_does_not_exist_is_input_error(tmp_path: Path, default_policy: Policy) -> None:
    repo = init_repo(tmp_path)
    commit_file(repo, "compose.yaml", compose("redis:7.2.4"), "base")
    missing = str(tmp_path / "deploy" / "compose.yaml")
    with pytest.raises(InputError) as caught:
        run_diff("HEAD", missing, default_policy, repo=repo)
    assert caught.value.path == missing
    assert caught.value.message.startswith("head is neither an existing file or directory")


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
        "fail_on_change",
        "base",
        "head",
        "changes",
        "errors",
        "summary",
        "failed",
    ]
    assert second["policy"] == {"name": default_policy.name, "sha256": default_policy.sha256}
    assert not list(validator("diff").iter_errors(second))
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


# -- --repo, per-side input errors, the CLI -------------------------------------------

BROKEN_COMPOSE = "services:\n  cache:\n    image: valkey/valkey:8.1.1\n    ports: [6379\n"


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*args, "--as-of", AS_OF.isoformat()])
    out, err = capsys.readouterr()
    return code, out, err


def bump_repo(parent: Path) -> Path:
    """A repository whose last commit bumps redis 7.2.4 -> 7.4.0 in deploy/compose.yaml."""
    repo = init_repo(parent)
    commit_file(repo, "deploy/compose.yaml", compose("redis:7.2.4"), "redis 7.2")
    commit_file(repo, "deploy/compose.yaml", compose("redis:7.4.0"), "redis 7.4")
    return repo


def broken_head_repo(parent: Path) -> Path:
    """HEAD~1: a/ has redis 7.2.4, b/ has valkey 8.0.1. HEAD: a/ bumps redis to 7.4.0
    and b/compose.yaml becomes malformed YAML."""
    repo = init_repo(parent)
    (repo / "a").mkdir()
    (repo / "a" / "compose.yaml").write_text(compose("redis:7.2.4"))
    commit_file(repo, "b/compose.yaml", compose("valkey/valkey:8.0.1"), "base")
    (repo / "a" / "compose.yaml").write_text(compose("redis:7.4.0"))
    commit_file(repo, "b/compose.yaml", BROKEN_COMPOSE, "bump redis, break b")
    return repo


def test_cli_repo_option_resolves_revisions_from_another_directory(
    no_repo_above: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = bump_repo(no_repo_above)
    monkeypatch.chdir(no_repo_above)  # not a repository: only --repo can make this work
    code, out, err = cli(
        ["diff", "HEAD~1", "HEAD", "--repo", "repo", "--fail-on", "review"], capsys
    )
    assert code == 1, err
    assert "CHANGED redis at deploy/compose.yaml:" in out
    assert "7.2.4 -> 7.4.0; license BSD-3-Clause -> LicenseRef-scancode-rsalv2 OR SSPL-1.0" in out
    assert err == ""
    code, out, _ = cli(["diff", "HEAD~1", "HEAD", "--repo", str(repo), "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0  # raised to review only; --fail-on deny
    assert doc["head"]["commit"] == git(repo, "rev-parse", "HEAD")
    assert not list(validator("diff").iter_errors(doc))


def test_repo_subdirectory_compares_only_that_subdirectory(
    tmp_path: Path, default_policy: Policy
) -> None:
    repo = init_repo(tmp_path)
    (repo / "other").mkdir()
    (repo / "other" / "compose.yaml").write_text(compose("memcached:1.6.29"))
    commit_file(repo, "deploy/compose.yaml", compose("redis:7.2.4"), "base")
    (repo / "other" / "compose.yaml").write_text(compose("valkey/valkey:8.0.1"))
    commit_file(repo, "deploy/compose.yaml", compose("redis:7.4.0"), "head")
    diff = run_diff("HEAD~1", "HEAD", default_policy, repo=repo / "deploy")
    assert [(c.kind, c.engine, c.path) for c in diff.changes] == [
        ("changed", "redis", "compose.yaml")
    ]
    # ...and a path side for the same subdirectory lines up with it.
    assert run_diff("HEAD", repo / "deploy", default_policy, repo=repo / "deploy").changes == []


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--repo", "{tmp}"], "{tmp}: --repo: not a git repository\n  hint: give --repo"),
        (["--repo", "{tmp}/nope"], "{tmp}/nope: --repo: no such directory\n  hint: "),
    ],
)
def test_cli_bad_repo_is_a_clear_error(
    no_repo_above: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected: str,
) -> None:
    args = [a.format(tmp=no_repo_above) for a in argv]
    code, out, err = cli(["diff", "origin/main", "HEAD", *args], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("error: " + expected.format(tmp=no_repo_above))
    assert "Traceback" not in err


def test_cli_unknown_revision_and_missing_path_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = bump_repo(tmp_path)
    code, out, err = cli(["diff", "no-such-branch", "HEAD", "--repo", str(repo)], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("error: no-such-branch: base is neither an existing file")
    assert "hint: check the spelling" in err
    missing = str(tmp_path / "nope.yaml")
    code, out, err = cli(["diff", "HEAD", missing, "--repo", str(repo)], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {missing}: head is neither an existing file")
    assert f"hint: no such file in {tmp_path}; paths are relative to the current" in err


def test_error_in_one_file_is_reported_per_side_and_hides_no_other_change(
    tmp_path: Path, default_policy: Policy
) -> None:
    repo = broken_head_repo(tmp_path)
    diff = run_diff("HEAD~1", "HEAD", default_policy, Verdict.REVIEW, repo=repo)

    redis = next(c for c in diff.changes if c.engine == "redis")
    assert (redis.kind, redis.path, redis.errors_on) == ("changed", "a/compose.yaml", ())
    assert redis.raised and diff.failed
    valkey = next(c for c in diff.changes if c.engine == "valkey")
    assert (valkey.kind, valkey.path, valkey.errors_on) == ("removed", "b/compose.yaml", ("head",))
    ((side, err),) = diff.errors
    assert (side, err.path, err.line) == ("head", "b/compose.yaml", 5)
    assert err.message.startswith("YAML syntax error")

    text = render_text(diff)
    assert f"ERROR   head HEAD: b/compose.yaml:5: {err.message}\n  hint: " in text
    assert (
        "REMOVED valkey at b/compose.yaml:3: 8.0.1 (BSD-3-Clause, allow) [input error in this file on head"
        in text
    )
    assert "CHANGED redis at a/compose.yaml:" in text
    assert text.splitlines()[-2].endswith("1 verdict(s) raised; 1 input error(s)")

    doc = to_json(diff)
    assert not list(validator("diff").iter_errors(doc))
    assert doc["errors"] == [
        {
            "side": "head",
            "path": "b/compose.yaml",
            "line": 5,
            "message": err.message,
            "hint": err.hint,
        }
    ]
    assert [c["errors_on"] for c in doc["changes"]] == [[], ["head"]]


def test_cli_input_errors_exit_2_unless_skip_unparsable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = broken_head_repo(tmp_path)
    args = ["diff", "HEAD~1", "HEAD", "--repo", str(repo), "--fail-on", "review"]
    code, out, err = cli(args, capsys)
    assert code == 2  # the input error wins over the failing drift (which alone exits 1)
    assert "CHANGED redis at a/compose.yaml" in out
    assert err.startswith("error: head HEAD: b/compose.yaml:5: YAML syntax error")

    code, out, err = cli([*args, "--skip-unparsable"], capsys)
    assert code == 1
    assert err.startswith("warning: head HEAD: b/compose.yaml:5: YAML syntax error")

    code, out, err = cli([*args, "--skip-unparsable", "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 1
    assert [(e["side"], e["path"], e["line"]) for e in doc["errors"]] == [
        ("head", "b/compose.yaml", 5)
    ]
    assert doc["schema_version"] == "1.2"
    assert not list(validator("diff").iter_errors(doc))


def test_errors_on_both_sides_name_each_side_and_file(
    tmp_path: Path, default_policy: Policy, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "compose.old.yaml", tmp_path / "compose.new.yaml"
    old.write_bytes(b"services:\n  cache:\n    image: redis:7.2.4 \xff\n")  # not UTF-8
    new.write_text(compose("redis:7.4.0", "valkey/valkey:8.0.1"))
    diff = run_diff(old, new, default_policy, Verdict.REVIEW)
    assert [(s, e.path, e.line, e.message) for s, e in diff.errors] == [
        ("base", "compose.old.yaml", 3, "file is not valid UTF-8")
    ]  # the base file's own name, not the head file's
    assert {(c.kind, c.engine, c.errors_on) for c in diff.changes} == {
        ("added", "redis", ("base",)),
        ("added", "valkey", ("base",)),
    }
    assert diff.failed  # an unreadable base must not let a review engine in unnoticed
    assert f"ERROR   base {old}: compose.old.yaml:3: file is not valid UTF-8" in render_text(diff)

    new.write_text(BROKEN_COMPOSE)
    code, out, err = cli(["diff", str(old), str(new), "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 2
    assert [(e["side"], e["path"]) for e in doc["errors"]] == [
        ("base", "compose.old.yaml"),
        ("head", "compose.new.yaml"),
    ]
    assert doc["changes"] == []
    assert err.splitlines()[0] == f"error: base {old}: compose.old.yaml:3: file is not valid UTF-8"
    assert any(
        line.startswith(f"error: head {new}: compose.new.yaml:5: ") for line in err.splitlines()
    )


def test_schema_version_matches_the_bundled_schema() -> None:
    assert schema("diff")["properties"]["schema_version"] == {"const": DIFF_SCHEMA_VERSION}
    assert DIFF_SCHEMA_VERSION == "1.2"


def test_schema_rejects_what_the_diff_must_not_emit(tmp_path: Path, default_policy: Policy) -> None:
    """The schema is a contract, not a rubber stamp: wrong shapes fail it."""
    base, head = two_dirs(tmp_path, compose("redis:7.2.4"), compose("redis:7.4.0"))
    doc = to_json(run_diff(base, head, default_policy))
    assert not list(validator("diff").iter_errors(doc))
    bad_change = {**doc["changes"][0], "kind": "added"}  # added with a base side
    bad_error = {"side": "left", "path": None, "line": None, "message": "x", "hint": None}
    for broken in (
        {**doc, "changes": [bad_change]},
        {**doc, "errors": [bad_error]},
        {**doc, "changes": [{k: v for k, v in doc["changes"][0].items() if k != "errors_on"}]},
    ):
        assert list(validator("diff").iter_errors(broken))


class ChattySource(FakeComposeSource):
    """A source whose error message and hint name the file by its display path."""

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        if "broken" in text:
            raise InputError(f"conflicts with {display}", display, 1, f"edit {display}")
        yield from super().collect(path, text, display)


def test_error_text_names_files_relative_to_the_repository(
    tmp_path: Path, default_policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revision is scanned in a temp dir whose name must not reach messages or JSON."""
    all_sources.cache_clear()
    monkeypatch.setattr(policycheck.walk, "all_sources", lambda: (ChattySource(),))
    repo = init_repo(tmp_path)
    commit_file(repo, "k8s/compose.yaml", "# broken\n" + compose("redis:7.2.4"), "base")
    commit_file(repo, "k8s/compose.yaml", compose("redis:7.4.0"), "head")
    diff = run_diff("HEAD~1", "HEAD", default_policy, repo=repo)
    ((side, err),) = diff.errors
    assert (side, str(err)) == (
        "base",
        "k8s/compose.yaml:1: conflicts with k8s/compose.yaml\n  hint: edit k8s/compose.yaml",
    )
    assert diff.error_lines() == [f"base HEAD~1: {err}"]
    (change,) = diff.changes
    assert (change.kind, change.errors_on) == ("added", ("base",))
