"""Where the bundled data lives, and validating YAML against its JSON Schema.

``licenses/`` and ``policies/`` sit at the top of the repository so that people
review them as data; the wheel carries them as ``policycheck/_data/``. Running from a
source checkout falls back to the repository directories.

jsonschema is imported on first use: importing it and validating the bundled catalog
cost about 0.1 s, more than the rest of a small check; ``check_bundled`` does it once
per content of the bundled data and remembers that in a cache folder (see
``cache_dir``), so later runs only hash the files.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from policycheck.errors import DataError, InputError
from policycheck.yamlload import Located, PathKey, load_file

T = TypeVar("T")

if TYPE_CHECKING:
    import jsonschema
    from referencing import Registry

#: Bundled data files by glob under ``licenses/``, and the schema each must satisfy.
BUNDLED: tuple[tuple[str, str], ...] = (
    ("licenses/*.yaml", "license"),
    ("engines/*.yaml", "engine"),
    ("terraform.yaml", "terraform"),
    ("catalog.yaml", "catalog"),
    ("identify.yaml", "fingerprints"),
    ("modules/*.yaml", "modules"),
)

_PACKAGE = Path(__file__).resolve().parent
SCHEMA_DIR = _PACKAGE / "schemas"
#: Environment variable naming the cache folder; empty turns the cache off.
CACHE_VARIABLE = "POLICYCHECK_CACHE_DIR"
#: Files of one kind the cache folder keeps (the newest): every upgrade, edited policy,
#: date or set of uses makes new ones, and nothing else ever removes the old.
CACHE_KEEP_PER_KIND = 32


def data_dir(name: str) -> Path:
    """The directory of bundled data ``name`` (``licenses`` or ``policies``)."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped with the package, by file stem (``policy``, ``report`` ...)."""
    result: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8"))
    return result


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        contents = json.loads(path.read_text("utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for schema ``name`` that resolves references to sibling schemas."""
    import jsonschema

    return jsonschema.Draft202012Validator(
        schema(name),
        registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def schema_errors(doc: Located, schema_name: str) -> list[InputError]:
    """Every schema violation in ``doc`` as an InputError with its line, in file order."""
    errors: list[InputError] = []
    for err in validator(schema_name).iter_errors(doc.value):
        path: PathKey = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
            if extra:
                path = (*path, extra[0])
        where = "/".join(str(p) for p in path) or "(top level)"
        errors.append(
            InputError(
                f"{where}: {_describe(err)}",
                doc.source,
                doc.line_of(path),
                _hint(err),
            )
        )
    errors.sort(key=lambda e: (e.line or 0, e.message))
    return errors


def _describe(err: jsonschema.ValidationError) -> str:
    if err.validator == "enum":
        from policycheck.suggest import did_you_mean

        allowed = ", ".join(str(v) for v in err.validator_value)
        maybe = did_you_mean(str(err.instance), [str(v) for v in err.validator_value])
        return f"{err.instance!r} is not one of: {allowed}{maybe}"
    if err.validator == "additionalProperties":
        return str(err.message).replace("Additional properties are not allowed", "unknown key")
    return str(err.message)


def _hint(err: jsonschema.ValidationError) -> str | None:
    if err.validator == "additionalProperties":
        return "check the spelling of the key against the schema"
    if err.validator == "required":
        return "add the missing key"
    if err.validator == "enum":
        return "use one of the listed values"
    if err.validator == "type" and "string" in _as_list(err.validator_value):
        return _quote_hint(err.instance)
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _quote_hint(value: Any) -> str | None:
    """Why YAML turned text into another type, and how to keep it text."""
    if isinstance(value, bool):
        return (
            f"YAML reads an unquoted yes, no, on, off, true or false as {str(value).lower()}; "
            "quote the text, e.g. rationale: 'no'"
        )
    if isinstance(value, int | float):
        return f"YAML reads {value} as a number; quote it, e.g. '{value}'"
    if value is None:
        return "the value is empty (null); write the text, quoted if it has a colon"
    if isinstance(value, dict | list):
        return "a ': ' or leading '- ' or '[' made this a mapping or list; quote the text"
    return None


def load_validated(path: Path, schema_name: str, display: str | None = None) -> Located:
    """Load YAML and validate it; raises the first error (with line) on failure."""
    doc = load_file(path, display)
    errors = schema_errors(doc, schema_name)
    if errors:
        raise errors[0]
    return doc


def cache_dir() -> Path | None:
    """Where policycheck remembers what it need not redo: CACHE_VARIABLE when set (empty:
    nowhere), else ``$XDG_CACHE_HOME/policycheck`` or ``~/.cache/policycheck``."""
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "policycheck"


def _bundled_files() -> list[tuple[Path, str]]:
    """Every bundled data file with the name of the schema it must satisfy, in order."""
    root = data_dir("licenses")
    return [
        (path, schema_name)
        for pattern, schema_name in BUNDLED
        for path in sorted(root.glob(pattern))
    ]


@cache
def _schemas_digest() -> bytes:
    """sha256 over the package version and every schema (name and bytes): what any
    validation depends on besides the document."""
    from policycheck import __version__

    digest = hashlib.sha256(__version__.encode("utf-8") + b"\0")
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def bundled_digest(files: list[tuple[Path, str]]) -> str:
    """sha256 over the schemas and every bundled data file (name, schema and bytes):
    what a validation of the bundled data depends on."""
    digest = hashlib.sha256(_schemas_digest())
    for path, schema_name in files:
        digest.update(f"{path.name}\0{schema_name}\0".encode())
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _marker(kind: str, digest: str) -> Path | None:
    folder = cache_dir()
    return folder / f"{kind}-{digest}.valid" if folder is not None else None


def schema_errors_once(doc: Located, schema_name: str, content: bytes) -> list[InputError]:
    """``schema_errors``, skipped for content already found valid against the same
    schemas (a policy checked on every run of a CI job); remembered by content digest
    in the cache folder. Errors are never cached: they are reported every time."""
    digest = hashlib.sha256(_schemas_digest() + schema_name.encode("utf-8") + b"\0" + content)
    marker = _marker("document", digest.hexdigest())
    if marker is not None and marker.is_file():
        return []
    errors = schema_errors(doc, schema_name)
    if not errors and marker is not None:
        _remember(marker)
    return errors


@cache
def check_bundled() -> None:
    """Validate every bundled license and engine file against its schema, once per
    content of the bundled data.

    The loaders read these files without a schema walk, so that the catalog is ready
    before the scanning workers fork; ``check`` calls this while they work, and the
    test suite calls it too. A violation is a defect of the package: DataError, with
    file and line. A passed validation is remembered in the cache folder under the
    digest of what it read (``bundled_digest``): an edited data file or schema, or
    another version, is validated again. Without a usable cache folder every run
    validates.
    """
    files = _bundled_files()
    digest = bundled_digest(files)
    _checked_digest[:] = [digest]
    marker = _marker("bundled", digest)
    if marker is not None and marker.is_file():
        return
    for path, schema_name in files:
        errors = schema_errors(load_file(path), schema_name)
        if errors:
            first = errors[0]
            raise DataError(first.message, first.path, first.line, "reinstall policycheck")
    if marker is not None:
        _remember(marker)


def _remember(marker: Path) -> None:
    """Create ``marker`` (empty), quietly doing without when the folder is not writable."""
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        return
    prune(marker)


def prune(kept: Path) -> None:
    """Remove all but the newest CACHE_KEEP_PER_KIND files of ``kept``'s kind (the name
    before its first ``-``) from its folder, and temporary files of that kind left by an
    interrupted write. Called after each new cache file, so the folder stays bounded
    without a pass of its own; the file just written is never removed."""
    kind = kept.name.split("-", 1)[0]
    files: list[tuple[int, str]] = []
    try:
        with os.scandir(kept.parent) as listing:
            for entry in listing:
                name = entry.name
                if name.startswith(f".{kind}-") and name != kept.name:
                    _unlink(entry.path, entry, stale_after=3600)
                elif name.startswith(f"{kind}-") and entry.is_file(follow_symlinks=False):
                    files.append((entry.stat(follow_symlinks=False).st_mtime_ns, name))
    except OSError:
        return
    files.sort(reverse=True)
    for _, name in files[CACHE_KEEP_PER_KIND:]:
        if name != kept.name:
            _unlink(str(kept.parent / name))


def _unlink(path: str, entry: os.DirEntry[str] | None = None, stale_after: int = 0) -> None:
    """Remove ``path`` (when ``entry`` is given: only if unchanged for ``stale_after``
    seconds, as a write in progress in another process is not), quietly."""
    try:
        if entry is not None and time.time() - entry.stat().st_mtime < stale_after:
            return
        os.unlink(path)
    except OSError:
        pass


def remembered(kind: str, sources: list[Path], build: Callable[[], T]) -> T:
    """``build()``, or what it returned last time for the same ``sources``.

    Kept in the cache folder (see ``Store``) under a digest of the package version, the
    Python version, the schemas and the bytes of every source file (data and the modules
    that define the objects), so any change builds afresh. Without a usable cache
    folder every run builds.
    """
    digest = hashlib.sha256(_schemas_digest() + sys.version.encode("utf-8"))
    for path in sources:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    folder = cache_dir()
    store = Store(folder / f"{kind}-{digest.hexdigest()}.pickle") if folder is not None else None
    kept = store.load() if store is not None else None
    if kept is not None:
        value: T = kept
        return value
    value = build()
    if store is not None:
        store.save(value)
    return value


def _trusted(path: Path) -> bool:
    """Whether ``path`` is a regular file of this user that only this user may write."""
    try:
        st = path.lstat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISREG(st.st_mode) and owner_ok and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


@cache
def _code_digest() -> bytes:
    """sha256 over every module of the package (name, size and modification time, which
    any install or checkout changes): results kept across runs are only reused by the
    code that made them. Stat, not read: it runs on every start."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        st = path.stat()
        digest.update(
            f"{path.relative_to(_PACKAGE).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\0".encode()
        )
    return digest.digest()


def current_bundled_digest() -> str:
    """``bundled_digest`` of the installed data: the one ``check_bundled`` computed in this
    process, else computed now."""
    return _checked_digest[-1] if _checked_digest else bundled_digest(_bundled_files())


#: The digest ``check_bundled`` last computed, so it is not computed twice per run.
_checked_digest: list[str] = []


class Store:
    """One pickle in the cache folder, named by a digest of what its content depends on.

    It is read only when it belongs to the user running policycheck and nobody else may
    write it: unpickling runs code, and the cache must be as trusted as the package.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Any:
        """The kept value, or None when absent, untrusted or unreadable."""
        if not _trusted(self.path):
            return None
        try:
            with self.path.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001 - a damaged cache file is ignored, never fatal
            return None

    def save(self, value: Any) -> None:
        """Keep ``value``, atomically; quietly do without when the folder is not writable."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, self.path)
        except OSError:
            return
        prune(self.path)


def remembered_store(kind: str, key: list[str]) -> Store | None:
    """The store for ``kind`` under ``key`` (strings its content depends on, besides the
    package's code, schemas and Python version), or None without a cache folder."""
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(_schemas_digest() + _code_digest() + sys.version.encode("utf-8"))
    for part in key:
        digest.update(part.encode("utf-8") + b"\0")
    return Store(folder / f"{kind}-{digest.hexdigest()}.pickle")
