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

import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from policycheck.catalog import catalog
from policycheck.errors import InputError
from policycheck.images import component_for_image
from policycheck.model import Component, Location
from policycheck.sources.helm import values_image_at
from policycheck.sources.interface import Source, mentions_engine
from policycheck.yamlload import Located, PathKey, iter_documents

#: Where an engine must be named for a manifest to be worth parsing: an ``image:``
#: value (or one YAML could fill from elsewhere: empty, an alias, a block scalar, a
#: template), or an operator resource's ``kind:``. Matched on lower-cased bytes.
_WORTH_PARSING = re.compile(
    rb"""image["']?[ \t]*:[ \t]*(?:$|[*&!|>]|[^\n]*(?:redis|valkey|dragonfly|keydb|garnet|"""
    rb"""kvrocks|memcache|\{\{))|kind["']?[ \t]*:[^\n]*(?:redis|valkey|dragonfly|keydb)""",
    re.MULTILINE,
)
_HEAD_API_VERSION = re.compile(rb"""(?m)^[ \t-]*["']?apiVersion["']?[ \t]*:""")
_HEAD_KIND = re.compile(rb"""(?m)^[ \t-]*["']?kind["']?[ \t]*:""")

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

#: Operator custom resources that deploy an engine: (API group, kind) -> engine id.
OPERATOR_KINDS: dict[tuple[str, str], str] = {
    ("dragonflydb.io", "Dragonfly"): "dragonfly",
    ("redis.redis.opstreelabs.in", "Redis"): "redis",
    ("redis.redis.opstreelabs.in", "RedisCluster"): "redis",
    ("redis.redis.opstreelabs.in", "RedisReplication"): "redis",
    ("redis.redis.opstreelabs.in", "RedisSentinel"): "redis",
    ("databases.spotahome.com", "RedisFailover"): "redis",
    ("hyperspike.io", "Valkey"): "valkey",
    ("valkey.io", "ValkeyCluster"): "valkey",
    ("keydb.io", "KeyDBCluster"): "keydb",
}
#: Where those operators take the engine image from, first match wins.
_OPERATOR_IMAGE_PATHS: tuple[PathKey, ...] = (
    ("spec", "image"),
    ("spec", "kubernetesConfig", "image"),
    ("spec", "redis", "image"),
)

_IMAGE_LINE = re.compile(r"^\s*(?:-\s+)?image\s*:\s*(?P<value>\S.*?)\s*$")
_KIND_LINE = re.compile(r"^kind\s*:\s*[\"']?(?P<kind>[A-Za-z]+)")
_DOC_SEPARATOR = re.compile(r"^---(?:\s|$)")
_TEMPLATE_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)
_HELPER_NAME = re.compile(r"""\b(?:template|include)\s+"(?P<name>[^"]+)\"""")
_VALUES_IMAGE = re.compile(r"\.Values(?P<keys>(?:\.[A-Za-z0-9_]+)*?)\.image\b")
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


def _chart_values(path: Path) -> Path | None:
    """The values.yaml of the chart whose ``templates/`` directory holds ``path``."""
    for parent in path.parents:
        if parent.name == "templates":
            values = parent.parent / "values.yaml"
            return values if values.is_file() else None
    return None


def _values_display(display: str) -> str | None:
    """The display path of the values.yaml of the chart whose template is ``display``."""
    parts = PurePosixPath(display).parts
    if "templates" not in parts:
        return None
    index = len(parts) - 1 - parts[::-1].index("templates")
    return str(PurePosixPath(*parts[:index], "values.yaml"))


def templated_engine(
    value: str, path: Path, display: str = ""
) -> tuple[str, Location | None] | None:
    """The engine a templated image value deploys, when the template says so plainly,
    and where the chart's values.yaml declares that image, when it does.

    ``{{ template "redis.image" . }}`` names the chart's main image helper;
    ``{{ .Values.image.repository }}`` points into values.yaml, whose image decides.
    ``redis.metrics.image`` is the exporter's helper and names no engine.
    """
    for helper in _HELPER_NAME.finditer(value):
        stem, _, last = helper.group("name").rpartition(".")
        if last == "image" and stem in _engine_ids():
            return stem, None
    match = _VALUES_IMAGE.search(value)
    values = _chart_values(path) if match else None
    if match is None or values is None:
        return None
    keys = tuple(k for k in match.group("keys").split(".") if k)
    found = values_image_at(values, keys)
    if found is None:
        return None
    engine, line = found
    values_display = _values_display(display)
    return engine, Location(values_display, line) if values_display else None


def _templated_component(
    engine: str,
    value: str,
    display: str,
    line: int | None,
    origin: str = "image",
    same_as: Location | None = None,
) -> Component:
    return Component(
        engine,
        None,
        Location(display, line, value),
        unresolved=f"image is templated ({value}); render the chart or scan its values.yaml",
        origin=origin,
        same_as=same_as,
    )


def _image_component(value: str, path: Path, display: str, line: int | None) -> Component | None:
    """The engine an ``image:`` value runs, literal or templated; None for other images."""
    if "{{" in value:
        found = templated_engine(value, path, display)
        if found is None:
            return None
        engine, same_as = found
        return _templated_component(engine, value, display, line, same_as=same_as)
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


def _operator_component(
    obj: Mapping[Any, Any], engine: str, obj_path: PathKey, doc: Located, path: Path, display: str
) -> Component | None:
    kind = str(obj.get("kind"))
    for image_path in _OPERATOR_IMAGE_PATHS:
        image = _get(obj, image_path)
        if not isinstance(image, str) or not image.strip():
            continue
        line = doc.line_of((*obj_path, *image_path))
        if "{{" in image:
            return _templated_component(engine, image, display, line, origin="operator")
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
    return Component(
        engine,
        None,
        Location(display, doc.line_of((*obj_path, "kind")), f"kind: {kind}"),
        unresolved=f"custom resource {kind} names no image; the operator chooses the version",
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
    engine = OPERATOR_KINDS.get((group, kind))
    if engine is not None:
        component = _operator_component(obj, engine, obj_path, doc, path, display)
        if component is not None:
            yield component


def _blank_template_comments(text: str) -> str:
    """Drop ``{{/* ... */}}`` blocks but keep their newlines, so line numbers hold."""
    return _TEMPLATE_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def _image_value(raw: str) -> str:
    """The value of an ``image:`` line without a trailing ``# comment``."""
    if "{{" in raw:
        return raw
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def scan_template_lines(path: Path, text: str, display: str) -> Iterator[Component]:
    """Line-based scan of a Helm template, which cannot be parsed as YAML.

    Literal images are judged like any other; templated ones only when
    ``templated_engine`` ties them to an engine. Lines in a ConfigMap or Secret
    document are skipped, as in parsed manifests.
    """
    kind: str | None = None
    for number, line in enumerate(_blank_template_comments(text).splitlines(), start=1):
        if _DOC_SEPARATOR.match(line):
            kind = None
            continue
        kind_match = _KIND_LINE.match(line)
        if kind_match:
            kind = kind_match.group("kind")
            continue
        image_match = _IMAGE_LINE.match(line)
        if kind in _DATA_KINDS or image_match is None:
            continue
        value = _image_value(image_match.group("value"))
        component = _image_component(value, path, display, number) if value else None
        if component is not None:
            yield component


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
        The substring tests decide most files before the regular expression runs.
        """
        if not mentions_engine(lowered) and b"{{" not in lowered:
            return False
        return _WORTH_PARSING.search(lowered) is not None

    def claims(self, path: Path, head: bytes) -> bool:
        """A YAML file whose first bytes carry ``apiVersion`` and ``kind`` keys."""
        return (
            path.suffix.lower() in (".yaml", ".yml")
            and _HEAD_API_VERSION.search(head) is not None
            and _HEAD_KIND.search(head) is not None
        )

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Engines run by the file's workloads and operator resources.

        YAML is parsed first, even when ``{{`` appears (a ConfigMap may carry Go
        templates in its data); only when that fails is the file treated as a Helm
        template. Malformed YAML without ``{{`` raises InputError with the line.
        """
        try:
            docs = list(iter_documents(text, display))
        except InputError:
            if "{{" not in text:
                raise
            yield from scan_template_lines(path, text, display)
            return
        for doc in docs:
            yield from _object_components(doc.value, (), doc, path, display)


SOURCE = KubernetesSource()
