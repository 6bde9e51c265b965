"""Walking targets safely and handing each file to the source that claims it.

Directory walks skip VCS and dependency folders and ``--exclude`` globs, never follow a
symlink out of the root, and read every file once. Most files in a monorepo have
nothing to do with data stores, so each is asked the cheap questions first (see
``Source``): its name, then its first 4 KiB, then whether its bytes name an engine, and
only then is it parsed. Large trees are parsed by worker processes while the walk goes
on; the result does not depend on how many.
"""

from __future__ import annotations

import fnmatch
import gc
import hashlib
import itertools
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.sources import all_sources
from policycheck.sources.interface import Source

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "vendor", ".terraform", "__pycache__"}
)

#: What ``Source.claims`` sees of a file before it is read whole.
HEAD_BYTES = 4096
#: Fewer candidate files than this are scanned in this process: workers cost more.
PARALLEL_MIN_FILES = 1000
#: Files handed to a worker at a time: large enough to amortise the hand-over.
CHUNK_FILES = 200
MAX_PROCESSES = 8


@dataclass
class ScanResult:
    """Components found, errors met, and the sha256 of every file parsed."""

    components: list[Component] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    def extend(self, other: ScanResult) -> None:
        """Append ``other``'s components, errors and files to this result."""
        self.components.extend(other.components)
        self.errors.extend(other.errors)
        self.files.update(other.files)


def _excluded(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def iter_files(
    root: Path, display_root: str, exclude: tuple[str, ...], errors: list[InputError] | None = None
) -> Iterator[tuple[str, str]]:
    """Files under ``root`` in sorted order (a folder's files, then its subfolders), with
    the path to display for each.

    ``os.scandir`` entries carry their type, so a walk costs one ``stat`` per symlink,
    not per file. A folder that cannot be listed is an error (in ``errors``), not a
    silent gap in the scan.
    """
    real_root = Path(os.path.realpath(root))
    prefix = "" if display_root == "." else display_root.rstrip("/") + "/"
    pending: list[tuple[str, str]] = [(os.fspath(root), "")]
    while pending:
        directory, rel_dir = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            if errors is not None:
                shown = f"{prefix}{rel_dir}".rstrip("/") or display_root
                errors.append(InputError(f"cannot list folder: {exc.strerror or exc}", shown))
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            rel = rel_dir + entry.name
            if exclude and _excluded(rel, entry.name, exclude):
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS:
                    subdirs.append((entry.path, rel + "/"))
            elif entry.is_file(follow_symlinks=False) or (
                entry.is_symlink() and _inside(entry.path, real_root)
            ):
                yield entry.path, prefix + rel
        pending.extend(reversed(subdirs))


def _inside(link: str, real_root: Path) -> bool:
    """Whether a symlink points at a regular file inside the scanned root."""
    try:
        target = Path(link).resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return target.is_relative_to(real_root) and target.is_file()


def _claimant(path: Path, head: bytes, sources: Iterable[Source]) -> Source | None:
    return next((s for s in sources if s.claims(path, head)), None)


def scan_file(file: str | Path, display: str, result: ScanResult) -> None:
    """Parse one file with the source that claims it, recording components or an error.

    The cheap questions come first (see ``Source``): a file no source may claim by
    name is never opened, and a claimed one is read whole only after its first 4 KiB
    convinced a source.
    """
    name = os.path.basename(file).lower()
    candidates = [s for s in all_sources() if s.may_claim(name)]
    if not candidates:
        return  # not a kind of file any scanner reads (README, code, ...): nothing deployed
    path = Path(file)
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            source = _claimant(path, head, candidates)
            if source is None:
                return
            data = head + handle.read() if len(head) == HEAD_BYTES else head
    except OSError as exc:
        result.errors.append(InputError(f"cannot read file: {exc.strerror or exc}", display))
        return
    if not source.worth_parsing(data.lower()):
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


def scan_paths(
    targets: Iterable[str], exclude: tuple[str, ...] = (), jobs: int | None = None
) -> ScanResult:
    """Scan files and directories given on the command line (see ``iter_scan``)."""
    result = ScanResult()
    for part in iter_scan(targets, exclude, jobs):
        result.extend(part)
    return result


def iter_scan(
    targets: Iterable[str], exclude: tuple[str, ...] = (), jobs: int | None = None
) -> Iterator[ScanResult]:
    """Scan results part by part, in walk order, so callers can work as they arrive.

    The walk runs here and streams the files some source may claim to ``jobs``
    processes (default: one per available CPU) once there are enough of them to pay
    for the processes, so walking and parsing overlap. Chunks are contiguous and
    yielded in order: the merged result is the same, byte for byte, whatever the
    number of processes. Errors of the walk itself come in the last part.
    """
    walk_errors: list[InputError] = []  # filled as the walk proceeds, reported after
    work = _candidates(targets, exclude, walk_errors)
    first = list(itertools.islice(work, PARALLEL_MIN_FILES))
    if len(first) == PARALLEL_MIN_FILES:
        work = itertools.chain(first, work)
        processes = _processes(jobs)
        if processes > 1:
            _prepare(name for _, name in first)
    else:
        work = iter(first)
        processes = 1 if jobs is None else max(1, jobs)
    yield from _scan_all(work, processes)
    yield ScanResult(errors=walk_errors)


def _prepare(names: Iterable[str]) -> None:
    """Let the sources the first files call for load their parsers before the fork."""
    sources = all_sources()
    wanted: set[Source] = set()
    for name in names:
        wanted.update(s for s in sources if s.may_claim(os.path.basename(name).lower()))
    for source in sources:
        if source in wanted:
            source.prepare()


def _candidates(
    targets: Iterable[str], exclude: tuple[str, ...], errors: list[InputError]
) -> Iterator[tuple[str, str]]:
    """Files to scan with their display paths: named files, and walked files whose name
    some source may claim."""
    name_tests = tuple(s.may_claim for s in all_sources())
    for target in targets:
        path = Path(target)
        if path.is_dir():
            for file, display in iter_files(path, target, exclude, errors):
                name = os.path.basename(file).lower()
                for may_claim in name_tests:  # a loop, not any(): no generator per file
                    if may_claim(name):
                        yield file, display
                        break
        elif path.is_file():
            yield target, target
        else:
            errors.append(InputError("no such file or directory", target))


def _processes(jobs: int | None) -> int:
    if jobs is not None:
        return max(1, jobs)
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        return max(1, min(len(os.sched_getaffinity(0)), MAX_PROCESSES))
    except AttributeError:  # not on Linux
        return max(1, min(os.cpu_count() or 1, MAX_PROCESSES))


def _scan_chunk(chunk: list[tuple[str, str]]) -> ScanResult:
    result = ScanResult()
    for file, display in chunk:
        scan_file(file, display, result)
    return result


def _chunks(work: Iterator[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    while chunk := list(itertools.islice(work, CHUNK_FILES)):
        yield chunk


def _scan_all(work: Iterator[tuple[str, str]], processes: int) -> Iterator[ScanResult]:
    """Scan results for ``work`` in its order, in one process or several.

    ``fork`` lets the workers start with the catalog and parsers already loaded;
    where it is not available the scan stays in this process. Chunks are handed out
    as the walk finds them. A worker that dies (a crash in a parser's C code, the
    out-of-memory killer) breaks the pool; its chunk and every later one are then
    scanned here, so the scan neither hangs nor loses files.
    """
    if processes <= 1:
        yield _scan_chunk(list(work))
        return
    context = multiprocessing.get_context("fork")
    gc.freeze()  # see _worker_setup
    try:
        with ProcessPoolExecutor(processes, mp_context=context, initializer=_worker_setup) as pool:
            submitted = [(chunk, pool.submit(_scan_chunk, chunk)) for chunk in _chunks(work)]
            broken = False
            try:
                for chunk, future in submitted:
                    if not broken:
                        try:
                            yield future.result()
                            continue
                        except BrokenProcessPool:
                            broken = True
                    yield _scan_chunk(chunk)
            except GeneratorExit:  # the caller gave up (e.g. a bad policy): stop the rest
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        gc.unfreeze()


def _worker_setup() -> None:
    """Tune the cyclic garbage collector for a scanning worker (2-15% faster scans in
    the benchmark, depending on the machine's load).

    The parent froze its objects before forking, so the collector in a worker never
    walks them, which would touch, and so copy, their memory pages. Parsing YAML makes
    many short-lived containers and few cycles: collecting every 700 allocations, the
    default, walks them again and again for nothing.
    """
    gc.set_threshold(100_000, 50, 100)
