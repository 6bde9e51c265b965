"""Writing reports so that an interrupted run never leaves half a file behind."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from policycheck.errors import InputError


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (as UTF-8) to a temporary file beside ``path``, then rename it
    into place.

    Special files (``/dev/null``, ``/dev/stdout``, a FIFO) are written directly: renaming
    over them would replace a device with a regular file. A symlink is written through,
    to the file it points at. An existing file keeps its permissions; a new one gets
    what the user's umask allows, as any file the user creates would.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file():
        try:
            with open(path, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise InputError(f"cannot write report: {exc.strerror or exc}", str(path)) from None
        return
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError("output directory does not exist", str(path), hint="create it first")
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"cannot write report: {exc.strerror or exc}", str(path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _mode_for(path: Path) -> int:
    """The permission bits the report file should end with (see ``write_atomic``)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


#: Output file name endings and the format each means, longest first so that
#: ``.spdx.json`` wins over ``.json``.
EXTENSIONS: dict[str, str] = {
    ".spdx.json": "spdx-json",
    ".cdx.json": "cyclonedx-json",
    ".json": "json",
    ".sarif": "sarif",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".xml": "junit",
    ".spdx": "spdx",
    ".txt": "text",
}


def infer_format(output: str, offered: list[str], default: str) -> str:
    """The format ``-o FILE`` asks for by its name, among those a command ``offered``.

    A name without an extension (``report``, ``/dev/stdout``) says nothing, so the
    command's default applies; an extension that names no offered format is a usage
    error listing the ones that do, never a file in a format nobody asked for.
    """
    name = Path(output).name.lower()
    suffix = Path(name).suffix
    if not suffix:
        return default
    for ending, fmt in EXTENSIONS.items():
        if name.endswith(ending) and fmt in offered:
            return fmt
    known = ", ".join(f"{e} ({f})" for e, f in EXTENSIONS.items() if f in offered)
    raise ValueError(
        f"cannot tell the format of {output!r} from its extension {suffix!r}; "
        f"known: {known}; or pass --format"
    )
