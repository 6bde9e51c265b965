"""Walking targets safely and handing each file to the source that claims it.

Directory walks skip VCS and dependency folders and ``--exclude`` globs, never follow a
symlink out of the root, and read every file once. A file that no source claims, or
that mentions no engine at all, is skipped without parsing: most files in a monorepo
have nothing to do with data stores.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.sources import all_sources
from policycheck.sources.interface import ENGINE_WORDS, Source

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "vendor", ".terraform", "__pycache__"}
)


@dataclass
class ScanResult:
    """Components found, errors met, and the sha256 of every file parsed."""

    components: list[Component] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)


def _excluded(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def iter_files(
    root: Path, display_root: str, exclude: tuple[str, ...]
) -> Iterator[tuple[Path, str]]:
    """Files under ``root`` in sorted order, with the path to display for each."""
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS and not _excluded(f"{rel_dir}/{d}".lstrip("/"), d, exclude)
        )
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}".lstrip("/")
            if _excluded(rel, name, exclude):
                continue
            path = Path(dirpath) / name
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except OSError:
                    continue
                if not target.is_relative_to(real_root) or not target.is_file():
                    continue
            elif not path.is_file():
                continue
            yield path, f"{display_root.rstrip('/')}/{rel}" if display_root != "." else rel


def _claimant(path: Path, head: bytes, sources: Iterable[Source]) -> Source | None:
    return next((s for s in sources if s.claims(path, head)), None)


def scan_file(path: Path, display: str, result: ScanResult) -> None:
    """Parse one file with the source that claims it, recording components or an error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        result.errors.append(InputError(f"cannot read file: {exc.strerror or exc}", display))
        return
    head = data[:4096]
    source = _claimant(path, head, all_sources())
    if source is None:
        return  # not a kind of file any scanner reads (README, code, ...): nothing deployed
    if source.needs_prefilter() and not ENGINE_WORDS.search(data):
        return
    if b"\x00" in head:
        result.errors.append(InputError("binary file, expected text", display))
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        result.errors.append(
            InputError("file is not valid UTF-8", display, line, "save it as UTF-8")
        )
        return
    result.files[display] = hashlib.sha256(data).hexdigest()
    try:
        result.components.extend(source.collect(path, text, display))
    except InputError as exc:
        if exc.path is None:
            exc.path = display
        result.errors.append(exc)
    except RecursionError:
        result.errors.append(InputError("input nests too deeply to parse", display))


def scan_paths(targets: Iterable[str], exclude: tuple[str, ...] = ()) -> ScanResult:
    """Scan files and directories given on the command line."""
    result = ScanResult()
    for target in targets:
        path = Path(target)
        if path.is_dir():
            for file, display in iter_files(path, target, exclude):
                scan_file(file, display, result)
        elif path.is_file():
            scan_file(path, target, result)
        else:
            result.errors.append(InputError("no such file or directory", target))
    return result
