"""Terraform: Redis, Valkey and memcached run for you by AWS, Google Cloud and Azure.

A managed cache is declared by a resource (``aws_elasticache_replication_group``,
``google_redis_instance``, ...) whose engine and version are attributes, often set
through ``var.x``. We parse with tree-sitter-hcl (a C parser, fast enough to read
every file whole; ``_hcl`` gives its values python-hcl2's shape, and python-hcl2 checks
that in the tests) and resolve ``var.`` and ``local.`` references the way
``terraform plan`` would for this one directory: ``variable`` defaults, overridden by ``terraform.tfvars`` and then
``*.auto.tfvars`` (lexical order). Other ``*.tfvars`` files are only used with
``-var-file``; one such value is used, conflicting values leave the version unresolved.
Anything that needs Terraform itself (data sources, functions, module outputs) is
reported unresolved with the reference named, never guessed.

Defaults when an attribute is omitted (hashicorp provider documentation):

* ``aws_elasticache_replication_group.engine`` defaults to ``redis`` ("Valid values
  are redis or valkey. Default is redis").
* ``aws_elasticache_cluster.engine`` is "Optional, Required if replication_group_id is
  not specified"; a member cluster without it belongs to a replication group, which is
  reported on its own.
* ``aws_elasticache_serverless_cache.engine`` is required; the version is
  ``major_engine_version``.
* ``google_redis_instance.redis_version``: "If not provided, latest supported version
  will be used"; ``google_memorystore_instance.engine_version`` has no documented
  default. ElastiCache ``engine_version`` likewise falls to the service's current
  default. These are reported unresolved: the default moves over time.
* ``azurerm_redis_cache.redis_version``: "Possible values are 4 and 6. Defaults to 6".

A ``.tfvars`` file with no resources next to it (the input of a wrapper module such as
cloudposse's elasticache-redis) yields an ElastiCache component when it sets
``engine_version`` together with an ElastiCache parameter-group ``family``
(``redis7``, ``valkey8``, ``memcached1.6``) or an ``engine``. That is a heuristic: the
file alone does not prove which resource consumes the values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from policycheck.errors import InputError
from policycheck.model import Component, Location
from policycheck.sources._hcl import HclFile, hcl_file, parse_hcl, warm_up
from policycheck.sources.interface import Source

ORIGIN = "terraform"
AWS = "aws-elasticache"
GCP = "gcp-memorystore"
AZURE = "azure-cache"
ENGINES = {"redis", "valkey", "memcached"}
_REF = re.compile(r"^\$\{\s*((?:var|local)\.[A-Za-z_][\w-]*)\s*\}$")
_INTERPOLATION = re.compile(r"\$\{\s*([^}]*?)\s*\}")
_NAMED_REF = re.compile(r"^(var|local)\.([A-Za-z_][\w-]*)$")
_FAMILY = re.compile(r"^(redis|valkey|memcached)\d", re.IGNORECASE)
_GCP_VERSION = re.compile(r"^(?:REDIS|VALKEY)_(\d+)_(\d+|X)$", re.IGNORECASE)
_TOP_BLOCK = re.compile(r"^(resource|data|module|variable|output|locals|provider|terraform)\b")
_LOCALS = re.compile(r"^\s*locals\s*\{", re.MULTILINE)
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Value:
    """An attribute's value after resolution, or why it could not be resolved."""

    text: str | None
    why: str | None = None
    via: str | None = None


@dataclass(frozen=True)
class Block:
    """One managed-cache declaration: its kind, name, attributes and first line."""

    kind: str
    name: str
    body: dict[str, Any]
    line: int | None


class TerraformSource(Source):
    """Managed caches declared in Terraform (``*.tf``) and their ``*.tfvars`` inputs."""

    name = "terraform"
    priority = 10

    def claims(self, path: Path, head: bytes) -> bool:
        """``*.tf`` and ``*.tfvars`` files by name."""
        return path.name.endswith((".tf", ".tfvars"))

    def prepare(self) -> None:
        """Load the tree-sitter HCL language (about 10 ms) once, before workers fork."""
        super().prepare()
        warm_up()

    def may_claim(self, name: str) -> bool:
        """The name decides alone (lower-cased here, as ``claims`` is not)."""
        return name.endswith((".tf", ".tfvars"))

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Yield one provider-managed component per managed cache the file declares.

        The file is parsed whole; only the blocks that can declare a cache are turned
        into values (see ``_hcl``).
        """
        if path.name.endswith(".tfvars"):
            yield from _from_tfvars(path, text, display, parse_hcl(text, display))
            return
        doc = HclFile(text, display).select(_may_declare_cache)
        scope = Scope(path.parent)
        for block in _blocks(doc, text):
            yield from _components(block, scope, text, display)


# -- blocks ------------------------------------------------------------------------------


def _may_declare_cache(block_text: str) -> bool:
    """Whether a top-level block's text could hold a cache resource or wrapper module."""
    return "elasticache" in block_text.lower() or any(kind in block_text for kind in _RESOURCES)


def _blocks(doc: dict[str, Any], text: str) -> Iterator[Block]:
    """Resources of a known managed-cache type, and ElastiCache wrapper modules."""
    for entry in _as_list(doc.get("resource")):
        for kind, named in _items(entry):
            if kind not in _RESOURCES:
                continue
            for name, body in _items(named):
                if isinstance(body, dict):
                    yield Block(kind, name, body, _block_line(text, "resource", kind, name))
    for entry in _as_list(doc.get("module")):
        for name, body in _items(entry):
            if isinstance(body, dict) and "elasticache" in str(body.get("source", "")).lower():
                yield Block("module", name, body, _block_line(text, "module", name))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _items(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


def _block_line(text: str, keyword: str, *labels: str) -> int | None:
    quoted = r"\s+".join(rf'"{re.escape(label)}"' for label in labels)
    m = re.search(rf"^[ \t]*{keyword}\s+{quoted}", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _attribute_line(text: str, start: int | None, attribute: str) -> int | None:
    """The line of ``attribute =`` inside the block starting at line ``start``."""
    if start is None:
        return None
    lines = text.splitlines()
    pattern = re.compile(rf"^\s*{re.escape(attribute)}\s*=")
    for number in range(start, len(lines)):
        line = lines[number]
        if _TOP_BLOCK.match(line):
            break
        if pattern.match(line):
            return number + 1
    return start


def _line_text(text: str, line: int | None) -> str | None:
    lines = text.splitlines()
    return lines[line - 1].strip() if line and 0 < line <= len(lines) else None


# -- resolving var. and local. ----------------------------------------------------------


class Scope:
    """Variables and locals of one Terraform directory, as ``terraform plan`` sees them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.auto, self.var_files = _tfvars(directory)
        self._locals: dict[str, Any] | None = None
        #: Sibling files that failed to parse, by name: named when a value is missing.
        self.broken: dict[str, InputError] = {}

    def _select(self, wanted: Callable[[str], bool]) -> Iterator[dict[str, Any]]:
        """The wanted blocks of every ``.tf`` file of the directory, in lexical order."""
        for path in _siblings(self.directory, ".tf"):
            hcl = hcl_file(path)
            if hcl is None:
                continue
            try:
                yield hcl.select(wanted)
            except InputError as exc:
                self.broken[path.name] = exc

    def _broken_note(self) -> str:
        if not self.broken:
            return ""
        name, exc = sorted(self.broken.items())[0]
        where = f"{name}:{exc.line}" if exc.line else name
        return f" ({where} could not be parsed: {exc.message})"

    def _default(self, name: str) -> tuple[bool, Any]:
        """Whether variable ``name`` is declared with a default here, and the default.

        Only the blocks that mention the name are parsed; the last declaration wins,
        as the files are read in lexical order.
        """
        found: tuple[bool, Any] = (False, None)
        pattern = re.compile(rf'\bvariable\s+"?{re.escape(name)}"?\s*\{{')
        for doc in self._select(lambda block: pattern.search(block) is not None):
            for entry in _as_list(doc.get("variable")):
                body = dict(_items(entry)).get(name)
                if isinstance(body, dict) and "default" in body:
                    found = (True, body["default"])
        return found

    @property
    def locals(self) -> dict[str, Any]:
        """Every ``locals`` value of the directory, parsed the first time one is needed."""
        if self._locals is None:
            self._locals = {}
            for doc in self._select(lambda block: _LOCALS.search(block) is not None):
                for entry in _as_list(doc.get("locals")):
                    self._locals.update(dict(_items(entry)))
        return self._locals

    def resolve(self, raw: Any, depth: int = 0) -> Value:
        """Resolve an attribute value to text, following var./local. references."""
        if raw is None:
            return Value(None)
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            return Value(None, f"the value {_show(raw)} is not a string")
        if not isinstance(raw, str):
            return Value(str(raw))
        m = _REF.match(raw)
        if m:
            return self._reference(m.group(1), depth)
        if "${" in raw:
            return self._template(raw, depth)
        return Value(raw)

    def _reference(self, ref: str, depth: int) -> Value:
        if depth > _MAX_DEPTH:
            return Value(None, f"{ref} refers to itself through other values")
        m = _NAMED_REF.match(ref)
        if m is None:
            return Value(None, f"the expression {ref} needs Terraform to evaluate")
        kind, name = m.groups()
        if kind == "local":
            if name not in self.locals:
                return Value(
                    None,
                    f"local value {ref} is not a literal in this directory{self._broken_note()}",
                )
            inner = self.resolve(self.locals[name], depth + 1)
            return Value(inner.text, inner.why, inner.via or f"{ref}")
        return self._variable(name, depth)

    def _variable(self, name: str, depth: int) -> Value:
        ref = f"var.{name}"
        if name in self.auto:
            raw, origin = self.auto[name]
        elif name in self.var_files:
            choices = self.var_files[name]
            distinct = {json.dumps(v, sort_keys=True, default=str) for v, _ in choices}
            if len(distinct) > 1:
                files = ", ".join(sorted(f for _, f in choices))
                return Value(
                    None, f"variable {name} is set to different values in {files} (-var-file)"
                )
            raw, origin = choices[0]
        elif (default := self._default(name))[0]:
            raw, origin = default[1], "its default"
        else:
            return Value(
                None,
                f"variable {name} has no default and no .tfvars file in this directory sets it"
                + self._broken_note(),
            )
        inner = self.resolve(raw, depth + 1)
        return Value(inner.text, inner.why, f"{ref} from {origin}")

    def _template(self, raw: str, depth: int) -> Value:
        parts: list[str] = []
        pos = 0
        for m in _INTERPOLATION.finditer(raw):
            value = self._reference(m.group(1), depth + 1)
            if value.text is None:
                return value
            parts.extend((raw[pos : m.start()], value.text))
            pos = m.end()
        parts.append(raw[pos:])
        return Value("".join(parts), via=f"template {raw!r}")


def _show(raw: Any) -> str:
    return json.dumps(raw, default=str)[:60]


def _siblings(directory: Path, suffix: str) -> list[Path]:
    try:
        return sorted(
            p
            for p in directory.iterdir()
            if p.name.endswith(suffix) and p.is_file() and not p.is_symlink()
        )
    except OSError:
        return []


def _quiet(hcl: HclFile, wanted: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """A sibling's wanted blocks (or all of it), or nothing when it is broken.

    The walker reports a broken file on its own; here it only fails to contribute.
    """
    try:
        return hcl.whole() if wanted is None else hcl.select(wanted)
    except InputError:
        return {}


def _load(path: Path) -> dict[str, Any]:
    """A whole sibling file (``.tfvars`` are small), or nothing when unreadable or broken."""
    hcl = hcl_file(path)
    return {} if hcl is None else _quiet(hcl)


def _tfvars(
    directory: Path,
) -> tuple[dict[str, tuple[Any, str]], dict[str, list[tuple[Any, str]]]]:
    """Auto-loaded values (later files win) and values only a -var-file would load."""
    auto: dict[str, tuple[Any, str]] = {}
    var_files: dict[str, list[tuple[Any, str]]] = {}
    files = _siblings(directory, ".tfvars")
    auto_files = [p for p in files if p.name == "terraform.tfvars"]
    auto_files += [p for p in files if p.name.endswith(".auto.tfvars")]
    for path in auto_files:
        for key, value in _load(path).items():
            auto[key] = (value, path.name)
    for path in files:
        if path in auto_files:
            continue
        for key, value in _load(path).items():
            var_files.setdefault(key, []).append((value, path.name))
    return auto, var_files


# -- components ------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """How one resource type names its engine and version, and who runs it."""

    provider: str
    engine_attr: str | None
    default_engine: str | None
    version_attr: str
    version_default: str | None
    missing_version: str
    normalise: Callable[[str], str]


def _elasticache_version(text: str) -> str:
    """``7.0`` stays a line; ``6.x`` is the 6 line; full versions pass through."""
    return re.sub(r"\.x$", "", text.strip(), flags=re.IGNORECASE)


def _gcp_version(text: str) -> str:
    """``REDIS_7_2`` -> ``7.2``; ``REDIS_6_X`` -> ``6``; ``VALKEY_8_0`` -> ``8.0``."""
    m = _GCP_VERSION.match(text.strip())
    if not m:
        return text.strip()
    major, minor = m.groups()
    return major if minor.upper() == "X" else f"{major}.{minor}"


_ELASTICACHE_DEFAULT = "engine_version is not set: ElastiCache uses its current default version"
_RESOURCES: dict[str, Spec] = {
    "aws_elasticache_replication_group": Spec(
        AWS, "engine", "redis", "engine_version", None, _ELASTICACHE_DEFAULT, _elasticache_version
    ),
    "aws_elasticache_cluster": Spec(
        AWS, "engine", None, "engine_version", None, _ELASTICACHE_DEFAULT, _elasticache_version
    ),
    "aws_elasticache_serverless_cache": Spec(
        AWS,
        "engine",
        None,
        "major_engine_version",
        None,
        "major_engine_version is not set: ElastiCache Serverless uses its current default",
        _elasticache_version,
    ),
    "google_redis_instance": Spec(
        GCP,
        None,
        "redis",
        "redis_version",
        None,
        "redis_version is not set: Memorystore uses its latest supported version",
        _gcp_version,
    ),
    "google_memorystore_instance": Spec(
        GCP,
        None,
        "valkey",
        "engine_version",
        None,
        "engine_version is not set: Memorystore for Valkey uses its current default",
        _gcp_version,
    ),
    "azurerm_redis_cache": Spec(
        AZURE, None, "redis", "redis_version", "6", "", _elasticache_version
    ),
}
_MODULE = Spec(
    AWS,
    "engine",
    None,
    "engine_version",
    None,
    "engine_version is not set: the module's default version applies",
    _elasticache_version,
)


def _components(block: Block, scope: Scope, text: str, display: str) -> Iterator[Component]:
    spec = _MODULE if block.kind == "module" else _RESOURCES[block.kind]
    engine = _engine(block, spec, scope)
    if engine is None:
        return
    where = f"{block.kind}.{block.name}" if block.kind != "module" else f"module.{block.name}"
    version_line = _attribute_line(text, block.line, spec.version_attr)
    if spec.version_attr not in block.body:
        version_line = block.line
    location = Location(display, version_line, _line_text(text, version_line))
    if isinstance(engine, Value):
        yield Component(
            "redis",
            None,
            location,
            unresolved=f"{where}: engine: {engine.why}",
            provider=spec.provider,
            origin=ORIGIN,
        )
        return
    yield _versioned(engine, block, spec, scope, location, where, text)


def _engine(block: Block, spec: Spec, scope: Scope) -> str | Value | None:
    """The engine name, a Value saying why it is unknown, or None for no engine at all."""
    if spec.engine_attr is None:
        return spec.default_engine
    raw = block.body.get(spec.engine_attr)
    if raw is None:
        if block.kind == "module":
            source = str(block.body.get("source", "")).lower()
            return (
                "valkey" if "valkey" in source else "memcached" if "memcache" in source else "redis"
            )
        return spec.default_engine
    value = scope.resolve(raw)
    if value.text is None:
        return value
    engine = value.text.strip().lower()
    return engine if engine in ENGINES else Value(None, f"unknown engine {value.text!r}")


def _versioned(
    engine: str,
    block: Block,
    spec: Spec,
    scope: Scope,
    location: Location,
    where: str,
    text: str,
) -> Component:
    raw = block.body.get(spec.version_attr)
    if raw is None and spec.version_default is None:
        return Component(
            engine,
            None,
            location,
            unresolved=f"{where}: {spec.missing_version}",
            provider=spec.provider,
            origin=ORIGIN,
        )
    if raw is None:
        value = Value(spec.version_default, via=f"{spec.version_attr} not set; provider default")
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        value = Value(_number_literal(text, location.line, spec.version_attr) or str(raw))
    else:
        value = scope.resolve(raw)
    if value.text is None:
        return Component(
            engine,
            None,
            location,
            unresolved=f"{where}: {spec.version_attr}: {value.why}",
            provider=spec.provider,
            origin=ORIGIN,
        )
    version = spec.normalise(value.text)
    if value.via:
        text_with_source = f"{location.text or where} ({value.via}: {value.text!r})"
        location = replace(location, text=text_with_source)
    return Component(
        engine,
        version,
        location,
        floating=version.count(".") < 2,
        provider=spec.provider,
        origin=ORIGIN,
    )


def _number_literal(text: str, line: int | None, attribute: str) -> str | None:
    """The number as written (``7.10``), which a float would turn into ``7.1``."""
    source = _line_text(text, line) or ""
    m = re.match(rf"{re.escape(attribute)}\s*=\s*([0-9.]+)", source)
    return m.group(1) if m else None


# -- standalone .tfvars ----------------------------------------------------------------


def _from_tfvars(path: Path, text: str, display: str, doc: dict[str, Any]) -> Iterator[Component]:
    """The wrapper-module heuristic for a .tfvars file (see the module docstring)."""
    if "engine_version" not in doc or _directory_declares_caches(path.parent):
        return
    engine = _tfvars_engine(doc)
    if engine is None:
        return
    line = _top_level_line(text, "engine_version")
    location = Location(display, line, _line_text(text, line))
    raw = doc["engine_version"]
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        version: str | None = _number_literal(text, line, "engine_version") or str(raw)
    else:
        version = raw if isinstance(raw, str) and "${" not in raw else None
    if version is None:
        yield Component(
            engine,
            None,
            location,
            unresolved=f"engine_version {_show(raw)} is not a literal version",
            provider=AWS,
            origin=ORIGIN,
        )
        return
    version = _elasticache_version(version)
    yield Component(
        engine,
        version,
        location,
        floating=version.count(".") < 2,
        provider=AWS,
        origin=ORIGIN,
    )


def _tfvars_engine(doc: dict[str, Any]) -> str | None:
    engine = doc.get("engine")
    if isinstance(engine, str) and engine.strip().lower() in ENGINES:
        return engine.strip().lower()
    family = doc.get("family")
    m = _FAMILY.match(family) if isinstance(family, str) else None
    return m.group(1).lower() if m else None


def _top_level_line(text: str, attribute: str) -> int | None:
    m = re.search(rf"^{re.escape(attribute)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _directory_declares_caches(directory: Path) -> bool:
    """Whether a .tf file beside the tfvars declares a cache, which then reports it."""
    for path in _siblings(directory, ".tf"):
        hcl = hcl_file(path)
        doc = {} if hcl is None else _quiet(hcl, _may_declare_cache)
        if next(_blocks(doc, ""), None) is not None:
            return True
    return False


SOURCE = TerraformSource()
