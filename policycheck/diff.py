"""License drift between two revisions: what a change does to the engines' licenses.

A reviewer of a pull request does not want the full report twice; they want to know
whether the change *introduces* something the policy objects to. So both sides are
scanned and evaluated under the same policy and date, components are matched across
sides, and only differences are listed: an engine added or removed, or a matched
component whose version, license or verdict changed.

Matching is per file and engine. Components that are identical on both sides pair
first (so a line that only moved, or a new occurrence inserted above an old one, is
not a change); what is left pairs by occurrence order within the file, so bumping
``redis:7.2.4`` to ``redis:7.4.0`` is one "changed" entry, not an add and a remove.

A file one side cannot read or parse contributes no components on that side, so its
components on the other side show up as added or removed. Those entries are kept (an
unreadable base must not let a denied engine in unnoticed) but carry ``errors_on``,
and the error itself is reported per side, so a reader never takes an artefact of a
parse error for a real removal. An error in one file never hides changes in others.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from policycheck import __version__
from policycheck.core import collect
from policycheck.errors import InputError
from policycheck.evaluate import Evaluator
from policycheck.model import Finding
from policycheck.policy import Policy, Verdict
from policycheck.walk import ScanOptions

# 1.1: changes carry ``errors_on``.
DIFF_SCHEMA_VERSION = "1.2"
GIT_HINT = "give an existing file or directory, or a commit, branch or tag of the repository"
REVISION_HINT = (
    "check the spelling, or pass --repo DIR for another repository; in CI, fetch the "
    "revision first (e.g. git fetch origin main): shallow clones lack other branches and "
    "older commits"
)
REPO_HINT = (
    "give --repo the directory of a git checkout (in CI, where the checkout step wrote "
    "it), or compare two existing paths"
)

Kind = Literal["added", "removed", "changed"]
_KIND_ORDER = {"removed": 0, "changed": 1, "added": 2}


@dataclass(frozen=True)
class SideFacts:
    """What one side says about a component: the facts a diff compares."""

    version: str | None
    license: str | None
    verdict: Verdict
    line: int | None

    @classmethod
    def of(cls, finding: Finding) -> SideFacts:
        """The version as written (falling back to the resolved one) and effective license."""
        loc = finding.location
        return cls(
            version=finding.requested or finding.version,
            license=finding.effective_license or finding.license,
            verdict=finding.verdict,
            line=loc.line if loc else None,
        )

    def compared(self) -> tuple[str | None, str | None, Verdict]:
        """The facts whose difference makes a change (the line is not one)."""
        return (self.version, self.license, self.verdict)

    def to_json(self) -> dict[str, Any]:
        """JSON form: version, license, verdict, line."""
        return {
            "version": self.version,
            "license": self.license,
            "verdict": str(self.verdict),
            "line": self.line,
        }


@dataclass(frozen=True)
class Change:
    """One difference between base and head for one component."""

    kind: Kind
    engine: str
    path: str
    base: SideFacts | None
    head: SideFacts | None
    errors_on: tuple[str, ...] = ()
    """Sides ("base", "head") on which this file had an input error: the entry may then
    be an artefact of what could not be read rather than a real change."""

    @property
    def line(self) -> int | None:
        """The head line, or the base line for a removed component."""
        side = self.head or self.base
        return side.line if side else None

    @property
    def changed(self) -> list[str]:
        """Which of version, license and verdict differ (all three for add/remove)."""
        if self.base is None or self.head is None:
            return ["version", "license", "verdict"]
        names = ("version", "license", "verdict")
        pairs = zip(names, self.base.compared(), self.head.compared(), strict=True)
        return [name for name, old, new in pairs if old != new]

    @property
    def raised(self) -> bool:
        """True when a matched component's verdict got worse."""
        return (
            self.base is not None
            and self.head is not None
            and self.head.verdict > self.base.verdict
        )

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: by file, line, engine, kind."""
        side = self.head or self.base
        return (
            self.path,
            self.line or 0,
            self.engine,
            _KIND_ORDER[self.kind],
            (side.version or "") if side else "",
        )

    def to_json(self) -> dict[str, Any]:
        """JSON form of one change."""
        return {
            "kind": self.kind,
            "engine": self.engine,
            "path": self.path,
            "line": self.line,
            "base": self.base.to_json() if self.base else None,
            "head": self.head.to_json() if self.head else None,
            "changed": self.changed,
            "raised": self.raised,
            "errors_on": list(self.errors_on),
        }


@dataclass(frozen=True)
class SideInfo:
    """How a side was given: the text, whether it was a path or a git revision, the commit."""

    spec: str
    kind: Literal["path", "git"]
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"spec": self.spec, "kind": self.kind, "commit": self.commit}


@dataclass
class DiffReport:
    """The differences between two sides under one policy, and whether they fail the run."""

    policy: Policy
    as_of: dt.date
    base: SideInfo
    head: SideInfo
    changes: list[Change]
    fail_on: Verdict = Verdict.DENY
    errors: list[tuple[str, InputError]] = field(default_factory=list)
    fail_on_change: tuple[str, ...] = ()
    """Facts (``license``, ``verdict``) whose change fails the diff whatever the verdict:
    a CI job may stop on any license change even when the verdict stays review."""

    def __post_init__(self) -> None:
        self.changes.sort(key=Change.sort_key)
        self.errors.sort(key=lambda se: (se[0], se[1].path or "", se[1].line or 0, se[1].message))

    @property
    def failed(self) -> bool:
        """True when the change adds or raises a component to ``fail_on`` or worse, or
        changes a fact named in ``fail_on_change``.

        Findings already at that verdict on the base side do not fail a diff: they are
        the existing state, which ``policycheck check`` reports.
        """
        return self.raised_to_fail_on or bool(self.changed_facts)

    @property
    def raised_to_fail_on(self) -> bool:
        """True when a change adds or raises a component to ``fail_on`` or worse."""
        return any(
            c.head is not None
            and c.head.verdict >= self.fail_on
            and (c.kind == "added" or c.raised)
            for c in self.changes
        )

    @property
    def changed_facts(self) -> list[str]:
        """The ``fail_on_change`` facts that an added or changed entry changes (a removed
        entry takes nothing new into the deployment, so it never fails a diff)."""
        return [
            fact
            for fact in self.fail_on_change
            if any(c.head is not None and fact in c.changed for c in self.changes)
        ]

    def spec(self, side: str) -> str:
        """What the user gave for ``side`` ("base" or "head"), to name it in messages."""
        return self.base.spec if side == "base" else self.head.spec

    def error_lines(self) -> list[str]:
        """Each input error as ``base origin/main: k8s/redis.yaml:12: message`` (+ hint)."""
        return [f"{side} {self.spec(side)}: {err}" for side, err in self.errors]

    @property
    def summary(self) -> dict[str, int]:
        """Counts of added, removed and changed entries, and of raised verdicts."""
        return {
            "added": sum(c.kind == "added" for c in self.changes),
            "removed": sum(c.kind == "removed" for c in self.changes),
            "changed": sum(c.kind == "changed" for c in self.changes),
            "raised": sum(c.raised for c in self.changes),
        }


# -- materialising sides ----------------------------------------------------------------


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``repo`` without a shell; a missing git binary is an input problem."""
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=check, timeout=300
        )
    except FileNotFoundError:
        raise InputError(
            "git is not installed", hint="install git, or compare two paths instead"
        ) from None


def check_repository(repo: Path, explicit: bool = True) -> None:
    """Fail early, with what to do, when ``repo`` is not a git repository.

    Without this, every revision would be reported as unknown, which sends the user
    looking for a typo in the revision when the directory is what is wrong. Git's own
    reason is kept when it is not the usual one (e.g. "dubious ownership" in CI
    containers, which needs ``safe.directory``, not another directory). ``explicit``
    says whether the user named the directory with --repo or it is the default, the
    current directory, which the message then names in full.
    """
    shown = str(repo) if explicit else str(Path.cwd())
    what = "--repo" if explicit else "current directory (default --repo)"
    if not repo.is_dir():
        raise InputError(f"{what}: no such directory", shown, hint=REPO_HINT)
    done = _git(repo, "rev-parse", "--git-dir", check=False)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        detail = reason[0] if reason and "not a git repository" not in reason[0] else ""
        message = f"{what}: not a git repository" + (f" ({detail})" if detail else "")
        raise InputError(message, shown, hint=REPO_HINT)


def resolve_commit(spec: str, repo: Path, side: str = "side") -> str:
    """The commit id ``spec`` names in ``repo``; InputError when it names none.

    The message says both readings failed, since a side may be either: a mistyped path
    and an unfetched branch look the same from here.
    """
    message = (
        f"{side} is neither an existing file or directory nor a revision of the git "
        f"repository {repo.resolve()}"
    )
    if not spec or spec.startswith("-"):
        raise InputError(message, spec or None, hint=GIT_HINT)
    done = _git(repo, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}", check=False)
    if done.returncode != 0:
        parent = Path(spec).parent
        if str(parent) != "." and parent.is_dir():  # a path whose file is missing
            hint = f"no such file in {parent}; paths are relative to the current directory"
            raise InputError(message, spec, hint=hint)
        raise InputError(message, spec, hint=REVISION_HINT)
    return done.stdout.decode().strip()


def materialise(commit: str, repo: Path, into: Path) -> None:
    """Extract the tree of ``commit`` into ``into`` with ``git archive | tar -x``.

    ``git archive`` run in a subdirectory of a checkout archives only that subdirectory,
    so ``--repo checkout/deploy`` compares ``deploy/`` alone, with paths relative to it.
    """
    archive = subprocess.Popen(
        ["git", "-C", str(repo), "archive", "--format=tar", commit],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert archive.stdout is not None
    untar = subprocess.run(
        ["tar", "-x", "-C", str(into)], stdin=archive.stdout, capture_output=True, check=False
    )
    archive.stdout.close()
    _, git_err = archive.communicate()
    if archive.wait() != 0 or untar.returncode != 0:
        detail = (git_err or untar.stderr).decode(errors="replace").strip()
        raise InputError(f"cannot extract the tree of {commit}: {detail}", hint=GIT_HINT)


@contextmanager
def side_root(spec: str, repo: Path, side: str = "side") -> Iterator[tuple[Path, SideInfo]]:
    """The directory (or file) to scan for one side; a revision is extracted to a temp dir.

    A path is relative to the current directory, as anywhere on a command line; only
    revisions are looked up in ``repo``.
    """
    if spec and Path(spec).exists():
        yield Path(spec), SideInfo(spec, "path")
        return
    commit = resolve_commit(spec, repo, side)
    with tempfile.TemporaryDirectory(prefix="policycheck-diff-") as tmp:
        materialise(commit, repo, Path(tmp))
        yield Path(tmp), SideInfo(spec, "git", commit)


# -- scanning and matching -------------------------------------------------------------

_Key = tuple[str, str]


def _relative(display: str, root: Path, label: str | None) -> str:
    """The display path relative to the side root, so one file compares equal across sides."""
    if label is not None:
        return label
    prefix = str(root).rstrip("/") + "/"
    return display[len(prefix) :] if display.startswith(prefix) else display


@dataclass
class SideScan:
    """One side scanned: findings by (path, engine), its input errors, and the paths
    (as matched across sides) of the files those errors were met in."""

    groups: dict[_Key, list[Finding]]
    errors: list[tuple[str, InputError]]
    broken: set[str]


def _unroot(text: str | None, prefix: str) -> str | None:
    """``text`` without the side root: a temp dir name must not reach the output."""
    return text.replace(prefix, "") if text else text


def scan_side(
    root: Path,
    side: str,
    evaluator: Evaluator,
    exclude: tuple[str, ...],
    label: str | None,
) -> SideScan:
    """Findings of one side grouped by (relative path, engine), in line order, and errors.

    ``label`` replaces the path when the side is a single file, so comparing two files
    with different names still matches their components. Errors keep the file's own
    name, so a message about the base file does not name the head file.
    """
    scanned = collect([str(root)], ScanOptions(exclude))
    groups: dict[_Key, list[Finding]] = defaultdict(list)
    for component in scanned.components:
        finding = evaluator.evaluate(component)
        loc = finding.location
        path = _relative(loc.path, root, label) if loc else ""
        groups[(path, finding.engine)].append(finding)
    for found in groups.values():
        found.sort(key=lambda f: ((f.location.line or 0) if f.location else 0, f.requested or ""))
    errors = []
    broken: set[str] = set()
    prefix = str(root).rstrip("/") + "/"
    own_name = root.name if label is not None else None
    for err in scanned.errors:
        if err.path is not None:
            broken.add(_relative(err.path, root, label))
            err.path = _relative(err.path, root, own_name)
        elif label is not None:
            broken.add(label)
        err.message = _unroot(err.message, prefix) or err.message
        err.hint = _unroot(err.hint, prefix)
        errors.append((side, err))
    return SideScan(groups, errors, broken)


def pair_group(
    base: list[SideFacts], head: list[SideFacts]
) -> Iterator[tuple[SideFacts | None, SideFacts | None]]:
    """Pair one file's occurrences of one engine across sides.

    Identical occurrences pair first, in order (a moved or untouched line is no change);
    the rest pair by occurrence order (a bumped tag is one change), and any surplus is
    added or removed.
    """
    head_left = list(head)
    base_left: list[SideFacts] = []
    for b in base:
        twin = next((h for h in head_left if h.compared() == b.compared()), None)
        if twin is None:
            base_left.append(b)
        else:
            head_left.remove(twin)
            yield b, twin
    for i in range(max(len(base_left), len(head_left))):
        yield (
            base_left[i] if i < len(base_left) else None,
            head_left[i] if i < len(head_left) else None,
        )


def compare(
    base: dict[_Key, list[Finding]],
    head: dict[_Key, list[Finding]],
    broken: dict[str, set[str]] | None = None,
) -> list[Change]:
    """Every difference between the two sides' grouped findings.

    ``broken`` maps "base"/"head" to the paths that side could not read in full; changes
    in those files are marked with the sides concerned.
    """
    broken = broken or {}
    changes: list[Change] = []
    for key in sorted(set(base) | set(head)):
        path, engine = key
        errors_on = tuple(s for s in ("base", "head") if path in broken.get(s, set()))
        old = [SideFacts.of(f) for f in base.get(key, [])]
        new = [SideFacts.of(f) for f in head.get(key, [])]
        for b, h in pair_group(old, new):
            if b is None:
                changes.append(Change("added", engine, path, None, h, errors_on))
            elif h is None:
                changes.append(Change("removed", engine, path, b, None, errors_on))
            elif b.compared() != h.compared():
                changes.append(Change("changed", engine, path, b, h, errors_on))
    return changes


def diff_revisions(
    base: str,
    head: str,
    policy: Policy,
    as_of: dt.date,
    fail_on: Verdict,
    exclude: tuple[str, ...] = (),
    repo: Path | None = None,
    fail_on_change: tuple[str, ...] = (),
) -> DiffReport:
    """Compare ``base`` and ``head`` (paths or git revisions of ``repo``) under ``policy``.

    A path (relative to the current directory) wins over a revision of the same name.
    ``repo`` defaults to the current directory and is checked to be a git repository
    when a side needs it or when it is given explicitly, so a wrong ``--repo`` is
    reported as such rather than as two unknown revisions. A side that is one file is
    labelled by its name, and two files are compared as one, whatever their names.
    Raises InputError for a bad repository or a side that is neither a path nor a
    revision; errors met while scanning a side are collected in the report instead.
    """
    git_dir = repo if repo is not None else Path(".")
    if repo is not None or not all(s and Path(s).exists() for s in (base, head)):
        check_repository(git_dir, explicit=repo is not None)
    evaluator = Evaluator(policy, as_of)
    with (
        side_root(base, git_dir, "base") as (base_root, base_info),
        side_root(head, git_dir, "head") as (head_root, head_info),
    ):
        label_head = head_root.name if head_root.is_file() else None
        label_base = base_root.name if base_root.is_file() else None
        if label_base is not None and label_head is not None:
            label_base = label_head
        old = scan_side(base_root, "base", evaluator, exclude, label_base)
        new = scan_side(head_root, "head", evaluator, exclude, label_head)
    changes = compare(old.groups, new.groups, {"base": old.broken, "head": new.broken})
    return DiffReport(
        policy,
        as_of,
        base_info,
        head_info,
        changes,
        fail_on,
        old.errors + new.errors,
        tuple(dict.fromkeys(fail_on_change)),
    )


# -- rendering ---------------------------------------------------------------------------


def _where(change: Change) -> str:
    return f"{change.path}:{change.line}" if change.line else change.path


def _arrow(old: object, new: object) -> str:
    return f"{old} -> {new}" if old != new else str(new)


def _caveat(change: Change) -> str:
    if not change.errors_on:
        return ""
    return f" [input error in this file on {' and '.join(change.errors_on)}: see ERROR below]"


def describe(change: Change) -> str:
    """One line per change, e.g. ``CHANGED redis at app.yaml:12: 7.2.4 -> 7.4.0; ...``."""
    head = f"{change.kind.upper()} {change.engine} at {_where(change)}: "
    if change.base is None or change.head is None:
        side = change.head or change.base
        assert side is not None
        return (
            head
            + f"{side.version or 'unknown version'} ({side.license}, {side.verdict})"
            + _caveat(change)
        )
    b, h = change.base, change.head
    parts = [_arrow(b.version, h.version)]
    if b.license != h.license:
        parts.append(f"license {_arrow(b.license, h.license)}")
    parts.append(f"verdict {_arrow(b.verdict, h.verdict)}")
    return head + "; ".join(parts) + _caveat(change)


def render_text(diff: DiffReport) -> str:
    """The diff for people: one line per change, then a summary line."""
    lines = [
        f"policycheck diff {diff.base.spec} -> {diff.head.spec} "
        f"(policy {diff.policy.name}, as of {diff.as_of.isoformat()})"
    ]
    lines.extend(describe(c) for c in diff.changes)
    lines.extend(f"ERROR   {line}" for line in diff.error_lines())
    s = diff.summary
    errors = f"; {len(diff.errors)} input error(s)" if diff.errors else ""
    if diff.changes:
        lines.append(
            f"{len(diff.changes)} change(s): {s['added']} added, {s['removed']} removed, "
            f"{s['changed']} changed; {s['raised']} verdict(s) raised{errors}"
        )
    else:
        found = " in what could be read" if diff.errors else ""
        lines.append(f"no license drift{found}{errors}")
    for fact in diff.changed_facts:
        added = sum(c.kind == "added" for c in diff.changes)
        changed = sum(c.kind == "changed" and fact in c.changed for c in diff.changes)
        lines.append(
            f"FAILED (--fail-on-change {fact}): {fact} of {changed} component(s) changed, "
            f"{added} component(s) added"
        )
    if diff.raised_to_fail_on:
        lines.append(f"FAILED: the change adds or raises a verdict to {diff.fail_on} or worse")
    return "\n".join(lines) + "\n"


def to_json(diff: DiffReport) -> dict[str, Any]:
    """The diff as a versioned JSON document with a fixed key and list order."""
    return {
        "schema_version": DIFF_SCHEMA_VERSION,
        "tool": {"name": "policycheck", "version": __version__},
        "policy": {"name": diff.policy.name, "sha256": diff.policy.sha256},
        "as_of": diff.as_of.isoformat(),
        "fail_on": str(diff.fail_on),
        "fail_on_change": list(diff.fail_on_change),
        "base": diff.base.to_json(),
        "head": diff.head.to_json(),
        "changes": [c.to_json() for c in diff.changes],
        "errors": [
            {"side": side, "path": e.path, "line": e.line, "message": e.message, "hint": e.hint}
            for side, e in diff.errors
        ],
        "summary": diff.summary,
        "failed": diff.failed,
    }
