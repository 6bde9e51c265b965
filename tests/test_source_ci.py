"""CI source: GitHub Actions, GitLab CI, Travis CI, CircleCI; claimed before compose."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.sources import all_sources
from policycheck.sources.ci.github import expand_matrix
from policycheck.sources.ci.rawyaml import raw_documents
from policycheck.sources.ci.source import SOURCE
from policycheck.sources.compose import SOURCE as COMPOSE
from policycheck.sources.kubernetes import SOURCE as KUBERNETES
from policycheck.walk import scan_paths
from policycheck.yamlload import iter_documents


def collect(root: Path, relative: str, text: str) -> list[Component]:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    body = textwrap.dedent(text).lstrip()
    path.write_text(body)
    return list(SOURCE.collect(path, body, relative))


def summary(found: list[Component]) -> list[tuple[str, str | None, int | None]]:
    return [(c.engine, c.version, c.location.line if c.location else None) for c in found]


# --- claims -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ".github/workflows/ci.yml",
        ".github/workflows/test.yaml",
        ".gitlab-ci.yml",
        "ci/templates/unit.gitlab-ci.yml",
        ".travis.yml",
        ".circleci/config.yml",
        ".drone.yml",
        "bitbucket-pipelines.yml",
    ],
)
def test_ci_files_are_claimed_by_place_and_never_by_compose_or_kubernetes(path: str) -> None:
    head = b"apiVersion: v1\nkind: Pod\nservices:\n  redis:\n    image: redis\n"
    assert SOURCE.claims(Path(path), head)
    assert not COMPOSE.claims(Path(path), head)
    first = next(s for s in all_sources() if s.claims(Path(path), head))
    assert first.name == "ci"


@pytest.mark.parametrize(
    "path", ["workflows/ci.yml", ".github/ci.yml", "docker-compose.yml", "gitlab-ci.yml"]
)
def test_other_yaml_is_not_claimed(path: str) -> None:
    assert not SOURCE.claims(Path(path), b"services:\n  - redis\n")


# --- GitHub Actions -----------------------------------------------------------------

SIDEKIQ_STYLE = """
    name: CI
    on: [push, pull_request]
    jobs:
      test:
        runs-on: ubuntu-latest
        strategy:
          fail-fast: false
          matrix:
            ruby: ["3.2", "3.4"]
            database: [
              { image: "redis", version: "7.0.15" },
              { image: "redis", version: "latest" },
              { image: "valkey/valkey", version: "8.1.1" },
              { image: "docker.dragonflydb.io/dragonflydb/dragonfly", version: "v1.25.0" }
            ]
        services:
          redis:
            image: ${{ matrix.database.image }}:${{ matrix.database.version }}
            ports:
              - 6379:6379
"""


def test_matrix_objects_expand_to_one_component_per_distinct_image(tmp_path: Path) -> None:
    found = collect(tmp_path, ".github/workflows/ci.yml", SIDEKIQ_STYLE)
    assert summary(found) == [
        ("redis", "7.0.15", 18),
        ("redis", "latest", 18),
        ("valkey", "8.1.1", 18),
        ("dragonfly", "1.25.0", 18),
    ]
    assert {c.context for c in found} == {"ci"}
    assert found[0].location is not None and found[0].location.text == "redis:7.0.15"
    assert any("database.version=7.0.15" in note for note in found[0].notes)


def test_include_only_matrix_and_numbers_keep_their_written_form(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".github/workflows/valkey.yml",
        """
        jobs:
          test:
            strategy:
              matrix:
                include:
                  - { python-version: "3.13", valkey-version: 8.0 }
                  - { python-version: "3.12", valkey-version: 7.10 }
                  - { python-version: "3.11", valkey-version: 8.0 }
            services:
              valkey:
                image: valkey/valkey:${{ matrix.valkey-version }}
        """,
    )
    assert [(c.engine, c.location.text if c.location else None) for c in found] == [
        ("valkey", "valkey/valkey:8.0"),
        ("valkey", "valkey/valkey:7.10"),
    ]


def test_exclude_removes_combinations_before_include_adds(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".github/workflows/ci.yml",
        """
        jobs:
          test:
            strategy:
              matrix:
                os: [ubuntu, macos]
                redis: ["6.2.14", "7.2.4"]
                exclude:
                  - redis: "6.2.14"
                include:
                  - redis: "7.4.0"
                    os: ubuntu
            services:
              cache:
                image: redis:${{ matrix.redis }}
        """,
    )
    assert [c.version for c in found] == ["7.2.4", "7.4.0"]


def test_container_string_and_mapping_docker_steps_and_env(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".github/workflows/ci.yml",
        """
        env:
          REDIS_TAG: 7.2.4
        jobs:
          a:
            container: memcached:1.6.29
            steps:
              - uses: actions/checkout@v4
              - uses: docker://redis:${{ env.REDIS_TAG }}
          b:
            container:
              image: valkey/valkey:8.1.1
              options: --user 1001
        """,
    )
    assert summary(found) == [
        ("memcached", "1.6.29", 5),
        ("redis", "7.2.4", 8),
        ("valkey", "8.1.1", 11),
    ]


def test_unreadable_expression_leaves_tag_unresolved_and_hidden_repository_silent(
    tmp_path: Path,
) -> None:
    found = collect(
        tmp_path,
        ".github/workflows/ci.yml",
        """
        jobs:
          a:
            strategy:
              matrix: ${{ fromJSON(inputs.matrix) }}
            services:
              r:
                image: redis:${{ matrix.redis }}
              k:
                image: ${{ inputs.image }}
              v:
                image: valkey/valkey:${{ matrix.v || '8.1' }}
        """,
    )
    assert summary(found) == [("redis", None, 7), ("valkey", None, 11)]
    assert found[0].unresolved is not None and "redis:${{ matrix.redis }}" in found[0].unresolved


def test_setup_actions_start_redis_with_their_default_or_given_version(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".github/workflows/ci.yml",
        """
        jobs:
          a:
            strategy:
              matrix:
                redis-version: [6, 7.2]
            steps:
              - uses: supercharge/redis-github-action@1.8.0
                with:
                  redis-version: ${{ matrix.redis-version }}
              - uses: shogo82148/actions-setup-redis@v1
                with:
                  redis-version: "6.2.x"
              - uses: shogo82148/actions-setup-redis@v1
        """,
    )
    assert [(c.engine, c.version, c.floating) for c in found] == [
        ("redis", "6", True),
        ("redis", "7.2", True),
        ("redis", "6.2", True),
        ("redis", "latest", True),
    ]
    assert all(c.context == "ci" for c in found)
    assert any("defaults to latest" in note for note in found[-1].notes)


def test_setup_actions_install_the_terraform_or_opentofu_cli(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".github/workflows/plan.yml",
        """
        jobs:
          plan:
            steps:
              - uses: hashicorp/setup-terraform@v3
                with:
                  terraform_version: 1.5.7
              - uses: hashicorp/setup-terraform@v3
              - uses: hashicorp/setup-terraform@v3
                with:
                  terraform_version: "<1.6.0"
              - uses: opentofu/setup-opentofu@v1
                with:
                  tofu_version: 1.8.3
        """,
    )
    assert [
        (c.engine, c.version, c.floating, c.location.line if c.location else 0) for c in found
    ] == [
        ("terraform", "1.5.7", False, 4),
        ("terraform", "latest", True, 7),
        ("terraform", None, False, 8),
        ("opentofu", "1.8.3", False, 11),
    ]
    assert found[2].unresolved is not None and "<1.6.0" in found[2].unresolved


_VALUES = st.lists(st.from_regex(r"\A[0-9]{1,2}\.[0-9]{1,2}\Z"), min_size=1, max_size=5)


@settings(max_examples=50, deadline=None)
@given(first=_VALUES, second=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3))
def test_matrix_expansion_is_the_product_of_its_lists(first: list[str], second: list[str]) -> None:
    text = f"m:\n  redis: [{', '.join(repr(v) for v in first)}]\n  os: {second}\n"
    [top] = raw_documents(list(iter_documents(text, "x.yml")))
    combos = expand_matrix(top["m"])
    assert combos is not None
    assert [(c["redis"], c["os"]) for c in combos] == list(itertools.product(first, second))


# --- GitLab CI ----------------------------------------------------------------------

GITLAB = """
    variables:
      REDIS_TAG: "7.2.4"
    include:
      - local: .gitlab/ci/unit.yml
      - project: group/templates
        file: /redis.yml
      - remote: https://example.com/ci.yml
    image: python:3.12
    services:
      - redis:$REDIS_TAG
    .cache: &cache
      services:
        - name: valkey/valkey:8.1.1
          alias: cache
    integration:
      <<: *cache
      variables:
        REDIS_TAG: "7.4.0"
      image: ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/redis:${REDIS_TAG}
"""


def test_gitlab_images_services_variables_templates_and_proxy(tmp_path: Path) -> None:
    (tmp_path / ".gitlab" / "ci").mkdir(parents=True)
    (tmp_path / ".gitlab" / "ci" / "unit.yml").write_text(
        "unit:\n  services:\n    - memcached:${MEMCACHED_TAG}\n    - redis:${REDIS_TAG}\n"
    )
    found = collect(tmp_path, ".gitlab-ci.yml", GITLAB)
    assert [(c.engine, c.version, c.location.path if c.location else None) for c in found] == [
        ("redis", "7.2.4", ".gitlab-ci.yml"),
        ("valkey", "8.1.1", ".gitlab-ci.yml"),
        ("redis", "7.4.0", ".gitlab-ci.yml"),
        ("memcached", None, ".gitlab/ci/unit.yml"),
        ("redis", "7.2.4", ".gitlab/ci/unit.yml"),
    ]
    proxied = found[2]
    assert any("Dependency Proxy" in note for note in proxied.notes)
    assert found[3].unresolved is not None and "MEMCACHED_TAG" in found[3].unresolved


def test_gitlab_include_that_is_missing_is_an_error_after_the_engines(tmp_path: Path) -> None:
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text("include: ci/missing.yml\nservices:\n  - redis:7.2.4\n")
    result = scan_paths([str(tmp_path)])
    assert [(c.engine, c.version) for c in result.components] == [("redis", "7.2.4")]
    [error] = result.errors
    assert error.path is not None and error.path.endswith("ci/missing.yml")


def test_gitlab_included_files_are_not_read_twice(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "redis.gitlab-ci.yml").write_text("t:\n  services: [redis:7.2.4]\n")
    (tmp_path / "ci" / "more.yml").write_text("u:\n  services: [valkey/valkey:8.1.1]\n")
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include:\n  - local: ci/*.yml\n  - local: /ci/more.yml\n"
    )
    result = scan_paths([str(tmp_path)])
    assert result.errors == []
    assert sorted((c.engine, c.version) for c in result.components) == [
        ("redis", "7.2.4"),
        ("valkey", "8.1.1"),
    ]


def test_gitlab_include_through_a_symlink_out_of_the_repository_is_not_read(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yml").write_text("s:\n  services: [redis:7.4.0]\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "ci.yml").symlink_to(outside / "secret.yml")
    (repo / ".gitlab-ci.yml").write_text("include: ci.yml\n")
    with pytest.raises(InputError) as info:
        list(SOURCE.collect(repo / ".gitlab-ci.yml", "include: ci.yml\n", ".gitlab-ci.yml"))
    assert "outside" in info.value.message


# --- Travis, CircleCI, others -------------------------------------------------------


def test_travis_services_are_the_build_images_packages(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".travis.yml",
        """
        language: python
        dist: jammy
        services:
          - docker
          - redis
        jobs:
          include:
            - services: memcached
        addons:
          apt:
            packages: [redis-server]
        """,
    )
    assert summary(found) == [("redis", None, 5), ("redis", None, 11), ("memcached", None, 8)]
    assert found[0].unresolved is not None and "dist: jammy" in found[0].unresolved
    assert found[0].context == "ci"


def test_travis_single_service_string(tmp_path: Path) -> None:
    found = collect(tmp_path, ".travis.yml", "services: redis-server\n")
    assert summary(found) == [("redis", None, 1)]


def test_circleci_docker_images_with_parameters_and_matrix(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".circleci/config.yml",
        """
        version: 2.1
        executors:
          cache:
            docker:
              - image: memcached:1.6.29
        jobs:
          test:
            parameters:
              redis:
                type: string
                default: "7.2.4"
            docker:
              - image: cimg/python:3.12
              - image: redis:<< parameters.redis >>
          lint:
            parameters:
              v:
                type: string
                default: "8.1.1"
            docker:
              - image: valkey/valkey:<< parameters.v >>
        workflows:
          all:
            jobs:
              - lint
              - test:
                  matrix:
                    parameters:
                      redis: ["6.2.14", "7.4.0"]
        """,
    )
    assert summary(found) == [
        ("memcached", "1.6.29", 5),
        ("redis", "6.2.14", 14),
        ("redis", "7.4.0", 14),
        ("valkey", "8.1.1", 21),
    ]


def test_other_pipelines_report_every_image(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".drone.yml",
        """
        kind: pipeline
        type: docker
        services:
          - name: cache
            image: redis:7.2.4
        steps:
          - name: test
            image: python:3.12
        """,
    )
    assert summary(found) == [("redis", "7.2.4", 5)]


def test_walker_reads_a_repository_of_ci_files_without_errors() -> None:
    tree = Path(__file__).parent / "fixtures" / "source_ci"
    result = scan_paths([str(tree)])
    assert result.errors == []
    found = sorted(
        (c.location.path.split("source_ci/")[1], c.engine, c.version, c.context)
        for c in result.components
        if c.location
    )
    assert found == [
        (".circleci/config.yml", "redis", "7.2.4", "ci"),
        (".github/workflows/integration-tests.yml", "redis", "latest", "ci"),
        (".gitlab-ci.yml", "redis", "7.2.4", "ci"),
        (".travis.yml", "redis", None, "ci"),
        ("deploy/docker-compose.yml", "redis", "7.2.4", None),
    ]


def test_no_ci_file_is_ever_given_to_kubernetes() -> None:
    head = b"apiVersion: v1\nkind: List\n"
    assert KUBERNETES.claims(Path(".github/workflows/k8s.yml"), head)  # by content alone
    first = next(s for s in all_sources() if s.claims(Path(".github/workflows/k8s.yml"), head))
    assert first.name == "ci"


def test_gitlab_parallel_matrix_expands_service_images(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".gitlab-ci.yml",
        """
        integration_tests:
          image: node:20-alpine
          services:
            - name: ${DB_IMAGE}
              alias: db
            - name: redis:${REDIS}
          parallel:
            matrix:
              - DB_IMAGE: ["valkey/valkey:8.1.1", "postgres:16"]
                REDIS: "7.2.4"
              - DB_IMAGE: memcached:1.6.29
                REDIS: ["7.4.0"]
        """,
    )
    assert summary(found) == [
        ("valkey", "8.1.1", 4),
        ("memcached", "1.6.29", 4),
        ("redis", "7.2.4", 6),
        ("redis", "7.4.0", 6),
    ]
    assert any("with parallel matrix DB_IMAGE=valkey/valkey:8.1.1" in n for n in found[0].notes)


def test_gitlab_reference_tags_and_templates_declared_once(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        ".gitlab/ci/global.gitlab-ci.yml",
        """
        .cache-services:
          services:
            - name: ${REGISTRY_HOST}/build-images:redis-cluster-6.2.12
              alias: rediscluster
            - name: redis:${REDIS_VERSION}-alpine
        .database-services:
          services:
            - name: postgres:16
              alias: postgres
            - !reference [.cache-services, services]
        .use-pg16:
          services:
            - !reference [.database-services, services]
          variables:
            REDIS_VERSION: "7.0"
        rspec:
          extends: .use-pg16
          script: [bin/rspec]
        """,
    )
    assert summary(found) == [("redis", None, 5)]
    assert found[0].unresolved is not None and "REDIS_VERSION" in found[0].unresolved
