"""Helm ``Chart.yaml`` (and Helm 2 ``requirements.yaml``): engines a chart pulls in as
dependencies.

``dependencies: [{name: redis, version: 22.x.x, repository: oci://...}]`` deploys the
Bitnami Redis chart with the parent: an engine, although no image of it appears in
the parent. A dependency is an engine when its chart name is an engine's
(``redis``, ``valkey``, ``dragonfly``, ``keydb``, ``memcached``...) alone or with a
topology suffix (``redis-cluster``, ``valkey-cluster``, ``redis-ha``); operators,
exporters and libraries (``redis-operator``, ``common``) are not.

* Vendored under ``charts/<name>/``: the walker scans that folder like any chart, and
  its values are reported there (see ``values`` for how the parent's values
  override them); nothing is added here unless that folder declares no engine image.
* Vendored as ``charts/<name>-<version>.tgz`` (``helm dependency build``): the
  archive's ``values.yaml`` and ``Chart.yaml`` are read (never extracted), and its
  engine images are reported at the archive.
* Otherwise the dependency itself is reported, unresolved: the engine version comes
  from the dependency chart's appVersion and values, which are not in the repository.
  When the parent's values set ``<alias>.image``, that entry is the same deployment
  (``same_as``) and is reported instead.

A dependency whose ``condition`` (or ``tags``) the parent's values switch off is
reported with ``disabled``. A Chart.yaml that is not valid UTF-8 or YAML is an input
error of its own; the chart's values and templates still report their engines, and
those whose tag is the appVersion say that Chart.yaml could not be read.
"""

from __future__ import annotations

import dataclasses
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from policycheck.errors import InputError
from policycheck.images import component_for_image
from policycheck.model import Component, Location
from policycheck.sources._helper_files import inside
from policycheck.sources.helm.chart import (
    Chart,
    Dependency,
    Values,
    chart_from_text,
    dependency_disabled,
    engine_for_chart,
    load_chart,
    load_values,
    sibling_display,
    vendored_archives,
    vendored_folder,
)
from policycheck.sources.helm.values import component_for_spot, iter_image_spots, spot_in_values
from policycheck.sources.interface import Source, mentions_engine
from policycheck.yamlload import PathKey, iter_documents

#: Chart archives larger than this are not opened (the dependency is then unresolved).
MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
#: How far into an archive's unpacked stream its chart files are looked for (``helm
#: package`` writes them first), so that a compression bomb costs bounded work.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: A values.yaml or Chart.yaml inside an archive larger than this is not read.
MAX_MEMBER_BYTES = 8 * 1024 * 1024

_CHART_FILES = ("Chart.yaml", "requirements.yaml")


def _dependency_reason(dependency: Dependency) -> str:
    source = f" from {dependency.repository}" if dependency.repository else ""
    version = f" {dependency.version}" if dependency.version else ""
    return (
        f"Chart.yaml depends on the {dependency.name} chart{version}{source}; the engine "
        "version from the dependency chart's appVersion is unknown here: vendor it under "
        f"charts/ (helm dependency build) or set {dependency.key}.image in values.yaml"
    )


class HelmChartSource(Source):
    """Helm ``Chart.yaml`` and ``requirements.yaml``: engine charts as dependencies."""

    name = "helm-chart"
    priority = 20

    def may_claim(self, name: str) -> bool:
        """``Chart.yaml`` and ``requirements.yaml`` only."""
        return name in ("chart.yaml", "requirements.yaml")

    def claims(self, path: Path, head: bytes) -> bool:
        """A chart's own files: ``requirements.yaml`` only beside a ``Chart.yaml``."""
        if path.name == "Chart.yaml":
            return True
        return path.name == "requirements.yaml" and (path.parent / "Chart.yaml").is_file()

    def worth_parsing(self, lowered: bytes) -> bool:
        """A dependency may name an engine; a file that is not UTF-8 is parsed too, so
        that it is reported: the chart's findings that need its appVersion say it
        could not be read, and the reason must be on record."""
        if mentions_engine(lowered):
            return True
        try:
            lowered.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """One component per engine dependency (or per engine image of a vendored
        archive)."""
        own = chart_from_text(text, display, path.parent)
        engines = [(d, e) for d in own.dependencies if (e := engine_for_chart(d.name)) is not None]
        if not engines:
            return  # the chart's values are read for engine dependencies only
        chart = load_chart(path.parent, sibling_display(display, "Chart.yaml")) or own
        values = load_values(path.parent, sibling_display(display, "values.yaml"))
        for dependency, engine in engines:
            yield from _dependency(chart, dependency, engine, values, display)


def _dependency(
    chart: Chart, dependency: Dependency, engine: str, values: Values | None, display: str
) -> Iterator[Component]:
    disabled = dependency_disabled(dependency, values)
    text = f"dependency {dependency.name} {dependency.version}".rstrip()
    location = Location(display, dependency.line, text)
    folder = vendored_folder(chart, dependency)
    if folder is not None and _declares_engine_image(folder):
        return  # scanned as a chart of its own, configured by this one
    found: list[Component] = []
    problems: list[str] = []
    for archive in vendored_archives(chart, dependency):
        archive_display = sibling_display(display, f"charts/{archive.name}")
        result = _archive_components(archive, archive_display, dependency, values, chart.folder)
        if isinstance(result, str):
            problems.append(f"{archive.name}: {result}")
        else:
            found.extend(result)
    if found:
        yield from (dataclasses.replace(c, disabled=c.disabled or disabled) for c in found)
        return
    reason = _dependency_reason(dependency)
    if folder is not None:
        reason += f" (charts/{folder.name}/ declares no catalogued engine image)"
    if problems:
        reason += f" (vendored archive not read: {'; '.join(problems)})"
    yield Component(
        engine,
        None,
        location,
        unresolved=reason,
        origin="chart-dependency",
        same_as=_override(dependency, values, ("image",)),
        disabled=disabled,
    )


def _override(dependency: Dependency, values: Values | None, path: PathKey) -> Location | None:
    """Where the parent's values set the dependency's image at ``path``, when they set
    an engine image there."""
    if values is None:
        return None
    spot = spot_in_values(values, (dependency.key, *path))
    if spot is None:
        return None
    found = component_for_image(spot.reference(""), Location(values.display))
    return Location(values.display, spot.line) if found is not None else None


def _declares_engine_image(folder: Path) -> bool:
    values = load_values(folder, str(folder / "values.yaml"))
    if values is None:
        return False
    for spot in iter_image_spots(values.doc.value, (), values.doc, values.lines):
        if component_for_image(spot.reference(""), Location(values.display)) is not None:
            return True
    return False


def _archive_components(
    archive: Path, display: str, dependency: Dependency, values: Values | None, root: Path
) -> list[Component] | str:
    """The engine images of a vendored chart archive, or why it could not be read."""
    if not inside(archive, root):
        return "it is a symlink out of the chart's folder, which is never read"
    try:
        if archive.stat().st_size > MAX_ARCHIVE_BYTES:
            return f"larger than {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB"
        members = _read_members(archive)
    except (OSError, tarfile.TarError, EOFError) as exc:
        return f"not a readable chart archive ({exc})"
    if isinstance(members, str):
        return members
    top, values_text, chart_text = members
    inner = PurePosixPath(display) / top
    try:
        chart = chart_from_text(chart_text, str(inner / "Chart.yaml"), archive.parent)
        docs = list(iter_documents(values_text, str(inner / "values.yaml")))
    except InputError as exc:
        return f"its files could not be parsed ({exc})"
    lines = tuple(values_text.splitlines())
    out: list[Component] = []
    for doc in docs:
        for spot in iter_image_spots(doc.value, (), doc, lines):
            if _override(dependency, values, spot.path) is not None:
                continue  # the parent's values set this image; reported there
            prefix = f"{top}/values.yaml:{spot.line}: "
            component = component_for_spot(spot, chart, display, prefix)
            if component is not None:
                location = Location(
                    display, None, component.location.text if component.location else None
                )
                out.append(dataclasses.replace(component, location=location))
    return out


def _read_members(archive: Path) -> tuple[str, str, str] | str:
    """(top folder, values.yaml text, Chart.yaml text) of a chart archive."""
    found: dict[str, str] = {}
    top: str | None = None
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            if tar.offset > MAX_UNPACKED_BYTES:
                return f"its chart files are not within its first {MAX_UNPACKED_BYTES >> 20} MB"
            parts = PurePosixPath(member.name).parts
            if len(parts) != 2 or parts[1] not in ("values.yaml", "Chart.yaml"):
                continue
            if top is not None and parts[0] != top:
                continue
            if not member.isfile() or member.size > MAX_MEMBER_BYTES:
                return f"{member.name} is not a regular file under the size limit"
            handle = tar.extractfile(member)
            if handle is None:
                continue
            top = parts[0]
            try:
                found[parts[1]] = handle.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                return f"{member.name} is not valid UTF-8"
            if len(found) == 2:
                break
    if top is None or "values.yaml" not in found:
        return "it holds no <chart>/values.yaml"
    return top, found["values.yaml"], found.get("Chart.yaml", "")


SOURCE = HelmChartSource()
