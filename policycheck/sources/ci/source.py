"""CI pipelines: engines that CI jobs start as service containers, job containers or
setup steps (GitHub Actions, GitLab CI, Travis CI, CircleCI and other pipelines).

Test infrastructure is still a deployment of the engine (the image is pulled and run,
often on shared runners), so it is reported; every component says ``context="ci"`` so
a policy can treat CI apart from production. These files are claimed by where CI
systems look for them (``.github/workflows/``, ``.gitlab-ci.yml``, ``.travis.yml``,
``.circleci/config.yml``...), before the compose and Kubernetes sources, which must
never parse them.

GitLab CI files are read with the local files they ``include`` (a job's services may
live in ``.gitlab/ci/test.yml``): GitLab runs what ``.gitlab-ci.yml`` includes, so
included files are read from there, inside the repository folder only, and are not
claimed on their own. Files named ``*.gitlab-ci.yml`` are claimed by name, and are
therefore not read again when included.
"""

from __future__ import annotations

import dataclasses
import glob
import os
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from policycheck.errors import InputError
from policycheck.model import Component, Location
from policycheck.sources._helper_files import read_helper
from policycheck.sources.ci.github import ImageUse, SetupUse, setup_components, workflow_images
from policycheck.sources.ci.names import ci_kind, is_gitlab_ci_name, is_yaml_name
from policycheck.sources.ci.pipelines import (
    any_images,
    circleci_images,
    gitlab_images,
    gitlab_local_includes,
    gitlab_variables,
    travis_packages,
)
from policycheck.sources.ci.rawyaml import raw_documents
from policycheck.sources.compose import MISSING, component_for_template
from policycheck.sources.interface import Source, mentions_engine
from policycheck.yamlload import iter_documents

#: Local includes followed from one GitLab CI file, at most (GitLab's own limit is 150).
MAX_INCLUDES = 150

_TRAVIS_REASON = (
    "Travis CI starts the {name} that its build image ships (dist: {dist}); the version "
    "comes from that image and is not written in .travis.yml"
)


def _unresolved_reason(written: str) -> str:
    return f"the image {written!r} uses a value that cannot be read from the pipeline file"


def components_for(use: ImageUse, display: str) -> Iterator[Component]:
    """One component per distinct image a written image expands to."""
    seen: set[str] = set()
    for text, note in use.expanded:
        if text in seen:
            continue
        seen.add(text)
        shown = text.replace(MISSING, "?")
        reason = _unresolved_reason(use.text) if MISSING in text else None
        component = component_for_template(text, Location(display, use.line, shown), reason)
        if component is not None:
            notes = (*component.notes, note) if note else component.notes
            yield dataclasses.replace(component, context="ci", notes=notes)


class CISource(Source):
    """CI pipeline files: GitHub Actions, GitLab CI, Travis CI, CircleCI and others."""

    name = "ci"
    #: Before compose and Kubernetes: CI files look like both.
    priority = 5

    def may_claim(self, name: str) -> bool:
        """Only YAML files (workflows may have any name)."""
        return is_yaml_name(name)

    def claims(self, path: Path, head: bytes) -> bool:
        """A file where a CI system looks for its pipeline (see ``ci_kind``)."""
        return ci_kind(path) is not None

    def worth_parsing(self, lowered: bytes) -> bool:
        """An engine word, or a GitLab ``include:`` whose files may name one."""
        return mentions_engine(lowered) or b"include" in lowered

    def collect(self, path: Path, text: str, display: str) -> Iterator[Component]:
        """Engines the pipeline's jobs start, each declaration once (a template that
        jobs merge with ``<<: *anchor`` is one declaration)."""
        seen: set[Component] = set()
        for component in self._components(path, text, display):
            if component not in seen:
                seen.add(component)
                yield component

    def _components(self, path: Path, text: str, display: str) -> Iterator[Component]:
        kind = ci_kind(path)
        docs = raw_documents(list(iter_documents(text, display)))
        if kind == "gitlab":
            yield from _GitLab(path.parent, display).collect(docs)
            return
        for top in docs:
            if kind == "github":
                for use in workflow_images(top):
                    if isinstance(use, SetupUse):
                        yield from setup_components(use, display)
                    else:
                        yield from components_for(use, display)
            elif kind == "travis":
                yield from _travis(top, display)
            elif kind == "circleci":
                for use in circleci_images(top):
                    yield from components_for(use, display)
            else:
                for use in any_images(top):
                    yield from components_for(use, display)


def _travis(top: Any, display: str) -> Iterator[Component]:
    dist = top.get("dist") if isinstance(top, Mapping) else None
    dist_text = dist if isinstance(dist, str) else "the default for the account"
    for package in travis_packages(top):
        name = "memcached" if package.engine == "memcached" else "redis-server"
        yield Component(
            package.engine,
            None,
            Location(display, package.line, package.text),
            unresolved=_TRAVIS_REASON.format(name=name, dist=dist_text),
            origin="package",
            context="ci",
        )


class _GitLab:
    """A GitLab CI file and the local files it includes, read once each."""

    def __init__(self, root: Path, display: str) -> None:
        self.root = root
        self.display_root = PurePosixPath(display).parent
        self.display = display
        self.seen: set[str] = set()
        self.errors: list[InputError] = []

    def collect(self, docs: list[Any]) -> Iterator[Component]:
        """Every engine of the file and its includes; then the first include that could
        not be read, as an input error (raised after the engines are out)."""
        for top in docs:
            yield from self._file(top, self.display, {})
        if self.errors:
            raise self.errors[0]

    def _file(self, top: Any, display: str, inherited: Mapping[str, Any]) -> Iterator[Component]:
        for use in gitlab_images(top, inherited):
            yield from components_for(use, display)
        variables = {**inherited, **gitlab_variables(top)}
        for pattern in gitlab_local_includes(top):
            for path in self._expand(pattern):
                yield from self._included(path, variables)

    def _expand(self, pattern: str) -> list[Path]:
        """Files a local include names, inside the repository folder, in sorted order."""
        relative = pattern.lstrip("/")
        if not glob.has_magic(relative):
            return [self.root / relative]
        found = glob.glob(relative, root_dir=self.root, recursive=True)
        return [self.root / p for p in sorted(found)]

    def _included(self, path: Path, variables: Mapping[str, Any]) -> Iterator[Component]:
        relative = os.path.relpath(path, self.root)
        if is_gitlab_ci_name(path.name.lower()) or relative in self.seen:
            return  # claimed and scanned on its own, or already read
        if len(self.seen) >= MAX_INCLUDES:
            return
        self.seen.add(relative)
        display = str(self.display_root / PurePosixPath(relative))
        helper = read_helper(path, self.root, display)
        if helper.text is None:
            self.errors.append(
                helper.error
                or InputError(
                    f"included CI file could not be read: {helper.problem}",
                    display,
                    hint=f"{self.display} includes it; its jobs may start engines",
                )
            )
            return
        try:
            docs = raw_documents(list(iter_documents(helper.text, display)))
        except InputError as exc:
            self.errors.append(exc)
            return
        for top in docs:
            yield from self._file(top, display, variables)


SOURCE = CISource()
