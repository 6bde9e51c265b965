"""Reading the files a manifest depends on: a compose file's ``.env``, a chart's
``Chart.yaml``, ``values.yaml`` and template helpers.

The walker never follows a symlink out of the scanned root; helper files are opened
by the sources themselves, so they keep the same promise here: a helper is read when
it resolves inside the manifest's own folder (the compose project, the chart) or
inside the folder the user named, which the walker sets while it parses a file under
it (``scanning_under``). A ``.env`` or ``Chart.yaml`` that is a symlink to a file
elsewhere (``/etc/os-release``, a secret next to the repository) is never opened; the
finding that needed it says so and is left for review, and the walker counts it in
the scan summary.

Every outcome is a value, never an exception: a dependent manifest still reports
every engine that does not depend on the helper, and those that do name the helper
and why it could not be read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from policycheck.errors import InputError
from policycheck.yamlload import read_text


@dataclass(frozen=True)
class Helper:
    """A helper file as read: its text, or why there is none.

    ``missing`` is true when the file does not exist (a normal case: no ``.env``).
    ``problem`` says why an existing file was not used; ``error`` is the input error
    to report for it when the file itself is broken (not for one left unread on
    purpose, such as a symlink out of the folder).
    """

    display: str
    text: str | None = None
    missing: bool = False
    problem: str | None = None
    error: InputError | None = None

    def why_unread(self, what: str) -> str:
        """``what`` (e.g. "tag") comes from this file, which could not be read: why."""
        name = self.display.rsplit("/", 1)[-1]
        return f"{what} comes from {name}, which could not be read ({self.problem})"


#: The folder the user named, while the walker parses a file found under it.
_scan_root: ContextVar[Path | None] = ContextVar("scan_root", default=None)
#: Helpers left unread because they lead out of both folders, for the scan summary.
_refused: ContextVar[list[str] | None] = ContextVar("refused_helpers", default=None)


@contextmanager
def scanning_under(root: Path) -> Iterator[list[str]]:
    """While parsing a file under ``root``: helpers inside it may be read; yields the
    helpers refused meanwhile (symlinks that lead out of it)."""
    refused: list[str] = []
    root_token, refused_token = _scan_root.set(root), _refused.set(refused)
    try:
        yield refused
    finally:
        _scan_root.reset(root_token)
        _refused.reset(refused_token)


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` resolves (through any symlinks) to a place inside ``folder``, or
    inside the folder the user named (see ``scanning_under``)."""
    if _resolves_inside(path, folder):
        return True
    root = _scan_root.get()
    return root is not None and _resolves_inside(path, root)


def _resolves_inside(path: Path, folder: Path) -> bool:
    if path.parent == folder and not os.path.islink(path):
        return True  # a file right in the folder, not a link: no need to resolve
    if _lexically_inside(path, folder):
        return True
    try:
        real = Path(os.path.realpath(path))
        base = Path(os.path.realpath(folder))
    except (OSError, ValueError):
        return False
    return real == base or real.is_relative_to(base)


def _lexically_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is written below ``folder`` (no ``..``) and no step below
    ``folder`` is a symlink: then it is inside, wherever ``folder`` itself resolves.
    A chart's helpers (``templates/_helpers.tpl``) are decided with two ``lstat``
    calls instead of resolving both paths from the root of the file system."""
    try:
        below = path.relative_to(folder)
    except ValueError:
        return False
    if not below.parts or ".." in below.parts:
        return False
    step = folder
    for part in below.parts:
        step = step / part
        if os.path.islink(step):
            return False
    return True


def read_helper(path: Path, folder: Path, display: str) -> Helper:
    """Read ``path``, a helper of a manifest in ``folder`` (see the module docstring)."""
    if not os.path.lexists(path):
        return Helper(display, missing=True, problem="it does not exist")
    if not inside(path, folder):
        refused = _refused.get()
        if refused is not None:
            refused.append(display)
        return Helper(
            display,
            problem="it is a symlink to a file outside the scanned folder, which is never read",
        )
    if not path.is_file():
        return Helper(display, problem="it is not a regular file")
    try:
        return Helper(display, text=read_text(path, display))
    except InputError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        return Helper(display, problem=f"{where}{exc.message}", error=exc)
