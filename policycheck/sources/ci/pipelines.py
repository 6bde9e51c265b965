"""GitLab CI, Travis CI, CircleCI and other pipelines: the containers their jobs start.

* GitLab CI: ``image`` and ``services`` (strings or ``{name: ...}``) at the top level,
  under ``default`` and in every job, hidden templates (``.redis-job``) included, since
  jobs ``extends`` them. ``$VARIABLES`` expand from the job's and the file's
  ``variables``; GitLab's predefined variables are unknown here, except the Dependency
  Proxy prefixes, which name a pull-through cache of Docker Hub.
* Travis CI: ``services: [redis]`` starts the redis-server its build image ships: the
  engine is known, its version is not.
* CircleCI: every ``docker`` image of a job or executor; ``<< parameters.x >>`` takes the
  parameter's default and the values a workflow's ``matrix`` gives it.
* Other pipelines (Drone, Woodpecker, Bitbucket, Azure...): every ``image`` value.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.sources.ci.github import MAX_COMBINATIONS, ImageUse
from policycheck.sources.ci.rawyaml import RawList, RawMap, line_of
from policycheck.sources.compose import MISSING

#: Top-level GitLab CI keys that are not jobs.
GITLAB_KEYWORDS = frozenset(
    {
        "image",
        "services",
        "variables",
        "stages",
        "types",
        "include",
        "default",
        "workflow",
        "before_script",
        "after_script",
        "cache",
        "spec",
    }
)
#: GitLab's predefined variables that put the Dependency Proxy (a cache of Docker Hub
#: images) in front of an image: ``${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/redis:7``.
_PROXY_PREFIX = re.compile(
    r"^\$\{?CI_DEPENDENCY_PROXY_(?:DIRECT_)?GROUP_IMAGE_PREFIX\}?/", re.IGNORECASE
)
PROXY_NOTE = "pulled through GitLab's Dependency Proxy, a cache of Docker Hub"
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_CIRCLE_PARAMETER = re.compile(r"<<\s*(pipeline\.)?parameters\.([A-Za-z0-9_-]+)\s*>>")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)

#: Travis ``services`` (and apt packages) that start an engine.
TRAVIS_SERVICES = {"redis": "redis", "redis-server": "redis", "memcached": "memcached"}


@dataclass(frozen=True)
class PackageUse:
    """An engine a pipeline installs from its build image's packages."""

    engine: str
    line: int | None
    text: str


# --- GitLab CI -----------------------------------------------------------------------


def gitlab_images(top: Any, inherited: Mapping[str, Any]) -> Iterator[ImageUse]:
    """Every image of a GitLab CI file; ``inherited`` are variables of the file that
    includes this one."""
    if not isinstance(top, RawMap):
        return
    variables = {**inherited, **gitlab_variables(top)}
    yield from _gitlab_job(top, variables)
    default = top.get("default")
    if isinstance(default, RawMap):
        yield from _gitlab_job(default, variables)
    for name, job in top.items():
        if name not in GITLAB_KEYWORDS and isinstance(job, RawMap):
            job_variables = {**variables, **_variables(job.get("variables"))}
            yield from _gitlab_job(job, job_variables)


def gitlab_variables(top: Any) -> dict[str, Any]:
    """The file's own top-level ``variables`` (passed on to the files it includes)."""
    return _variables(top.get("variables")) if isinstance(top, RawMap) else {}


def _variables(value: Any) -> dict[str, Any]:
    if not isinstance(value, RawMap):
        return {}
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, RawMap):
            item = item.get("value")
        out[key] = item if isinstance(item, str) else None
    return out


def _gitlab_job(job: RawMap, variables: Mapping[str, Any]) -> Iterator[ImageUse]:
    combos = _parallel_matrix(job)
    image = _image_name(job.get("image"))
    if image is not None:
        yield _gitlab_use(image, line_of(image, job.line_of("image")), variables, combos)
    services = job.get("services")
    for service in services if isinstance(services, RawList) else ():
        name = _image_name(service)
        if name is not None:
            yield _gitlab_use(name, line_of(name, line_of(service)), variables, combos)


def _image_name(value: Any) -> str | None:
    if isinstance(value, RawMap):
        value = value.get("name")
    return value if isinstance(value, str) and value.strip() else None


def _parallel_matrix(job: RawMap) -> list[dict[str, str]]:
    """The variable sets of ``parallel: matrix:`` (one job per combination), or one
    empty set."""
    parallel = job.get("parallel")
    matrix = parallel.get("matrix") if isinstance(parallel, RawMap) else None
    if not isinstance(matrix, RawList):
        return [{}]
    combos: list[dict[str, str]] = []
    for entry in matrix:
        if not isinstance(entry, RawMap):
            continue
        keys = list(entry)
        lists = [v if isinstance(v, RawList) else [v] for v in entry.values()]
        for values in itertools.islice(itertools.product(*lists), MAX_COMBINATIONS):
            combos.append({k: v for k, v in zip(keys, values, strict=True) if isinstance(v, str)})
    return combos[:MAX_COMBINATIONS] or [{}]


def _gitlab_use(
    text: str, line: int | None, variables: Mapping[str, Any], combos: list[dict[str, str]]
) -> ImageUse:
    written = text.strip()
    proxied = _PROXY_PREFIX.match(written)
    body = written[proxied.end() :] if proxied else written
    expanded: dict[str, str] = {}
    for combo in combos:
        filled = expand_variables(body, {**variables, **combo})
        if filled in expanded:
            continue
        notes = [f"from {written}"] if filled != body else []
        used = [f"{k}={v}" for k, v in combo.items() if f"${k}" in body or f"${{{k}}}" in body]
        if used:
            notes.append(f"with parallel matrix {', '.join(used)}")
        if proxied:
            notes.append(PROXY_NOTE)
        expanded[filled] = "; ".join(notes)
    return ImageUse(written, line, tuple(expanded.items()))


def expand_variables(text: str, variables: Mapping[str, Any], depth: int = 0) -> str:
    """GitLab-style ``$NAME`` / ``${NAME}`` expansion; unknown values become MISSING."""

    def value(match: re.Match[str]) -> str:
        found = variables.get(match[1] or match[2])
        if not isinstance(found, str) or depth >= 5:
            return MISSING
        return expand_variables(found, variables, depth + 1) if "$" in found else found

    return _VARIABLE.sub(value, text)


def gitlab_local_includes(top: Any) -> list[str]:
    """Paths (relative to the repository root) of the local files a GitLab CI file
    includes; remote, project and template includes cannot be read here."""
    if not isinstance(top, RawMap):
        return []
    include = top.get("include")
    items = include if isinstance(include, RawList) else [include]
    paths: list[str] = []
    for item in items:
        if isinstance(item, RawMap):
            item = item.get("local")
        if isinstance(item, str) and item.strip() and not _URL.match(item.strip()):
            paths.append(item.strip())
    return paths


# --- Travis CI -----------------------------------------------------------------------


def travis_packages(top: Any) -> Iterator[PackageUse]:
    """Engines a Travis CI file starts as services or installs from apt."""
    if not isinstance(top, RawMap):
        return
    sections = [top]
    for key in ("jobs", "matrix"):
        jobs = top.get(key)
        include = jobs.get("include") if isinstance(jobs, RawMap) else None
        if isinstance(include, RawList):
            sections.extend(j for j in include if isinstance(j, RawMap))
    for section in sections:
        services = section.get("services")
        names = [services] if isinstance(services, str) else services
        for name in names if isinstance(names, list) else ():
            yield from _travis_package(name, "services")
        addons = section.get("addons")
        apt = addons.get("apt") if isinstance(addons, RawMap) else None
        packages = apt.get("packages") if isinstance(apt, RawMap) else None
        for name in packages if isinstance(packages, RawList) else ():
            yield from _travis_package(name, "addons.apt.packages")


def _travis_package(name: Any, where: str) -> Iterator[PackageUse]:
    if isinstance(name, str) and name.strip().lower() in TRAVIS_SERVICES:
        engine = TRAVIS_SERVICES[name.strip().lower()]
        yield PackageUse(engine, line_of(name), f"{where}: {name.strip()}")


# --- CircleCI ------------------------------------------------------------------------


def circleci_images(top: Any) -> Iterator[ImageUse]:
    """Every ``docker`` image of a CircleCI config's jobs and executors."""
    if not isinstance(top, RawMap):
        return
    pipeline = _parameter_defaults(top.get("parameters"))
    matrices = _circleci_matrices(top.get("workflows"))
    for section in ("executors", "jobs"):
        items = top.get(section)
        if not isinstance(items, RawMap):
            continue
        for name, item in items.items():
            if not isinstance(item, RawMap):
                continue
            candidates = {k: [v] for k, v in _parameter_defaults(item.get("parameters")).items()}
            candidates.update(matrices.get(name, {}))
            docker = item.get("docker")
            for entry in docker if isinstance(docker, RawList) else ():
                image = entry.get("image") if isinstance(entry, RawMap) else None
                if isinstance(image, str) and image.strip():
                    expanded = _circleci_expand(image.strip(), candidates, pipeline)
                    yield ImageUse(image.strip(), line_of(image), tuple(expanded))


def _parameter_defaults(value: Any) -> dict[str, Any]:
    if not isinstance(value, RawMap):
        return {}
    return {
        k: v.get("default") for k, v in value.items() if isinstance(v, RawMap) and "default" in v
    }


def _circleci_matrices(workflows: Any) -> dict[str, dict[str, list[Any]]]:
    """Matrix parameter values per job name, over every workflow."""
    out: dict[str, dict[str, list[Any]]] = {}
    for workflow in workflows.values() if isinstance(workflows, RawMap) else ():
        jobs = workflow.get("jobs") if isinstance(workflow, RawMap) else None
        for entry in jobs if isinstance(jobs, RawList) else ():
            if not isinstance(entry, RawMap):
                continue
            for job, config in entry.items():
                matrix = config.get("matrix") if isinstance(config, RawMap) else None
                params = matrix.get("parameters") if isinstance(matrix, RawMap) else None
                for key, values in params.items() if isinstance(params, RawMap) else ():
                    if isinstance(values, RawList):
                        out.setdefault(job, {}).setdefault(key, []).extend(values)
    return out


def _circleci_expand(
    text: str, candidates: Mapping[str, list[Any]], pipeline: Mapping[str, Any]
) -> list[tuple[str, str]]:
    names = [(m[1] is not None, m[2]) for m in _CIRCLE_PARAMETER.finditer(text)]
    if not names:
        return [(text, "")]
    choices = [[pipeline.get(n)] if piped else candidates.get(n, [None]) for piped, n in names]
    out: dict[str, str] = {}
    for count, combo in enumerate(itertools.product(*choices)):
        if count >= MAX_COMBINATIONS:
            return [(_CIRCLE_PARAMETER.sub(MISSING, text), f"from {text}")]
        filled = _CIRCLE_PARAMETER.sub(_in_turn([_text(v) for v in combo]), text)
        out.setdefault(filled, f"from {text}")
    return list(out.items())


def _in_turn(values: list[str]) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement giving ``values`` one after the other."""
    remaining = iter(values)
    return lambda _match: next(remaining)


def _text(value: Any) -> str:
    return value if isinstance(value, str) and "<<" not in value else MISSING


# --- other pipelines -----------------------------------------------------------------


def any_images(value: Any, budget: list[int] | None = None) -> Iterator[ImageUse]:
    """Every ``image`` value (a string or ``{name: ...}``) anywhere in a document."""
    budget = budget if budget is not None else [100_000]
    if budget[0] <= 0:
        return
    budget[0] -= 1
    if isinstance(value, RawMap):
        for key, child in value.items():
            name = _image_name(child) if key == "image" else None
            if name is not None:
                yield ImageUse(name.strip(), line_of(name), ((name.strip(), ""),))
            else:
                yield from any_images(child, budget)
    elif isinstance(value, RawList):
        for child in value:
            yield from any_images(child, budget)
