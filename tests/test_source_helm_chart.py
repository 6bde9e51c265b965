"""Helm Chart.yaml source: engine charts as dependencies, vendored or not, conditions."""

from __future__ import annotations

import io
import tarfile
import textwrap
from pathlib import Path

import pytest

from policycheck import core
from policycheck.model import Component
from policycheck.sources.helm import dependencies
from policycheck.sources.helm.chart import engine_for_chart
from policycheck.sources.helm.dependencies import SOURCE
from policycheck.walk import scan_paths

ARGO_STYLE_CHART = """
    apiVersion: v2
    appVersion: v3.4.4
    name: argo-cd
    version: 10.1.1
    dependencies:
      - name: redis-ha
        version: 4.38.0
        repository: https://dandydeveloper.github.io/charts/
        condition: redis-ha.enabled
"""
BITNAMI_STYLE_CHART = """
    apiVersion: v2
    appVersion: 3.1.1
    name: app
    version: 11.0.2
    dependencies:
    - condition: redis.enabled
      name: redis
      repository: oci://registry-1.docker.io/bitnamicharts
      version: 22.x.x
    - name: common
      repository: oci://registry-1.docker.io/bitnamicharts
      tags:
      - bitnami-common
      version: 2.x.x
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def collect(chart: Path) -> list[Component]:
    path = chart / "Chart.yaml"
    return list(SOURCE.collect(path, path.read_text(), "Chart.yaml"))


def where(found: list[Component]) -> list[tuple[str, str | None, int | None, str | None]]:
    return [
        (c.engine, c.version, c.location.line if c.location else None, c.disabled) for c in found
    ]


@pytest.mark.parametrize(
    ("name", "engine"),
    [
        ("redis", "redis"),
        ("redis-ha", "redis"),
        ("redis-cluster", "redis"),
        ("valkey", "valkey"),
        ("valkey-cluster", "valkey"),
        ("keydb", "keydb"),
        ("dragonfly", "dragonfly"),
        ("memcached", "memcached"),
        ("redis-stack-server", "redis-stack"),
        ("redis-operator", None),
        ("prometheus-redis-exporter", None),
        ("redis-commander", None),
        ("common", None),
        ("postgresql", None),
    ],
)
def test_engine_charts_are_told_by_name_both_ways(name: str, engine: str | None) -> None:
    assert engine_for_chart(name) == engine


def test_unvendored_dependency_is_unresolved_at_its_line(tmp_path: Path) -> None:
    write(tmp_path / "Chart.yaml", BITNAMI_STYLE_CHART)
    found = collect(tmp_path)
    assert where(found) == [("redis", None, 7, None)]
    [redis] = found
    assert redis.origin == "chart-dependency"
    assert redis.unresolved is not None
    assert "engine version from the dependency chart's appVersion is unknown here" in (
        redis.unresolved
    )
    assert "redis 22.x.x" in (redis.location.text if redis.location else "")


def test_condition_in_parent_values_marks_the_dependency_disabled(tmp_path: Path) -> None:
    write(tmp_path / "Chart.yaml", ARGO_STYLE_CHART)
    write(tmp_path / "values.yaml", "redis-ha:\n  enabled: false\n")
    assert where(collect(tmp_path)) == [
        ("redis", None, 6, "redis-ha.enabled is false in values.yaml")
    ]
    write(tmp_path / "values.yaml", "redis-ha:\n  enabled: true\n")
    assert where(collect(tmp_path)) == [("redis", None, 6, None)]


def test_tags_switch_a_dependency_off_unless_its_condition_is_true(tmp_path: Path) -> None:
    write(
        tmp_path / "Chart.yaml",
        """
        apiVersion: v2
        name: app
        dependencies:
          - name: valkey
            version: 3.0.0
            tags: [cache]
          - name: memcached
            version: 7.0.0
            condition: memcached.enabled
            tags: [cache]
        """,
    )
    write(tmp_path / "values.yaml", "tags:\n  cache: false\nmemcached:\n  enabled: true\n")
    assert where(collect(tmp_path)) == [
        ("valkey", None, 4, "tags.cache is false in values.yaml"),
        ("memcached", None, 7, None),
    ]


def test_parent_values_image_is_the_same_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "app" / "Chart.yaml", BITNAMI_STYLE_CHART)
    write(
        tmp_path / "app" / "values.yaml",
        """
        redis:
          enabled: true
          image:
            registry: docker.io
            repository: bitnami/redis
            tag: 8.2.1-debian-12-r0
        """,
    )
    [dependency] = collect(tmp_path / "app")
    assert dependency.same_as is not None and dependency.same_as.line == 5
    monkeypatch.chdir(tmp_path)
    found = core.collect(["app"]).components
    assert [(c.engine, c.version, c.location.path if c.location else None) for c in found] == [
        ("redis", "8.2.1", "app/values.yaml")
    ]


def test_helm2_requirements_yaml_lists_dependencies(tmp_path: Path) -> None:
    write(tmp_path / "Chart.yaml", "apiVersion: v1\nname: legacy\nversion: 0.1.0\n")
    write(
        tmp_path / "requirements.yaml",
        "dependencies:\n  - name: redis\n    version: 10.5.7\n    repository: '@stable'\n",
    )
    result = scan_paths([str(tmp_path)])
    assert result.errors == []
    assert [(c.engine, c.location.line if c.location else None) for c in result.components] == [
        ("redis", 2)
    ]
    assert SOURCE.claims(tmp_path / "requirements.yaml", b"")
    assert not SOURCE.claims(Path("elsewhere/requirements.yaml"), b"")


def _vendored_subchart(parent: Path, values: str) -> None:
    sub = parent / "charts" / "redis"
    write(sub / "Chart.yaml", "apiVersion: v2\nname: redis\nversion: 22.0.1\nappVersion: 8.2.1\n")
    write(sub / "values.yaml", values)


SUBCHART_VALUES = """
    image:
      registry: docker.io
      repository: bitnami/redis
      tag: 8.0.3-debian-12-r1
    sentinel:
      enabled: false
      image:
        repository: bitnami/redis-sentinel
        tag: 8.0.3-debian-12-r1
"""


def test_vendored_folder_is_scanned_as_a_chart_configured_by_its_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "app" / "Chart.yaml", BITNAMI_STYLE_CHART)
    write(tmp_path / "app" / "values.yaml", "redis:\n  enabled: false\n")
    _vendored_subchart(tmp_path / "app", SUBCHART_VALUES)
    monkeypatch.chdir(tmp_path)
    found = core.collect(["app"]).components
    assert [(c.location.path if c.location else None, c.version, c.disabled) for c in found] == [
        ("app/charts/redis/values.yaml", "8.0.3", "redis.enabled is false in values.yaml"),
        ("app/charts/redis/values.yaml", "8.0.3", "sentinel.enabled is false in values.yaml"),
    ]


def test_parent_override_replaces_the_vendored_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "app" / "Chart.yaml", BITNAMI_STYLE_CHART)
    write(
        tmp_path / "app" / "values.yaml",
        "redis:\n  image:\n    repository: bitnami/redis\n    tag: 7.2.4-debian-12-r9\n",
    )
    _vendored_subchart(tmp_path / "app", SUBCHART_VALUES)
    monkeypatch.chdir(tmp_path)
    found = core.collect(["app"]).components
    assert [(c.location.path if c.location else None, c.version) for c in found] == [
        ("app/values.yaml", "7.2.4"),
        ("app/charts/redis/values.yaml", "8.0.3"),  # the sentinel: not overridden
    ]


def _archive(path: Path, files: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = textwrap.dedent(text).lstrip().encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_vendored_archive_is_read_without_extracting(tmp_path: Path) -> None:
    write(tmp_path / "Chart.yaml", BITNAMI_STYLE_CHART)
    write(tmp_path / "values.yaml", "redis:\n  enabled: false\n")
    _archive(
        tmp_path / "charts" / "redis-22.0.1.tgz",
        {
            "redis/Chart.yaml": "apiVersion: v2\nname: redis\nappVersion: 8.0.3\n",
            "redis/values.yaml": SUBCHART_VALUES.replace("8.0.3-debian-12-r1", '""', 1),
            "redis/templates/master.yaml": "kind: StatefulSet\n",
        },
    )
    found = collect(tmp_path)
    assert [(c.engine, c.version, c.disabled) for c in found] == [
        ("redis", "8.0.3", "redis.enabled is false in values.yaml"),
        ("redis", "8.0.3", "sentinel.enabled is false in values.yaml"),
    ]
    assert found[0].location is not None
    assert found[0].location.path == "charts/redis-22.0.1.tgz"
    assert found[0].location.text == (
        "redis/values.yaml:3: docker.io/bitnami/redis (tag empty; appVersion 8.0.3 from Chart.yaml)"
    )


def test_unreadable_archive_leaves_the_dependency_unresolved_and_says_why(tmp_path: Path) -> None:
    write(tmp_path / "Chart.yaml", BITNAMI_STYLE_CHART)
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "redis-22.0.1.tgz").write_bytes(b"not a gzip file")
    [dependency] = collect(tmp_path)
    assert dependency.version is None
    assert dependency.unresolved is not None
    assert "vendored archive not read: redis-22.0.1.tgz: not a readable chart archive" in (
        dependency.unresolved
    )


def test_non_engine_dependencies_and_charts_without_engines_yield_nothing(tmp_path: Path) -> None:
    write(
        tmp_path / "Chart.yaml",
        """
        apiVersion: v2
        name: app
        dependencies:
          - name: redis-operator
            version: 0.22.0
          - name: prometheus-redis-exporter
            version: 6.9.0
          - name: postgresql
            version: 16.0.0
        """,
    )
    assert collect(tmp_path) == []
    assert not SOURCE.worth_parsing(b"apiversion: v2\nname: web\nversion: 1.0.0\n")


BROKEN_CHART = b"apiVersion: v2\nname: cache\nappVersion: 7.4.0\ndescription: caf\xe9\n"


def test_broken_chart_yaml_is_its_own_error_and_keeps_the_charts_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = tmp_path / "cache"
    chart.mkdir()
    (chart / "Chart.yaml").write_bytes(BROKEN_CHART)
    write(
        chart / "values.yaml",
        """
        image:
          repository: valkey/valkey
          tag: ""
        metrics:
          image:
            repository: redis
            tag: 7.2.4
        """,
    )
    monkeypatch.chdir(tmp_path)
    result = core.collect(["cache"])
    assert [(e.path, e.line, e.message) for e in result.errors] == [
        ("cache/Chart.yaml", 4, "file is not valid UTF-8")
    ]
    valkey, redis = result.components
    assert (valkey.engine, valkey.version) == ("valkey", None)
    assert valkey.unresolved == (
        "appVersion comes from Chart.yaml, which could not be read "
        "(line 4: file is not valid UTF-8)"
    )
    assert (redis.engine, redis.version, redis.unresolved) == ("redis", "7.2.4", None)


def test_chart_yaml_symlink_out_of_the_chart_is_never_read(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("appVersion: SECRET-TOKEN-abc123\n")
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").symlink_to(tmp_path / "outside" / "secret.txt")
    write(chart / "values.yaml", "image:\n  repository: valkey/valkey\n  tag: ''\n")
    result = scan_paths([str(chart)])
    assert result.errors == []
    [valkey] = result.components
    assert valkey.version is None
    assert valkey.unresolved is not None and "symlink" in valkey.unresolved
    assert "SECRET" not in repr(result.components)


def test_archive_reading_is_bounded_by_the_unpacked_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dependencies, "MAX_UNPACKED_BYTES", 1 << 20)
    write(tmp_path / "Chart.yaml", BITNAMI_STYLE_CHART)
    _archive(
        tmp_path / "charts" / "redis-22.0.1.tgz",
        {
            "redis/files/padding.bin": "0" * (2 << 20),
            "redis/values.yaml": SUBCHART_VALUES,
        },
    )
    [dependency] = collect(tmp_path)
    assert dependency.unresolved is not None
    assert "its chart files are not within its first 1 MB" in dependency.unresolved
