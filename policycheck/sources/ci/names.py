"""Which files are CI pipeline definitions, by name and place alone.

CI files are YAML with ``services:`` and ``image:`` keys, so by content they look like
compose files or manifests. They are recognised by where CI systems look for them,
so that the CI source claims them and no other source ever parses them.
"""

from __future__ import annotations

from pathlib import PurePath

#: Pipeline files read by the CI source.
GITLAB_CI = ".gitlab-ci.yml"
TRAVIS = ".travis.yml"
#: Other CI systems' pipeline files: never compose or Kubernetes, not read (yet).
OTHER_CI_NAMES = frozenset(
    {
        ".drone.yml",
        ".drone.yaml",
        ".woodpecker.yml",
        ".woodpecker.yaml",
        "bitbucket-pipelines.yml",
        "azure-pipelines.yml",
        "azure-pipelines.yaml",
        ".cirrus.yml",
        "appveyor.yml",
        ".appveyor.yml",
        "codefresh.yml",
        "cloudbuild.yaml",
        "cloudbuild.yml",
    }
)


def is_yaml_name(name: str) -> bool:
    """Whether a lower-cased file name is YAML."""
    return name.endswith((".yml", ".yaml"))


def is_gitlab_ci_name(name: str) -> bool:
    """``.gitlab-ci.yml`` and the ``*.gitlab-ci.yml`` files projects split it into."""
    return name in (GITLAB_CI, ".gitlab-ci.yaml") or name.endswith(
        (".gitlab-ci.yml", ".gitlab-ci.yaml")
    )


def ci_kind(path: PurePath) -> str | None:
    """``github``, ``gitlab``, ``travis``, ``circleci`` or ``other`` for a CI pipeline
    file, None for any other file. String tests only: this runs for every YAML file."""
    text = str(path).replace("\\", "/").lower()
    folder, _, name = text.rpartition("/")
    if not is_yaml_name(name):
        return None
    if folder == ".github/workflows" or folder.endswith("/.github/workflows"):
        return "github"
    if is_gitlab_ci_name(name):
        return "gitlab"
    if name == TRAVIS:
        return "travis"
    if name in ("config.yml", "config.yaml") and (
        folder == ".circleci" or folder.endswith("/.circleci")
    ):
        return "circleci"
    if name in OTHER_CI_NAMES:
        return "other"
    return None
