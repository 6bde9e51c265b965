"""Kubernetes manifests: container images of workloads, and operator custom resources.

Only what a cluster would run counts. Workload kinds contribute the images of their
containers, init containers and ephemeral containers; the engine is decided by the
catalogued image name alone, so ``oliver006/redis_exporter`` or a Service called
``redis`` yields nothing. ConfigMaps, Secrets and every other kind are never read for
images, even when their data embeds a manifest.

Operator custom resources (``kind: Dragonfly``, ``kind: RedisReplication``...) deploy an
engine without a Pod spec. They are recognised by API group and kind together, because
the same kind name means a managed cloud service in other groups (``aiven.io`` Valkey).
A resource without an image is still reported, unresolved: the operator picks the version.

Helm templates are not YAML. A file containing ``{{`` that does not parse is scanned line
by line for ``image:``; a templated value is reported unresolved only when it can be tied
to an engine (a ``<engine>.image`` helper, or a ``.Values...image`` path whose image in
the chart's values.yaml is an engine image).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from policycheck import images
from policycheck.catalog import catalog
from policycheck.errors import InputError
from policycheck.images import component_for_image
from policycheck.model import Component, Location
from policycheck.sources.compose import MISSING, component_for_template
from policycheck.sources.helm.template import ChartContext, Rendered, chart_context
from policycheck.sources.helm.values import (
    component_for_spot,
    dotted,
    iter_image_spots,
    spot_in_values,
)
from policycheck.sources.interface import (
    ENGINE_WORDS,
    Source,
    holds_template,
    mentions_engine,
    starts_a_line,
)
from policycheck.yamlload import Located, PathKey, iter_documents

#: ``apiVersion:`` and ``kind:`` keys, at the start of a line after blanks, dashes and
#: an optional quote (see ``starts_a_line``).
_HEAD_API_VERSION = re.compile(rb"""apiVersion["']?[ \t]*:""")
_HEAD_KIND = re.compile(rb"""kind["']?[ \t]*:""")
_HEAD_LEAD = b" \t-"
# Patterns for the start of a line below are written after a newline and tried at the
# start of the text separately: ``(?m)^`` makes Python's regular expressions try every
# position, 15 to 30 times slower on a large manifest.

#: A document start marker: where a multi-document stream may be cut into documents.
_DOCUMENT_START = re.compile(r"\n---(?=[ \t\r\n]|\Z)")
#: Directives and document end markers: a stream with them is composed whole.
_NOT_SPLITTABLE = re.compile(r"(?:%|\.\.\.(?:[ \t\r\n]|\Z))")
_NOT_SPLITTABLE_LINE = re.compile(r"\n" + _NOT_SPLITTABLE.pattern)
#: A top-level ``kind:`` key (column 0 of a block mapping), and its value as one word.
_TOP_KIND = re.compile(r"""["']?kind["']?[ \t]*:([^\n]*)""")
_TOP_KIND_LINE = re.compile(r"\n" + _TOP_KIND.pattern)
#: What ``deploys_nothing`` looks for at line starts, in one pass: a document start
#: marker (group 1), a top-level kind (group 2), or a directive or document end marker.
_LINE_MARK = re.compile(
    r"\n(?:(---)(?=[ \t\r\n]|\Z)|%|\.\.\.(?=[ \t\r\n]|\Z)|" + _TOP_KIND.pattern + ")"
)
#: A kind written as one word, quoted or not, before an optional comment (``#`` after
#: a blank; ``Service#x`` is one plain scalar).
_KIND_WORD = re.compile(r"""[ \t]*(["']?)(?P<kind>[A-Za-z][A-Za-z0-9]*)\1(?:[ \t]+#.*|[ \t]*)\r?""")

#: Where each workload kind keeps its Pod spec.
POD_SPEC_PATHS: dict[str, PathKey] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class OperatorKind:
    """An operator's custom resource that deploys an engine.

    ``images`` are where the resource names each engine image it runs (a sentinel
    and a server are two). When the CRD requires the image (``image_required``), a
    resource without one is a patch or a test assertion of a resource declared
    elsewhere, and deploys nothing itself. ``default`` says what the operator runs
    when the image is not set, with where that was read. ``version`` is where a resource
    names the release itself (ECK's ``spec.version``), read when no image is set.
    """

    engine: str
    images: tuple[PathKey, ...]
    image_required: bool = False
    default: str | None = None
    version: PathKey | None = None


_OPSTREE = OperatorKind("redis", (("spec", "kubernetesConfig", "image"),), image_required=True)
_SPOTAHOME_DEFAULT = (
    "spotahome/redis-operator sets redis:6.2.6-alpine when the image is not set (releases "
    "v1.1.0 to v1.3.0-rc1; redis:5.0-alpine in v1.0.0; api/redisfailover/v1/defaults.go), "
    "so the version depends on the operator release that is deployed"
)
#: Operator custom resources that deploy an engine: (API group, kind) -> what they run.
OPERATOR_KINDS: dict[tuple[str, str], OperatorKind] = {
    ("dragonflydb.io", "Dragonfly"): OperatorKind("dragonfly", (("spec", "image"),)),
    ("redis.redis.opstreelabs.in", "Redis"): _OPSTREE,
    ("redis.redis.opstreelabs.in", "RedisCluster"): _OPSTREE,
    ("redis.redis.opstreelabs.in", "RedisReplication"): _OPSTREE,
    ("redis.redis.opstreelabs.in", "RedisSentinel"): _OPSTREE,
    ("databases.spotahome.com", "RedisFailover"): OperatorKind(
        "redis",
        (("spec", "redis", "image"), ("spec", "sentinel", "image")),
        default=_SPOTAHOME_DEFAULT,
    ),
    ("hyperspike.io", "Valkey"): OperatorKind("valkey", (("spec", "image"),)),
    ("valkey.io", "ValkeyCluster"): OperatorKind("valkey", (("spec", "image"),)),
    ("keydb.io", "KeyDBCluster"): OperatorKind("keydb", (("spec", "image"),)),
    # ECK: the CRD's required spec.version is the Elastic Stack version it deploys
    # (elastic/cloud-on-k8s, config/crds: printer column "Elasticsearch version").
    ("elasticsearch.k8s.elastic.co", "Elasticsearch"): OperatorKind(
        "elasticsearch", (("spec", "image"),), version=("spec", "version")
    ),
    ("kibana.k8s.elastic.co", "Kibana"): OperatorKind(
        "kibana", (("spec", "image"),), version=("spec", "version")
    ),
    # MongoDB Community Operator: spec.version is the MongoDB server version
    # (mongodb/mongodb-kubernetes-operator, config/samples).
    ("mongodbcommunity.mongodb.com", "MongoDBCommunity"): OperatorKind(
        "mongodb", (), version=("spec", "version")
    ),
}
#: Kinds whose objects ``_object_components`` reads; every other kind yields nothing.
READ_KINDS = frozenset({*POD_SPEC_PATHS, "List", *(kind for _, kind in OPERATOR_KINDS)})
#: Where an engine must be named for a manifest to be worth parsing: an ``image:``
#: value naming one of the walker's engine words (or one YAML could fill from elsewhere:
#: empty, an alias, a block scalar, a template), or an operator resource's ``kind:``.
#: Matched on lower-cased bytes, as two patterns: each starts with a literal, which
#: Python's regular expressions find at memory speed; one pattern of the two
#: alternatives tries every position, 30 times slower on a chart collection's templates.
_WORTH_PARSING = (
    re.compile(
        rb"""image["']?[ \t]*:[ \t]*(?:$|[*&!|>]|[^\n]*(?:"""
        + b"|".join(re.escape(word) for word in ENGINE_WORDS)
        + rb"""|\{\{))""",
        re.MULTILINE,
    ),
    # any operator kind of the table below, so a resource naming only a version is read
    re.compile(
        rb"""kind["']?[ \t]*:[^\n]*(?:"""
        + b"|".join(sorted({re.escape(k.lower().encode()) for _, k in OPERATOR_KINDS}))
        + rb""")"""
    ),
)

_IMAGE_LINE = re.compile(r"^\s*(?:-\s+)?image\s*:\s*(?P<value>\S.*?)\s*$")
_KIND_LINE = re.compile(r"^kind\s*:\s*[\"']?(?P<kind>[A-Za-z]+)")
_DOC_SEPARATOR = re.compile(r"^---(?:\s|$)")
_TEMPLATE_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)
_HELPER_NAME = re.compile(r"""\b(?:template|include)\s+"(?P<name>[^"]+)\"""")
_DATA_KINDS = frozenset({"ConfigMap", "Secret"})


@cache
def _engine_ids() -> frozenset[str]:
    return frozenset(catalog().engines)


def _get(value: Any, path: PathKey) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _helper_engine(value: str) -> str | None:
    """The engine of a ``<engine>.image`` helper (``redis.image``; not
    ``redis.metrics.image``, the exporter's)."""
    for helper in _HELPER_NAME.finditer(value):
        stem, _, last = helper.group("name").rpartition(".")
        if last == "image" and stem in _engine_ids():
            return stem
    return None


#: ``templated_component`` looks the chart up itself (a caller may have done it).
_LOOK_UP = object()


def templated_component(
    value: str,
    path: Path,
    display: str,
    line: int | None,
    origin: str = "image",
    context: ChartContext | None | object = _LOOK_UP,
) -> Component | None:
    """The engine a templated ``image:`` value deploys, rendered from the chart's
    values.yaml and Chart.yaml when the template says plainly how (see
    ``helm.template``).

    A template that takes both repository and tag from one values entry is that
    entry's deployment: ``same_as`` points there, so a chart scanned whole reports
    it once, at values.yaml. When the value cannot be rendered, the engine is still
    told from a ``<engine>.image`` helper's name, unresolved.
    """
    location = Location(display, line, value)
    chart = (
        chart_context(path, display)
        if context is _LOOK_UP
        else cast("ChartContext | None", context)
    )
    why = "render the chart or scan its values.yaml"
    if chart is not None and chart.may_deploy_engine(value):
        rendered = chart.render(value)
        decided, component = _rendered_component(rendered, chart, value, location, origin)
        if decided:
            return component
        why = rendered.reason or why
    engine = _helper_engine(value)
    if engine is None:
        return None
    return Component(
        engine,
        None,
        location,
        unresolved=f"image is templated ({value}); {why}",
        origin=origin,
        same_as=_only_image_of(engine, chart),
    )


def _rendered_component(
    rendered: Rendered, context: ChartContext, value: str, location: Location, origin: str
) -> tuple[bool, Component | None]:
    """(whether rendering decided, the component): undecided when the repository
    could not be rendered."""
    values = context.values
    spot = rendered.spots.get(rendered.entry) if rendered.entry is not None else None
    if spot is None and rendered.entry is not None and values is not None:
        spot = spot_in_values(values, rendered.entry)
    if spot is not None and values is not None:
        found = component_for_spot(spot, context.chart, location.path)
        if found is None or found.location is None:
            return True, None
        note = f"rendered from {values.name} {dotted(spot.path)}: {found.location.text}"
        return True, dataclasses.replace(
            found,
            location=location,
            origin=origin,
            same_as=Location(values.display, spot.line),
            notes=(*found.notes, note),
        )
    text = rendered.text
    if MISSING not in text:
        found = component_for_image(text, location)
        if found is None:
            return True, None
        notes = [f"rendered with the chart's defaults: {text}"]
        if rendered.app_version:
            notes.append("the tag is the chart's appVersion (Chart.yaml), not a values entry")
        return True, dataclasses.replace(found, origin=origin, notes=(*found.notes, *notes))
    reason = f"image is templated ({value}): {rendered.reason or 'part of it is unknown'}"
    found = component_for_template(text, location, reason)
    if found is not None:
        return True, dataclasses.replace(found, origin=origin)
    return False, None


def _only_image_of(engine: str, context: ChartContext | None) -> Location | None:
    """Where values.yaml declares this engine's image, when it declares exactly one."""
    values = context.values if context is not None else None
    if values is None:
        return None
    lines: list[int | None] = []
    for spot in iter_image_spots(values.doc.value, (), values.doc, values.lines, values.name):
        found = component_for_image(spot.reference(""), Location(values.display))
        if found is not None and found.engine == engine:
            lines.append(spot.line)
    return Location(values.display, lines[0]) if len(lines) == 1 else None


def _image_component(value: str, path: Path, display: str, line: int | None) -> Component | None:
    """The engine an ``image:`` value runs, literal or templated; None for other images."""
    if "{{" in value:
        return templated_component(value, path, display, line)
    return component_for_image(value, Location(display, line, value.strip().strip("\"'")))


def _pod_components(
    pod_spec: Any, spec_path: PathKey, doc: Located, path: Path, display: str
) -> Iterator[Component]:
    if not isinstance(pod_spec, Mapping):
        return
    for list_name in _CONTAINER_LISTS:
        containers = pod_spec.get(list_name)
        if not isinstance(containers, list):
            continue
        for index, container in enumerate(containers):
            image = container.get("image") if isinstance(container, Mapping) else None
            if not isinstance(image, str):
                continue
            line = doc.line_of((*spec_path, list_name, index, "image"))
            component = _image_component(image, path, display, line)
            if component is not None:
                yield component


def _operator_components(
    obj: Mapping[Any, Any],
    operator: OperatorKind,
    obj_path: PathKey,
    doc: Located,
    path: Path,
    display: str,
) -> Iterator[Component]:
    """The engines a custom resource runs; nothing for one without a ``spec`` (a test
    assertion on ``status``) or without an image its CRD requires (a patch)."""
    if not isinstance(obj.get("spec"), Mapping):
        return
    images = [(p, _get(obj, p)) for p in operator.images]
    if operator.image_required and not any(_is_text(image) for _, image in images):
        return
    kind = str(obj.get("kind"))
    version = _get(obj, operator.version) if operator.version else None
    if operator.version and not any(_is_text(image) for _, image in images):
        if isinstance(version, (str, int, float)) and str(version).strip():
            line = doc.line_of((*obj_path, *operator.version))
            field = ".".join(map(str, operator.version))
            yield Component(
                operator.engine,
                str(version).strip(),
                Location(display, line, f"{kind} {field}: {version}"),
                origin="operator",
            )
            return
        images = images or [(operator.version, None)]
    for image_path, image in images:
        if _is_text(image):
            line = doc.line_of((*obj_path, *image_path))
            yield _operator_image(image, operator.engine, kind, path, display, line)
            continue
        owner = image_path[:-1]
        where = owner if len(owner) > 1 and _get(obj, owner) is not None else ("kind",)
        line = doc.line_of((*obj_path, *where))
        field = ".".join(map(str, image_path))
        reason = (
            f"custom resource {kind} does not set {field}: {operator.default}"
            if operator.default
            else f"custom resource {kind} names no image; the operator chooses the version"
        )
        text = f"kind: {kind}" if where == ("kind",) else f"{kind} {field} (not set)"
        yield Component(
            operator.engine,
            None,
            Location(display, line, text),
            unresolved=reason,
            origin="operator",
        )


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _operator_image(
    image: str, engine: str, kind: str, path: Path, display: str, line: int | None
) -> Component:
    if "{{" in image:
        found = templated_component(image, path, display, line, origin="operator")
        if found is not None:
            return found
        return Component(
            engine,
            None,
            Location(display, line, image),
            unresolved=f"image is templated ({image}); render the chart or scan its values.yaml",
            origin="operator",
        )
    found = component_for_image(image, Location(display, line, image))
    if found is not None:
        return found
    return Component(
        engine,
        None,
        Location(display, line, image),
        unresolved=f"custom resource {kind} runs image {image!r}, which is not a catalogued "
        f"{engine} image; its version cannot be read",
        origin="operator",
    )


def _object_components(
    obj: Any, obj_path: PathKey, doc: Located, path: Path, display: str
) -> Iterator[Component]:
    """Components of one Kubernetes object (a ``List`` is walked item by item)."""
    if not isinstance(obj, Mapping):
        return
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        return
    if kind == "List" and isinstance(obj.get("items"), list):
        for index, item in enumerate(obj["items"]):
            yield from _object_components(item, (*obj_path, "items", index), doc, path, display)
        return
    spec_path = POD_SPEC_PATHS.get(kind)
    if spec_path is not None:
        pod_spec = _get(obj, spec_path)
        yield from _pod_components(pod_spec, (*obj_path, *spec_path), doc, path, display)
        return
    group = api_version.rpartition("/")[0]
    operator = OPERATOR_KINDS.get((group, kind))
    if operator is not None:
        yield from _operator_components(obj, operator, obj_path, doc, path, display)


def _blank_template_comments(text: str) -> str:
    """Drop ``{{/* ... */}}`` blocks but keep their newlines, so line numbers hold."""
    return _TEMPLATE_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def _image_value(raw: str) -> str:
    """The value of an ``image:`` line without a trailing ``# comment``."""
    if "{{" in raw:
        return raw
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def scan_template_lines(
    path: Path, text: str, display: str, context: ChartContext | None
) -> Iterator[Component]:
    """Line-based scan of a Helm template, which cannot be parsed as YAML.

    Literal images are judged like any other; templated ones only when
    ``templated_engine`` ties them to an engine. Lines in a ConfigMap or Secret
    document are skipped, as in parsed manifests. ``context`` is the template's chart
    (``chart_context``), looked up once by the caller.
    """
    kind: str | None = None
    for number, line in _template_lines(_blank_template_comments(text)):
        if line.startswith("---") and _DOC_SEPARATOR.match(line):
            kind = None
            continue
        kind_match = _KIND_LINE.match(line) if line.startswith("kind") else None
        if kind_match:
            kind = kind_match.group("kind")
            continue
        if "image" not in line:
            continue
        image_match = _IMAGE_LINE.match(line)
        if kind in _DATA_KINDS or image_match is None:
            continue
        value = _image_value(image_match.group("value"))
        if not value:
            continue
        if "{{" in value:
            component = templated_component(value, path, display, number, context=context)
        else:
            component = _image_component(value, path, display, number)
        if component is not None:
            yield component


#: Line breaks other than LF that ``str.splitlines`` counts (CR LF counts as one); the
#: last three are not ASCII. Each is looked for with ``in`` (a character class would
#: try every position of the text).
_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _template_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines ``scan_template_lines`` acts on, with their numbers as ``splitlines``
    counts them: those starting with ``---`` or ``kind`` and those holding ``image``.

    A chart's templates run to thousands of lines, few of them of interest: they are
    found by searching for those words rather than by testing every line. Text with
    other line breaks than LF (CR LF included) is walked line by line.
    """
    breaks = _OTHER_BREAKS[:6] if text.isascii() else _OTHER_BREAKS
    if any(other in text for other in breaks):
        for number, line in enumerate(text.splitlines(), start=1):
            if line.startswith(("---", "kind")) or "image" in line:
                yield number, line
        return
    starts = {0} if text.startswith(("---", "kind")) else set()
    for marker in ("\n---", "\nkind"):
        found = text.find(marker)
        while found >= 0:
            starts.add(found + 1)
            found = text.find(marker, found + 1)
    found = text.find("image")
    while found >= 0:
        starts.add(text.rfind("\n", 0, found) + 1)
        end = text.find("\n", found)
        found = text.find("image", end) if end >= 0 else -1
    number, counted = 1, 0
    for start in sorted(starts):
        number += text.count("\n", counted, start)
        counted = start
        end = text.find("\n", start)
        yield number, text[start : end if end >= 0 else len(text)]


def _template_may_deploy(context: ChartContext | None, text: str) -> bool:
    """Whether a templated manifest can run an engine: it names one (a literal image, an
    operator kind, an ``<engine>.image`` helper), or its chart's values or helpers do,
    from which a templated image would be rendered (``ChartContext.may_deploy_engine``).

    Every template of a chart collection passes ``worth_parsing`` for its ``{{``; most
    belong to charts that deploy no engine, and reading them line by line found nothing.
    """
    if context is not None and context.names_engine:
        return True
    return mentions_engine(text.encode("utf-8", "surrogatepass").lower())


def _stream_pieces(text: str) -> list[str] | None:
    """A stream cut at its document start markers (each piece keeps its marker), or
    None when directives or document end markers make it one to compose whole."""
    if _NOT_SPLITTABLE.match(text) or _NOT_SPLITTABLE_LINE.search(text):
        return None
    starts = [0, *(m.start() + 1 for m in _DOCUMENT_START.finditer(text)), len(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:], strict=False)]


def _line_breaks(text: str) -> int:
    """How many lines YAML counts in ``text``: a CR LF pair is one break, a CR alone, a
    NEL and the Unicode line and paragraph separators are one each."""
    count = text.count("\n")
    if "\r" in text:
        count += text.count("\r") - text.count("\r\n")
    for other in ("\x85", "\u2028", "\u2029"):
        if other in text:
            count += text.count(other)
    return count


def may_deploy(document: str) -> bool:
    """False when a document's top-level ``kind`` is written plainly and is none that
    ``_object_components`` reads; True when it is one, or is not written plainly
    (quoted as a flow mapping, an alias, twice), as only composing can then tell."""
    kinds = _TOP_KIND_LINE.findall(document)
    first = _TOP_KIND.match(document)
    if first is not None:
        kinds.append(first.group(1))
    return _kinds_may_deploy(kinds, document, 0, len(document))


def _kinds_may_deploy(kinds: list[str], text: str, start: int, end: int) -> bool:
    """``may_deploy`` for the document ``text[start:end]``, its top-level kinds found."""
    if not kinds:
        return not _blank(text[start:end])
    if len(kinds) != 1:
        return True
    word = _KIND_WORD.fullmatch(kinds[0])
    return word is None or word.group("kind") in READ_KINDS


def _stream_deploys_nothing(text: str) -> bool:
    """Whether no piece of ``_stream_pieces(text)`` passes ``may_deploy`` (False when the
    stream cannot be cut), in one pass over the text: an operator's CRD file weighs
    megabytes, and cutting it into pieces, then searching each, took five passes."""
    if _NOT_SPLITTABLE.match(text):
        return False
    first = _TOP_KIND.match(text)
    kinds = [first.group(1)] if first is not None else []
    start = 0
    for mark in _LINE_MARK.finditer(text):
        if mark.group(1) is not None:  # a document start: the piece before it is whole
            if _kinds_may_deploy(kinds, text, start, mark.start() + 1):
                return False
            start, kinds = mark.start() + 1, []
        elif mark.group(2) is not None:
            kinds.append(mark.group(2))
        else:
            return False  # a directive or a document end marker: composed whole
    return not _kinds_may_deploy(kinds, text, start, len(text))


def _blank(document: str) -> bool:
    """Whether a document is only comments and blank lines after its ``---`` marker:
    vendored CRD files open with a comment naming where they were copied from, and
    that empty first document made the whole stream look as if it might deploy.

    Python cuts lines in more places than YAML does; a cut only ever makes more text
    look like content, never less, and a document with any content is composed.
    """
    body = document[3:] if document.startswith("---") else document
    for line in body.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return False
    return True


class KubernetesSource(Source):
    """Kubernetes manifests, multi-document YAML and Helm templates included."""

    name = "kubernetes"
    #: Runs after the helm source: a values file is never a manifest.
    priority = 30

    def may_claim(self, name: str) -> bool:
        """Only YAML files."""
        return name.endswith((".yml", ".yaml"))

    def worth_parsing(self, lowered: bytes) -> bool:
        """An engine named where a manifest deploys one, not in an env var or a comment,
        or a templated image, which the chart's values.yaml may tie to an engine.

        Application manifests often say ``REDIS_HOST``; parsing them finds nothing.
        The two patterns, each searched from its literal, decide most files; the
        engine words (one pass over the whole file for all of them) are looked for after.
        """
        for pattern in _WORTH_PARSING:
            if pattern.search(lowered) is not None:
                break
        else:
            # An in-house image the policy declares names no engine: its name is the word.
            if not any(word in lowered for word in images.DECLARED_WORDS):
                return False
        return holds_template(lowered) or mentions_engine(lowered)

    def claims(self, path: Path, head: bytes) -> bool:
        """A YAML file whose first bytes carry ``apiVersion`` and ``kind`` keys."""
        return (
            path.suffix.lower() in (".yaml", ".yml")
            and starts_a_line(head, _HEAD_API_VERSION, _HEAD_LEAD)
            and starts_a_line(head, _HEAD_KIND, _HEAD_LEAD)
        )

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Engines run by the file's workloads and operator resources.

        YAML is parsed first, even when ``{{`` appears (a ConfigMap may carry Go
        templates in its data); only when that fails is the file treated as a Helm
        template. Malformed YAML without ``{{`` raises InputError with the line.
        """
        if holds_template(text):
            context = chart_context(path, display)
            if not _template_may_deploy(context, text):
                return
            try:
                docs = list(iter_documents(text, display))
            except InputError:
                yield from scan_template_lines(path, text, display, context)
                return
        else:
            docs = [doc for piece in self.documents_to_read(text, display) for doc in piece]
        for doc in docs:
            yield from _object_components(doc.value, (), doc, path, display)

    def deploys_nothing(self, text: str) -> bool:
        """A stream none of whose documents ``documents_to_read`` would compose for its
        kind: an operator's CRD files name its engine in every description and weigh
        megabytes. Templates are never decided here (their kind may be templated)."""
        return not holds_template(text) and _stream_deploys_nothing(text)

    def documents_to_read(self, text: str, display: str) -> Iterator[list[Located]]:
        """The documents of a stream that may deploy an engine, each composed once.

        Large manifests are mostly documents that cannot: a CustomResourceDefinition
        (an operator's CRD schema has ``image:`` keys and names its engine in every
        description) or a ConfigMap in a stream with one Deployment. The stream is cut
        at its document start markers; a document is composed only when it passes the
        file's own test (``worth_parsing``) and its top-level ``kind`` is one that
        ``_object_components`` reads (or cannot be told from the text). Each document
        is composed padded with the newlines before it, so lines and syntax errors
        point into the whole file. A document that is skipped is not checked for
        syntax, as a file that names no engine is not.
        """
        pieces = _stream_pieces(text)
        if pieces is None:
            yield list(iter_documents(text, display))
            return
        line = 0
        for piece in pieces:
            if may_deploy(piece) and self.worth_parsing(piece.encode("utf-8").lower()):
                yield list(iter_documents("\n" * line + piece, display))
            line += _line_breaks(piece)


SOURCE = KubernetesSource()
