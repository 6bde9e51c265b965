"""GitHub Actions workflows: the containers a job starts.

A job runs engines in three ways: ``services.<name>.image`` (service containers),
``container`` (the job's own container, a string or ``{image: ...}``) and steps that
run an image (``uses: docker://redis:7``) or start an engine through a setup action.
Images are often written with expressions: ``redis:${{ matrix.redis-version }}`` runs
once per matrix value, so the matrix is expanded as GitHub does (the product of its
lists, ``exclude`` removed, ``include`` entries extending the combinations they match
or added as their own) and each distinct image is reported once. An expression that
cannot be read here (``inputs``, ``fromJSON``, ``steps`` outputs) leaves the image
unresolved; when it hides the repository, the engine cannot be told and nothing is
said, as for compose variables.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.images import version_from_tag
from policycheck.model import Component, Location
from policycheck.sources.ci.rawyaml import RawList, RawMap, line_of
from policycheck.sources.compose import MISSING

#: More matrix combinations than this are not expanded (the image stays unresolved).
MAX_COMBINATIONS = 1024

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_CONTEXT_PATH = re.compile(r"^(matrix|env)((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)$")
_STRING_LITERAL = re.compile(r"^'((?:[^']|'')*)'$")


@dataclass(frozen=True)
class SetupAction:
    """An action that starts an engine on the runner, and the input naming its version."""

    engine: str
    version_input: str
    default: str
    evidence: str


#: Actions that install and start an engine, by ``owner/name``; defaults from each
#: action's ``action.yml``.
SETUP_ACTIONS: dict[str, SetupAction] = {
    "supercharge/redis-github-action": SetupAction(
        "redis",
        "redis-version",
        "latest",
        "supercharge/redis-github-action action.yml: redis-version defaults to latest, "
        "started as the Docker Hub redis image (start-redis.sh)",
    ),
    "shogo82148/actions-setup-redis": SetupAction(
        "redis",
        "redis-version",
        "latest",
        "shogo82148/actions-setup-redis action.yml: redis-version defaults to latest",
    ),
    "hashicorp/setup-terraform": SetupAction(
        "terraform",
        "terraform_version",
        "latest",
        "hashicorp/setup-terraform action.yml (commit 8620a60, 2026-07-21): terraform_version "
        "defaults to latest and may be a constraint starting with <",
    ),
    "opentofu/setup-opentofu": SetupAction(
        "opentofu",
        "tofu_version",
        "latest",
        "opentofu/setup-opentofu action.yml (commit cb2c66a, 2026-06-30): tofu_version "
        "defaults to latest",
    ),
}


@dataclass(frozen=True)
class ImageUse:
    """One image a workflow runs, as written, with its line and what it expands to:
    (image with expression values filled in, a note on which values)."""

    text: str
    line: int | None
    expanded: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SetupUse:
    """A step that starts an engine through a setup action."""

    action: SetupAction
    version: str
    line: int | None
    expanded: tuple[tuple[str, str], ...]


def workflow_images(workflow: Any) -> Iterator[ImageUse | SetupUse]:
    """Every image use (and setup action step) of every job, in file order."""
    if not isinstance(workflow, RawMap):
        return
    jobs = workflow.get("jobs")
    if not isinstance(jobs, RawMap):
        return
    for job in jobs.values():
        if isinstance(job, RawMap):
            yield from _job_images(job, _mapping(workflow.get("env")))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, RawMap) else {}


def _job_images(job: RawMap, workflow_env: Mapping[str, Any]) -> Iterator[ImageUse | SetupUse]:
    env = {**workflow_env, **_mapping(job.get("env"))}
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, RawMap) else None
    combos = expand_matrix(matrix)
    scope = _Scope(combos, env)
    container = job.get("container")
    if isinstance(container, RawMap):
        container = container.get("image")
    if isinstance(container, str) and container.strip():
        yield scope.use(container, line_of(container, job.line_of("container")))
    services = job.get("services")
    if isinstance(services, RawMap):
        for name, service in services.items():
            image = service.get("image") if isinstance(service, RawMap) else None
            if isinstance(image, str) and image.strip():
                yield scope.use(image, line_of(image, services.line_of(name)))
    steps = job.get("steps")
    for step in steps if isinstance(steps, RawList) else ():
        uses = step.get("uses") if isinstance(step, RawMap) else None
        if not isinstance(uses, str):
            continue
        if uses.startswith("docker://"):
            yield scope.use(uses[len("docker://") :], line_of(uses))
            continue
        action = SETUP_ACTIONS.get(uses.split("@", 1)[0].lower())
        if action is not None:
            inputs = step.get("with")
            version = inputs.get(action.version_input) if isinstance(inputs, RawMap) else None
            written = version.strip() if isinstance(version, str) else action.default
            expanded = tuple(scope.expand(written))
            yield SetupUse(action, written, line_of(uses), expanded)


def setup_components(use: SetupUse, display: str) -> Iterator[Component]:
    """The engine a setup action starts, once per version the step can ask for."""
    action = use.action
    for text, note in use.expanded:
        location = Location(display, use.line, f"{action.engine} {text}")
        notes = tuple(n for n in (note, action.evidence) if n)
        if MISSING in text:
            yield Component(
                action.engine,
                None,
                location,
                unresolved=f"the version input {use.version!r} is an expression whose "
                "value cannot be read from the workflow",
                origin="package",
                context="ci",
                notes=notes,
            )
            continue
        ver, floating, why = version_from_tag(_drop_wildcard(text))
        yield Component(
            action.engine,
            ver,
            location,
            unresolved=why,
            floating=floating,
            origin="package",
            context="ci",
            notes=notes,
        )


def _drop_wildcard(version: str) -> str | None:
    """``6.x`` and ``7.2.x`` name release lines; ``latest`` and ``''`` the newest."""
    text = re.sub(r"(?:\.[xX*])+$", "", version.strip())
    return text or None


class _Scope:
    """What a job's expressions can read: its matrix combinations and its env."""

    def __init__(self, combos: list[dict[str, Any]] | None, env: Mapping[str, Any]) -> None:
        self.combos = combos
        self.env = env

    def use(self, text: str, line: int | None) -> ImageUse:
        return ImageUse(text.strip(), line, tuple(self.expand(text.strip())))

    def expand(self, text: str) -> list[tuple[str, str]]:
        """``text`` with its expressions filled in: one (text, note) per distinct result."""
        if "${{" not in text:
            return [(text, "")]
        combos = self.combos or [{}]
        out: dict[str, str] = {}
        for combo in combos:
            used: dict[str, str] = {}
            filled = _EXPRESSION.sub(functools.partial(self._value, combo=combo, used=used), text)
            if filled not in out:
                out[filled] = ", ".join(f"{k}={v}" for k, v in used.items())
        return [
            (filled, f"from {text} with matrix {note}" if note else f"from {text}")
            for filled, note in out.items()
        ]

    def _value(self, match: re.Match[str], combo: Mapping[str, Any], used: dict[str, str]) -> str:
        """The text of one ``${{ expression }}``, or MISSING when it cannot be read."""
        expression = match[1]
        literal = _STRING_LITERAL.match(expression)
        if literal:
            return literal[1].replace("''", "'")
        path = _CONTEXT_PATH.match(expression)
        if path is None:
            return MISSING
        keys = path[2].lstrip(".").split(".")
        value: Any = combo if path[1] == "matrix" else self.env
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        if not isinstance(value, str):
            return MISSING
        if path[1] == "matrix":
            used[".".join(keys)] = str(value)
        return str(value) if "${{" not in value else MISSING


def expand_matrix(matrix: Any) -> list[dict[str, Any]] | None:
    """The combinations a ``strategy.matrix`` runs, or None when they cannot be known
    here (an expression instead of lists, or more than MAX_COMBINATIONS)."""
    if not isinstance(matrix, RawMap):
        return None
    keys = [k for k in matrix if k not in ("include", "exclude")]
    lists = [matrix[k] for k in keys]
    if not all(isinstance(v, RawList) for v in lists):
        return None
    size = 1
    for values in lists:
        size *= len(values)
    if size > MAX_COMBINATIONS:
        return None
    base = [dict(zip(keys, values, strict=True)) for values in itertools.product(*lists)]
    if not keys:
        base = []
    exclude = matrix.get("exclude")
    if isinstance(exclude, RawList):
        base = [c for c in base if not any(_matches(c, e) for e in exclude)]
    combos = [dict(c) for c in base]
    include = matrix.get("include")
    if isinstance(include, str):
        return None
    for entry in include if isinstance(include, RawList) else ():
        if not isinstance(entry, RawMap):
            return None
        matched = False
        for original, combo in zip(base, combos[: len(base)], strict=True):
            if all(original[k] == v for k, v in entry.items() if k in original):
                combo.update({k: v for k, v in entry.items() if k not in original})
                matched = True
        if not matched:
            combos.append(dict(entry))
    return combos if len(combos) <= MAX_COMBINATIONS else None


def _matches(combo: Mapping[str, Any], pattern: Any) -> bool:
    """Whether an ``exclude`` entry matches a combination (every key it names)."""
    if not isinstance(pattern, RawMap):
        return False
    return all(k in combo and _contains(combo[k], v) for k, v in pattern.items())


def _contains(value: Any, pattern: Any) -> bool:
    if isinstance(pattern, RawMap):
        return isinstance(value, Mapping) and all(
            k in value and _contains(value[k], v) for k, v in pattern.items()
        )
    return bool(value == pattern)
