"""A Helm chart's own files, as the values, template and Chart.yaml sources need them.

* ``Chart.yaml``: the chart's name, its ``appVersion`` (the image tag when values leave
  it empty, and ``.Chart.AppVersion`` in templates) and its ``dependencies`` (Helm 2
  charts list them in ``requirements.yaml``).
* ``values.yaml``: the defaults a chart deploys with, and where a dependency's
  ``condition`` (``redis.enabled``) or ``tags`` switch it off.
* A subchart vendored under ``<parent>/charts/<name>/`` is configured by its parent:
  the parent's Chart.yaml says under which key (``alias``) and condition, and the
  parent's values override the subchart's.

Each file is read once per version of it (see ``_cached``) through ``read_helper``:
never through a symlink out of the chart's folder. A file that cannot be read is
not an error here; the findings that need it say why they are unresolved, and the
Chart.yaml source reports a broken Chart.yaml as an input error of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from policycheck.catalog import catalog
from policycheck.errors import InputError
from policycheck.sources._helper_files import inside, read_helper
from policycheck.sources.interface import mentions_engine
from policycheck.yamlload import Located, iter_documents

#: Chart names that deploy an engine: the engine id, alone or with one of these
#: topology suffixes (``redis-ha``, ``valkey-cluster``, ``redis-stack-server``).
ENGINE_CHART_SUFFIXES = ("", "-cluster", "-ha", "-sentinel", "-replication", "-server")
_CHART_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Dependency:
    """One entry of a chart's ``dependencies``, with the line of its ``name``."""

    name: str
    version: str
    repository: str
    alias: str | None
    condition: str | None
    tags: tuple[str, ...]
    line: int | None

    @property
    def key(self) -> str:
        """The key of the subchart's values in the parent's values (its alias or name)."""
        return self.alias or self.name


@dataclass(frozen=True)
class Chart:
    """What a chart's ``Chart.yaml`` (and ``requirements.yaml``) say."""

    folder: Path
    display: str  # of Chart.yaml
    name: str | None
    app_version: str | None
    dependencies: tuple[Dependency, ...]
    problem: str | None = None  # why Chart.yaml could not be read, when it could not

    def app_version_or_reason(self) -> tuple[str | None, str | None]:
        """(appVersion, None), or (None, why there is none)."""
        if self.problem is not None:
            return (
                None,
                f"appVersion comes from Chart.yaml, which could not be read ({self.problem})",
            )
        if self.app_version is None:
            return None, "Chart.yaml gives no appVersion"
        return self.app_version, None


@dataclass(frozen=True)
class Values:
    """A chart's values file: its first document, its lines and its display path."""

    doc: Located
    lines: tuple[str, ...]
    display: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.display).name

    def get(self, path: tuple[str | int, ...]) -> Any:
        """The value at ``path``, or None."""
        value = self.doc.value
        for key in path:
            if isinstance(value, Mapping):
                value = value.get(key)
            elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
                value = value[key]
            else:
                return None
        return value


def sibling_display(display: str, name: str) -> str:
    """The display path of ``name`` in the folder of the file shown as ``display``."""
    parent = PurePosixPath(display).parent
    return name if str(parent) == "." else str(parent / name)


@cache
def _engine_ids() -> frozenset[str]:
    return frozenset(catalog().engines)


def engine_for_chart(name: str) -> str | None:
    """The engine a chart of this name deploys (``redis``, ``valkey-cluster``,
    ``redis-ha``), or None (``redis-operator``, ``redis-exporter``, ``common``)."""
    low = name.strip().lower()
    for suffix in sorted(ENGINE_CHART_SUFFIXES, key=len, reverse=True):
        if suffix and not low.endswith(suffix):
            continue
        stem = low[: len(low) - len(suffix)] if suffix else low
        if stem in _engine_ids():
            return stem
    return None


# --- reading, once per version of each file ----------------------------------------


def values_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime, size) of a file, to tell versions of it apart; None when missing."""
    return _stamp(path)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load_chart(folder: Path, chart_display: str) -> Chart | None:
    """The chart in ``folder`` (``chart_display`` shows its Chart.yaml), or None when
    the folder has no Chart.yaml."""
    chart_yaml = folder / "Chart.yaml"
    requirements = folder / "requirements.yaml"
    return _chart(folder, chart_display, _stamp(chart_yaml), _stamp(requirements))


@lru_cache(maxsize=256)
def _chart(
    folder: Path, display: str, _stamp_chart: object, _stamp_requirements: object
) -> Chart | None:
    helper = read_helper(folder / "Chart.yaml", folder, display)
    if helper.missing:
        return None
    if helper.text is None:
        return Chart(folder, display, None, None, (), helper.problem)
    try:
        chart = chart_from_text(helper.text, display, folder)
    except InputError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        return Chart(folder, display, None, None, (), f"{where}{exc.message}")
    requirements = read_helper(
        folder / "requirements.yaml", folder, sibling_display(display, "requirements.yaml")
    )
    if requirements.text is None:
        return chart
    try:
        extra = chart_from_text(requirements.text, requirements.display, folder)
    except InputError:
        return chart  # the Chart.yaml source reports it when it scans that file
    return Chart(
        folder, display, chart.name, chart.app_version, chart.dependencies + extra.dependencies
    )


def chart_from_text(text: str, display: str, folder: Path) -> Chart:
    """A Chart (or requirements) file's content; raises InputError when malformed."""
    docs = list(iter_documents(text, display))
    top = docs[0].value if docs else None
    if not isinstance(top, Mapping):
        return Chart(folder, display, None, None, ())
    name = top.get("name")
    app_version = _version_text(top.get("appVersion"), text, "appVersion")
    deps = top.get("dependencies")
    dependencies: list[Dependency] = []
    for index, dep in enumerate(deps if isinstance(deps, list) else ()):
        if not isinstance(dep, Mapping) or not isinstance(dep.get("name"), str):
            continue
        tags = dep.get("tags")
        dependencies.append(
            Dependency(
                name=dep["name"].strip(),
                version=_plain(dep.get("version")),
                repository=_plain(dep.get("repository")),
                alias=_plain(dep.get("alias")) or None,
                condition=_plain(dep.get("condition")) or None,
                tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
                line=docs[0].line_of(("dependencies", index, "name")),
            )
        )
    return Chart(
        folder,
        display,
        name.strip() if isinstance(name, str) else None,
        app_version,
        tuple(dependencies),
    )


def _plain(value: Any) -> str:
    return str(value).strip() if isinstance(value, str | int | float) else ""


def _version_text(value: Any, text: str, key: str) -> str | None:
    """A version as written: ``appVersion: 7.10`` must stay 7.10, not become 7.1."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    m = re.search(rf"(?m)^{key}\s*:\s*[\"']?([^\"'\s#]+)", text)
    return m.group(1) if m else str(value)


def values_mention_engine(path: Path) -> bool:
    """Whether a values file names an engine anywhere (on its bytes, not parsed)."""
    return _mentions(path, _stamp(path))


@lru_cache(maxsize=256)
def _mentions(path: Path, _stamp: object) -> bool:
    if not inside(path, path.parent):
        return False
    try:
        return mentions_engine(path.read_bytes().lower())
    except OSError:
        return False


def load_values(folder: Path, values_display: str, name: str = "values.yaml") -> Values | None:
    """A chart's values file, or None when it is missing, cannot be read or is
    malformed (the helm source reports a malformed values file when it scans it)."""
    path = folder / name
    key = (path, values_display)
    stamp = _stamp(path)
    cached = _VALUES.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    helper = read_helper(path, path.parent, values_display)
    values: Values | None = None
    if helper.text is not None:
        try:
            values = values_from_documents(
                parse_values(path, values_display, helper.text), helper.text, values_display
            )
        except InputError:
            values = None
    _remember(key, stamp, values)
    return values


def parse_values(path: Path, display: str, text: str) -> list[Located]:
    """The documents of a values file, parsed once per version of the file for every
    source that needs them (the values, the Chart.yaml and the template sources all
    read a chart's values.yaml); raises InputError when malformed."""
    key = (path, display)
    stamp = _stamp(path)
    cached = _DOCUMENTS.get(key)
    if cached is not None and cached[0] == stamp and cached[1] == len(text):
        return cached[2]
    docs = list(iter_documents(text, display))
    if len(_DOCUMENTS) >= _CACHE_SIZE:
        _DOCUMENTS.clear()
    _DOCUMENTS[key] = (stamp, len(text), docs)
    return docs


def values_from_documents(docs: list[Located], text: str, display: str) -> Values | None:
    """The first document of a values file as Values (None when it has none)."""
    return Values(docs[0], tuple(text.splitlines()), display) if docs else None


_CACHE_SIZE = 64
_VALUES: dict[tuple[Path, str], tuple[object, Values | None]] = {}
_DOCUMENTS: dict[tuple[Path, str], tuple[object, int, list[Located]]] = {}


def _remember(key: tuple[Path, str], stamp: object, values: Values | None) -> None:
    if len(_VALUES) >= _CACHE_SIZE:
        _VALUES.clear()
    _VALUES[key] = (stamp, values)


# --- how a parent configures its dependencies ---------------------------------------


def dependency_disabled(dependency: Dependency, values: Values | None) -> str | None:
    """Why the parent's values switch a dependency off by default, or None.

    As Helm does: ``tags`` first (on when any listed tag is true, off when all that
    are set are false), then the first ``condition`` path that holds a boolean
    overrides them.
    """
    if values is None:
        return None
    reason: str | None = None
    tag_values = values.get(("tags",))
    if isinstance(tag_values, Mapping) and dependency.tags:
        settings = {
            t: tag_values[t] for t in dependency.tags if isinstance(tag_values.get(t), bool)
        }
        if settings and not any(settings.values()):
            reason = f"tags.{next(iter(settings))} is false in {values.name}"
    for condition in (dependency.condition or "").split(","):
        path = tuple(p for p in condition.strip().split(".") if p)
        value = values.get(path) if path else None
        if isinstance(value, bool):
            return None if value else f"{condition.strip()} is false in {values.name}"
    return reason


def parent_of(folder: Path, display_folder: str) -> tuple[Chart, Dependency] | None:
    """The parent chart that vendors the chart in ``folder`` under ``charts/``, and
    its dependency entry for it, or None."""
    if folder.parent.name != "charts":
        return None
    parent_folder = folder.parent.parent
    parent_display = str(PurePosixPath(display_folder).parent.parent / "Chart.yaml")
    parent = load_chart(parent_folder, parent_display)
    if parent is None:
        return None
    own = load_chart(folder, str(PurePosixPath(display_folder) / "Chart.yaml"))
    name = own.name if own is not None and own.name else folder.name
    for dependency in parent.dependencies:
        if dependency.name == name:
            return parent, dependency
    return None


def vendored_folder(chart: Chart, dependency: Dependency) -> Path | None:
    """The folder under ``charts/`` that vendors ``dependency``, if there is one."""
    charts = chart.folder / "charts"
    candidate = charts / dependency.name
    if (candidate / "Chart.yaml").is_file():
        return candidate
    if not charts.is_dir():
        return None
    for folder in sorted(p for p in charts.iterdir() if (p / "Chart.yaml").is_file()):
        own = load_chart(folder, str(folder / "Chart.yaml"))
        if own is not None and own.name == dependency.name:
            return folder
    return None


def vendored_archives(chart: Chart, dependency: Dependency) -> Iterator[Path]:
    """``charts/<name>-<version>.tgz`` archives (as ``helm dependency build`` writes)."""
    charts = chart.folder / "charts"
    if not charts.is_dir() or not _CHART_NAME.match(dependency.name):
        return
    pattern = re.compile(rf"^{re.escape(dependency.name)}-v?\d[^/]*\.tgz$")
    for path in sorted(charts.iterdir()):
        if pattern.match(path.name) and path.is_file():
            yield path
