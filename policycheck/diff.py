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

DIFF_SCHEMA_VERSION = "1.0"
GIT_HINT = "give an existing file or directory, or a commit, branch or tag of the repository"

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

    def __post_init__(self) -> None:
        self.changes.sort(key=Change.sort_key)
        self.errors.sort(key=lambda se: (se[0], se[1].path or "", se[1].line or 0, se[1].message))

    @property
    def failed(self) -> bool:
        """True when the change adds or raises a component to ``fail_on`` or worse.

        Findings already at that verdict on the base side do not fail a diff: they are
        the existing state, which ``policycheck check`` reports.
        """
        return any(
            c.head is not None
            and c.head.verdict >= self.fail_on
            and (c.kind == "added" or c.raised)
            for c in self.changes
        )

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


def resolve_commit(spec: str, repo: Path) -> str:
    """The commit id ``spec`` names in ``repo``; InputError when it names none."""
    if not spec or spec.startswith("-"):
        raise InputError("not a path or a git revision", spec or None, hint=GIT_HINT)
    done = _git(repo, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}", check=False)
    if done.returncode != 0:
        raise InputError("not a path or a git revision", spec, hint=GIT_HINT)
    return done.stdout.decode().strip()


def materialise(commit: str, repo: Path, into: Path) -> None:
    """Extract the tree of ``commit`` into ``into`` with ``git archive | tar -x``."""
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
def side_root(spec: str, repo: Path) -> Iterator[tuple[Path, SideInfo]]:
    """The directory (or file) to scan for one side; a revision is extracted to a temp dir."""
    if Path(spec).exists():
        yield Path(spec), SideInfo(spec, "path")
        return
    commit = resolve_commit(spec, repo)
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


def scan_side(
    root: Path,
    side: str,
    evaluator: Evaluator,
    exclude: tuple[str, ...],
    label: str | None,
) -> tuple[dict[_Key, list[Finding]], list[tuple[str, InputError]]]:
    """Findings of one side grouped by (relative path, engine), in line order, and errors.

    ``label`` replaces the path when the side is a single file, so comparing two files
    with different names still matches their components.
    """
    scanned = collect([str(root)], exclude)
    groups: dict[_Key, list[Finding]] = defaultdict(list)
    for component in scanned.components:
        finding = evaluator.evaluate(component)
        loc = finding.location
        path = _relative(loc.path, root, label) if loc else ""
        groups[(path, finding.engine)].append(finding)
    for found in groups.values():
        found.sort(key=lambda f: ((f.location.line or 0) if f.location else 0, f.requested or ""))
    errors = []
    for err in scanned.errors:
        if err.path is not None:
            err.path = _relative(err.path, root, label)
        errors.append((side, err))
    return groups, errors


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


def compare(base: dict[_Key, list[Finding]], head: dict[_Key, list[Finding]]) -> list[Change]:
    """Every difference between the two sides' grouped findings."""
    changes: list[Change] = []
    for key in sorted(set(base) | set(head)):
        path, engine = key
        old = [SideFacts.of(f) for f in base.get(key, [])]
        new = [SideFacts.of(f) for f in head.get(key, [])]
        for b, h in pair_group(old, new):
            if b is None:
                changes.append(Change("added", engine, path, None, h))
            elif h is None:
                changes.append(Change("removed", engine, path, b, None))
            elif b.compared() != h.compared():
                changes.append(Change("changed", engine, path, b, h))
    return changes


def diff_revisions(
    base: str,
    head: str,
    policy: Policy,
    as_of: dt.date,
    fail_on: Verdict,
    exclude: tuple[str, ...] = (),
    repo: Path = Path("."),
) -> DiffReport:
    """Compare ``base`` and ``head`` (paths or git revisions of ``repo``) under ``policy``.

    A path wins over a revision of the same name. A side that is one file is labelled
    by its name, and two files are compared as one, whatever their names. Raises
    InputError for a side that is neither a path nor a revision.
    """
    evaluator = Evaluator(policy, as_of)
    with (
        side_root(base, repo) as (base_root, base_info),
        side_root(head, repo) as (
            head_root,
            head_info,
        ),
    ):
        label_head = head_root.name if head_root.is_file() else None
        label_base = base_root.name if base_root.is_file() else None
        if label_base is not None and label_head is not None:
            label_base = label_head
        old, base_errors = scan_side(base_root, "base", evaluator, exclude, label_base)
        new, head_errors = scan_side(head_root, "head", evaluator, exclude, label_head)
    return DiffReport(
        policy, as_of, base_info, head_info, compare(old, new), fail_on, base_errors + head_errors
    )


# -- rendering ---------------------------------------------------------------------------


def _where(change: Change) -> str:
    return f"{change.path}:{change.line}" if change.line else change.path


def _arrow(old: object, new: object) -> str:
    return f"{old} -> {new}" if old != new else str(new)


def describe(change: Change) -> str:
    """One line per change, e.g. ``CHANGED redis at app.yaml:12: 7.2.4 -> 7.4.0; ...``."""
    head = f"{change.kind.upper()} {change.engine} at {_where(change)}: "
    if change.base is None or change.head is None:
        side = change.head or change.base
        assert side is not None
        return head + f"{side.version or 'unknown version'} ({side.license}, {side.verdict})"
    b, h = change.base, change.head
    parts = [_arrow(b.version, h.version)]
    if b.license != h.license:
        parts.append(f"license {_arrow(b.license, h.license)}")
    parts.append(f"verdict {_arrow(b.verdict, h.verdict)}")
    return head + "; ".join(parts)


def render_text(diff: DiffReport) -> str:
    """The diff for people: one line per change, then a summary line."""
    lines = [
        f"policycheck diff {diff.base.spec} -> {diff.head.spec} "
        f"(policy {diff.policy.name}, as of {diff.as_of.isoformat()})"
    ]
    lines.extend(describe(c) for c in diff.changes)
    s = diff.summary
    if diff.changes:
        lines.append(
            f"{len(diff.changes)} change(s): {s['added']} added, {s['removed']} removed, "
            f"{s['changed']} changed; {s['raised']} verdict(s) raised"
        )
    else:
        lines.append("no license drift")
    if diff.failed:
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
