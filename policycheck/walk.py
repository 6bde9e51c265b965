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
import operator
import os
import signal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from policycheck.errors import InputError, printable
from policycheck.model import Component
from policycheck.sources import all_sources
from policycheck.sources._helper_files import scanning_under
from policycheck.sources.interface import Source

#: Folders that are not the repository's own infrastructure, skipped unless
#: ``--no-default-excludes``, each with the reason the scan summary gives.
DEFAULT_EXCLUDES: dict[str, str] = {
    ".git": "version control",
    ".hg": "version control",
    ".svn": "version control",
    "node_modules": "installed dependencies",
    "vendor": "installed dependencies",
    "site-packages": "installed dependencies",
    ".venv": "Python virtual environment",
    "venv": "Python virtual environment",
    ".tox": "Python virtual environment",
    ".nox": "Python virtual environment",
    ".terraform": "Terraform module cache",
    "__pycache__": "cache",
    ".mypy_cache": "cache",
    ".pytest_cache": "cache",
    ".ruff_cache": "cache",
}
#: A folder holding this file is a Python virtual environment whatever its name.
VENV_MARKER = "pyvenv.cfg"

#: What ``Source.claims`` sees of a file before it is read whole: this much past any
#: leading comment lines, read up to MAX_HEAD_BYTES (see ``_read_head``). A file named
#: on the command line is read whole first.
HEAD_BYTES = 4096
MAX_HEAD_BYTES = 1 << 20
#: Fewer candidate files than this are scanned in this process: workers cost more.
PARALLEL_MIN_FILES = 1000
#: Files handed to a worker at a time: large enough to amortise the hand-over (about a
#: millisecond), small enough that the last chunks, taken while the other worker is
#: idle, are short: a chunk of a chart collection's templates or an operator's CRDs
#: can take seconds at 200 files.
CHUNK_FILES = 64
MAX_PROCESSES = 8
#: The cyclic garbage collector's thresholds while scanning (see ``_worker_setup``).
SCAN_GC_THRESHOLD = (100_000, 50, 100)
#: Files larger than this are not parsed (``--max-file-size``): every parser is linear,
#: but a file of this size is more likely generated data than infrastructure. Large
#: enough for a 100,000-package SBOM in RDF/XML (about 130 MB).
MAX_FILE_BYTES = 256 << 20


@dataclass
class ScanStats:
    """What the scan looked at, so "nothing found" can be told from "nothing looked at".

    ``files`` counts every file the walk met (and each file named on the command line);
    ``parsed`` those a source parsed; ``skipped`` the files and folders left out, by reason;
    ``warnings`` what the user should know (a named file nothing reads, an empty folder).
    """

    files: int = 0
    parsed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str, count: int = 1) -> None:
        """Count ``count`` files or folders left out for ``reason``."""
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def extend(self, other: ScanStats) -> None:
        """Add ``other``'s counts and warnings to these."""
        self.files += other.files
        self.parsed += other.parsed
        for reason, count in other.skipped.items():
            self.skip(reason, count)
        self.warnings.extend(other.warnings)


@dataclass
class ScanResult:
    """Components found, errors met, the sha256 of every file parsed, and what was seen."""

    components: list[Component] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    stats: ScanStats = field(default_factory=ScanStats)

    def extend(self, other: ScanResult) -> None:
        """Append ``other``'s components, errors, files and counts to this result."""
        self.components.extend(other.components)
        self.errors.extend(other.errors)
        self.files.update(other.files)
        self.stats.extend(other.stats)


#: Reasons a file or folder is left out, as the scan summary names them.
SKIP_NAME = "no manifest kind has this file name"
SKIP_CONTENT = "no manifest kind claims its content"
SKIP_NO_ENGINE = "names no engine"
SKIP_NO_DEPLOYMENT = "holds no document of a kind that deploys"
SKIP_EXCLUDED = "excluded by --exclude"
SKIP_SYMLINK = "symlink leaving the scanned folder"


def _excluded(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def iter_files(
    root: Path,
    display_root: str,
    exclude: tuple[str, ...],
    errors: list[InputError] | None = None,
    stats: ScanStats | None = None,
    default_excludes: bool = True,
) -> Iterator[tuple[str, str]]:
    """Files under ``root`` in sorted order (a folder's files, then its subfolders), with
    the path to display for each.

    ``os.scandir`` entries carry their type, so a walk costs one ``stat`` per symlink,
    not per file. A folder that cannot be listed is an error (in ``errors``), not a
    silent gap in the scan. What is left out is counted in ``stats``.
    """
    for path, _name, shown in _walk(root, display_root, exclude, errors, stats, default_excludes):
        yield path, printable(shown)


_BY_NAME = operator.attrgetter("name")


def _walk(
    root: Path,
    display_root: str,
    exclude: tuple[str, ...],
    errors: list[InputError] | None,
    stats: ScanStats | None,
    default_excludes: bool,
) -> Iterator[tuple[str, str, str]]:
    """``iter_files`` with each file's own name, and its display path not yet made
    printable: the scanner names most files only to count them (the walk of a large
    monorepo is the one part of a scan that cannot run in the workers)."""
    stats = stats if stats is not None else ScanStats()
    real_root = Path(os.path.realpath(root))
    prefix = "" if display_root == "." else display_root.rstrip("/") + "/"
    pending: list[tuple[str, str]] = [(os.fspath(root), "")]
    while pending:
        directory, rel_dir = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=_BY_NAME)
        except OSError as exc:
            if errors is not None:
                where = f"{prefix}{rel_dir}".rstrip("/") or display_root
                errors.append(InputError(f"cannot list folder: {exc.strerror or exc}", where))
            continue
        if default_excludes and rel_dir and any(e.name == VENV_MARKER for e in entries):
            stats.skip("folder: Python virtual environment")
            continue
        subdirs: list[tuple[str, str]] = []
        shown_dir = prefix + rel_dir
        for entry in entries:
            name = entry.name
            if exclude and _excluded(rel_dir + name, name, exclude):
                stats.skip(SKIP_EXCLUDED)
                continue
            if entry.is_dir(follow_symlinks=False):
                reason = DEFAULT_EXCLUDES.get(name) if default_excludes else None
                if reason is None:
                    subdirs.append((entry.path, rel_dir + name + "/"))
                else:
                    stats.skip(f"folder: {reason}")
            elif entry.is_file(follow_symlinks=False):
                yield entry.path, name, shown_dir + name
            elif entry.is_symlink():
                if _inside(entry.path, real_root):
                    yield entry.path, name, shown_dir + name
                else:
                    stats.skip(SKIP_SYMLINK)
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


def scan_file(
    file: str | Path,
    display: str,
    result: ScanResult,
    named: bool = False,
    max_bytes: int = MAX_FILE_BYTES,
    root: str | Path | None = None,
) -> None:
    """Parse one file with the source that claims it, recording components or an error.

    The cheap questions come first (see ``Source``): a file no source may claim by
    name is never opened, and a claimed one is read whole only after its first 4 KiB
    convinced a source. A file ``named`` on the command line that is left out gets a
    warning saying why: the user asked for it. A claimed file over ``max_bytes`` is an
    input error, not a silent gap: it was not checked, and the user must know.
    ``root`` is the folder the user named that holds the file (default: the file's
    own folder): sources that follow references (local modules) read nothing outside.
    """
    stats = result.stats
    stats.files += 1
    candidates = _may_claim(all_sources(), os.path.basename(file).lower())
    if not candidates:
        _skipped(result, SKIP_NAME, display, named)
        return  # not a kind of file any scanner reads (README, code, ...): nothing deployed
    path = Path(file)
    try:
        handle = _open(os.fspath(file))
        try:
            size = os.fstat(handle).st_size
            raw = _read_rest(handle) if named and size <= max_bytes else _read_head(handle)
            wide = _wide_encoding(raw)
            if size > max_bytes:
                if _claimant(path, raw, candidates) is not None:
                    result.errors.append(_too_large(display, max_bytes))
                else:
                    _skipped(result, SKIP_CONTENT, display, named)
                return
            if wide is not None:  # UTF-16/32 text: its raw bytes hide every word
                raw += _read_rest(handle)
                utf8 = _decode_wide(raw, wide, display)
                head = utf8
            else:  # a UTF-8 byte-order mark would stand before the first key
                utf8, head = None, raw.removeprefix(b"\xef\xbb\xbf")
            source = _claimant(path, head, candidates)
            if source is None:
                _skipped(result, SKIP_CONTENT, display, named)
                return
            if utf8 is None and len(raw) % HEAD_BYTES == 0 and raw:
                raw += _read_rest(handle)
        finally:
            os.close(handle)
    except OSError as exc:
        result.errors.append(InputError(f"cannot read file: {exc.strerror or exc}", display))
        return
    except InputError as exc:
        result.errors.append(exc)
        return
    data = utf8 if utf8 is not None else raw
    if not source.worth_parsing(data.lower()):
        _skipped(result, SKIP_NO_ENGINE, display, named)
        return
    if b"\x00" in data[:HEAD_BYTES]:
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
    if source.deploys_nothing(text):
        _skipped(result, SKIP_NO_DEPLOYMENT, display, named)
        return
    stats.parsed += 1
    result.files[display] = hashlib.sha256(raw).hexdigest()
    try:
        within = _folder(root) if root is not None else path.parent
        with scanning_under(within) as refused:
            result.components.extend(source.collect_within(path, text, display, within))
        for helper in refused:
            stats.skip(SKIP_SYMLINK)
            stats.warnings.append(
                f"{helper}: not read for {display}: a symlink leaving the scanned folder"
            )
    except InputError as exc:
        if exc.path is None:
            exc.path = display
        result.errors.append(exc)
    except RecursionError:
        result.errors.append(InputError("input nests too deeply to parse", display))
    except Exception as exc:  # one source's bug must not cost the whole report
        result.errors.append(
            InputError(
                f"internal error reading this file ({type(exc).__name__}); the other files' "
                "findings are complete",
                display,
                hint="please report this with the file, or --exclude it meanwhile",
            )
        )


@lru_cache(maxsize=64)
def _folder(root: str | Path) -> Path:
    """The folder the user named, as a Path made once: every file under it needs it."""
    return Path(root)


@lru_cache(maxsize=4096)
def _may_claim(sources: tuple[Source, ...], name: str) -> tuple[Source, ...]:
    """Those of ``sources`` that may claim a file of this (lower-cased) name, in order,
    remembered: a tree repeats names (``values.yaml``, ``main.tf``) thousands of times."""
    return tuple(s for s in sources if s.may_claim(name))


#: How the walker opens a file: read-only, not inherited by a child process.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _open(file: str) -> int:
    """A descriptor to read ``file``: most files are read once, 4 KiB at a time, and the
    builtin ``open`` (a buffered object, a terminal check) cost as much as the reading."""
    return os.open(file, _READ_FLAGS)


def _read(handle: int, size: int) -> bytes:
    """``size`` bytes, fewer only where the file ends (one ``read`` may return less)."""
    data = os.read(handle, size)
    if not data or len(data) == size:
        return data
    parts = [data]
    missing = size - len(data)
    while missing:
        more = os.read(handle, missing)
        if not more:
            break
        parts.append(more)
        missing -= len(more)
    return b"".join(parts)


def _read_rest(handle: int) -> bytes:
    """Everything from the current position to the end of the file."""
    parts: list[bytes] = []
    while more := os.read(handle, 1 << 20):
        parts.append(more)
    return b"".join(parts)


def _read_head(handle: int) -> bytes:
    """The first bytes of a file, enough for a source to tell what it is: 4 KiB past any
    leading comment lines (a licence header must not hide a manifest), at most 1 MiB.

    The result is a whole number of HEAD_BYTES reads unless the file ended, so the caller
    knows whether there is more to read.
    """
    head = _read(handle, HEAD_BYTES)
    while len(head) % HEAD_BYTES == 0 and head and len(head) < MAX_HEAD_BYTES:
        if len(head) - _after_comments(head) >= HEAD_BYTES:
            break
        more = _read(handle, HEAD_BYTES)
        head += more
        if len(more) < HEAD_BYTES:
            break
    return head


def _after_comments(data: bytes) -> int:
    """Offset of the first line that is neither blank nor a ``#`` comment."""
    offset = 0
    while offset < len(data):
        end = data.find(b"\n", offset)
        line = data[offset : len(data) if end < 0 else end].strip()
        if line and not line.startswith(b"#"):
            return offset
        if end < 0:
            return len(data)
        offset = end + 1
    return offset


#: Byte-order marks of the wide Unicode encodings, longest first (UTF-32-LE's BOM
#: begins with UTF-16-LE's).
_WIDE_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _wide_encoding(head: bytes) -> str | None:
    """The codec of a file that starts with a UTF-16 or UTF-32 byte-order mark."""
    for bom, codec in _WIDE_BOMS:
        if head.startswith(bom):
            return codec
    return None


def _decode_wide(data: bytes, codec: str, display: str) -> bytes:
    """UTF-16/32 text (as Windows editors and PowerShell save it) as UTF-8 bytes."""
    try:
        return data.decode(codec).encode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(codec, "replace").count("\n") + 1
        raise InputError(
            f"file starts with a {codec.upper()} byte-order mark but is not valid {codec.upper()}",
            display,
            line,
            "save it as UTF-8",
        ) from None


def _too_large(display: str, max_bytes: int) -> InputError:
    return InputError(
        f"file is larger than {max_bytes / 2**20:g} MiB; it was not checked",
        display,
        hint="raise the limit with --max-file-size MIB, or --exclude the file",
    )


def _skipped(result: ScanResult, reason: str, display: str, named: bool) -> None:
    result.stats.skip(reason)
    if named:
        result.stats.warnings.append(f"{display}: not checked: {reason}")


@dataclass(frozen=True)
class ScanOptions:
    """How to walk and read: ``--exclude`` globs, ``--jobs``, ``--no-default-excludes``
    and ``--max-file-size``."""

    exclude: tuple[str, ...] = ()
    jobs: int | None = None
    default_excludes: bool = True
    max_file_bytes: int = MAX_FILE_BYTES


def scan_paths(
    targets: Iterable[str],
    exclude: tuple[str, ...] = (),
    jobs: int | None = None,
    options: ScanOptions | None = None,
) -> ScanResult:
    """Scan files and directories given on the command line (see ``iter_scan``)."""
    options = options or ScanOptions(exclude, jobs)
    result = ScanResult()
    for part in iter_scan(targets, options):
        result.extend(part)
    return result


#: A file to scan: its path, the path to display, whether the user named it, and the
#: folder the user named that holds it (sources that follow references stay inside).
Work = tuple[str, str, bool, str]


def iter_scan(targets: Iterable[str], options: ScanOptions | None = None) -> Iterator[ScanResult]:
    """Scan results part by part, in walk order, so callers can work as they arrive.

    The walk runs here and streams the files some source may claim to ``jobs``
    processes (default: one per available CPU) once there are enough of them to pay
    for the processes, so walking and parsing overlap. Chunks are contiguous and
    yielded in order: the merged result is the same, byte for byte, whatever the
    number of processes. Errors and counts of the walk itself come in the last part.
    """
    options = options or ScanOptions()
    walked = ScanResult()  # filled as the walk proceeds, reported after
    work = _candidates(targets, options, walked)
    first = list(itertools.islice(work, PARALLEL_MIN_FILES))
    jobs = options.jobs
    if len(first) == PARALLEL_MIN_FILES:
        work = itertools.chain(first, work)
        processes = _processes(jobs)
        if processes > 1:
            _prepare(name for _, name, *_ in first)
    else:
        work = iter(first)
        processes = 1 if jobs is None else max(1, jobs)
    previous = gc.get_threshold()
    gc.set_threshold(*SCAN_GC_THRESHOLD)  # see _worker_setup: the same holds here
    try:
        yield from _scan_all(work, processes, options.max_file_bytes)
    finally:
        gc.set_threshold(*previous)
    yield walked


def _prepare(names: Iterable[str]) -> None:
    """Let the sources the first files call for load their parsers before the fork."""
    sources = all_sources()
    wanted: set[Source] = set()
    for name in names:
        wanted.update(s for s in sources if s.may_claim(os.path.basename(name).lower()))
    for source in sources:
        if source in wanted:
            source.prepare()


def _candidates(targets: Iterable[str], options: ScanOptions, walked: ScanResult) -> Iterator[Work]:
    """Files to scan with their display paths: named files, and walked files whose name
    some source may claim. Walked files left out by name are counted in ``walked``."""
    name_tests = tuple(s.may_claim for s in all_sources())
    stats = walked.stats
    for target in targets:
        path = Path(target)
        try:
            is_dir, is_file = path.is_dir(), path.is_file()
        except OSError as exc:
            walked.errors.append(InputError(f"cannot open: {exc.strerror or exc}", target))
            continue
        if is_dir:
            found = 0
            for file, name, shown in _walk(
                path, target, options.exclude, walked.errors, stats, options.default_excludes
            ):
                lowered = name.lower()
                for may_claim in name_tests:  # a loop, not any(): no generator per file
                    if may_claim(lowered):
                        found += 1
                        yield file, printable(shown), False, target
                        break
                else:
                    stats.files += 1
                    stats.skip(SKIP_NAME)
            if not found:
                stats.warnings.append(
                    f"{target}: no file in this folder is of a kind policycheck reads; "
                    "nothing was checked there"
                )
        elif is_file:
            yield target, printable(target), True, os.path.dirname(target) or "."
        else:
            walked.errors.append(InputError("no such file or directory", target))


def _processes(jobs: int | None) -> int:
    if jobs is not None:
        return max(1, jobs)
    import multiprocessing  # here, not at the top: a small check never starts a worker

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        return max(1, min(len(os.sched_getaffinity(0)), MAX_PROCESSES))
    except AttributeError:  # not on Linux
        return max(1, min(os.cpu_count() or 1, MAX_PROCESSES))


def _scan_chunk(chunk: list[Work], max_bytes: int = MAX_FILE_BYTES) -> ScanResult:
    result = ScanResult()
    for file, display, named, root in chunk:
        scan_file(file, display, result, named, max_bytes, root)
    return result


def _chunks(work: Iterator[Work]) -> Iterator[list[Work]]:
    """``work`` in chunks of CHUNK_FILES files, each stretched (up to four times) to the
    end of the chart it is in: a chart's templates read its values.yaml, which each
    worker that meets the chart parses once."""
    chunk: list[Work] = []
    last = ""
    for item in work:
        group = _chart_of(item[1])
        if len(chunk) >= CHUNK_FILES and (group != last or len(chunk) >= 4 * CHUNK_FILES):
            yield chunk
            chunk = []
        chunk.append(item)
        last = group
    if chunk:
        yield chunk


def _chart_of(display: str) -> str:
    """The folder a file's chart would be: above ``templates/``, else its own folder."""
    marker = display.find("/templates/")
    return display[:marker] if marker >= 0 else display.rpartition("/")[0]


def _scan_all(work: Iterator[Work], processes: int, max_bytes: int) -> Iterator[ScanResult]:
    """Scan results for ``work`` in its order, in one process or several.

    ``fork`` lets the workers start with the catalog and parsers already loaded;
    where it is not available the scan stays in this process. Chunks are handed out
    as the walk finds them. A worker that dies (a crash in a parser's C code, the
    out-of-memory killer) breaks the pool; its chunk and every later one are then
    scanned here, so the scan neither hangs nor loses files.
    """
    if processes <= 1:
        yield _scan_chunk(list(work), max_bytes)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("fork")
    gc.freeze()  # see _worker_setup
    try:
        with ProcessPoolExecutor(processes, mp_context=context, initializer=_worker_setup) as pool:
            submitted = [
                (chunk, pool.submit(_scan_chunk, chunk, max_bytes)) for chunk in _chunks(work)
            ]
            broken = False
            try:
                for chunk, future in submitted:
                    if not broken:
                        try:
                            yield future.result()
                            continue
                        except BrokenProcessPool:
                            broken = True
                    yield _scan_chunk(chunk, max_bytes)
            except BaseException:  # the caller gave up (a bad policy) or Ctrl-C: stop the rest
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        gc.unfreeze()


def _worker_setup() -> None:
    """Tune the cyclic garbage collector for a scanning worker (2-15% faster scans in
    the benchmark, depending on the machine's load), and leave Ctrl-C to the parent.
    The scanning process itself runs with the same thresholds while the scan lasts
    (a sequential scan spent a twelfth of its time collecting).

    The parent froze its objects before forking, so the collector in a worker never
    walks them, which would touch, and so copy, their memory pages. Parsing YAML makes
    many short-lived containers and few cycles: collecting every 700 allocations, the
    default, walks them again and again for nothing.
    """
    gc.set_threshold(*SCAN_GC_THRESHOLD)
    # Ctrl-C reaches the whole process group: the parent stops the scan and says so;
    # a worker printing its own KeyboardInterrupt traceback would only add noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
