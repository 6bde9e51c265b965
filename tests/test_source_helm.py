"""Helm values source: image spellings, disabled subtrees, appVersion fallback, negatives."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import core
from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.policy import load_policy
from policycheck.sources import kubernetes
from policycheck.sources.helm.template import chart_context, render_image
from policycheck.sources.helm.values import SOURCE
from policycheck.sources.interface import without_comment_lines
from policycheck.walk import scan_paths


def collect(directory: Path, text: str, name: str = "values.yaml") -> list[Component]:
    path = directory / name
    body = textwrap.dedent(text).lstrip()
    path.write_text(body)
    return list(SOURCE.collect(path, body, name))


def summary(components: list[Component]) -> list[tuple[str, str | None, int | None]]:
    return [(c.engine, c.version, c.location.line if c.location else None) for c in components]


BITNAMI_STYLE = """
    global:
      imageRegistry: ""
    image:
      registry: docker.io
      repository: bitnami/redis
      tag: 7.4.2-debian-12-r5
      digest: ""
    architecture: replication
    sentinel:
      enabled: false
      image:
        registry: docker.io
        repository: bitnami/redis-sentinel
        tag: 7.4.2-debian-12-r4
    metrics:
      enabled: true
      image:
        registry: docker.io
        repository: bitnami/redis-exporter
        tag: 1.67.0-debian-12-r0
    volumePermissions:
      enabled: false
      image:
        repository: bitnami/os-shell
        tag: 12-debian-12-r30
"""


def test_split_image_is_composed_and_reported_at_repository_line(tmp_path: Path) -> None:
    found = collect(tmp_path, BITNAMI_STYLE.replace("bitnami/redis-sentinel", "redis"))
    assert summary(found) == [("redis", "7.4.2", 5), ("redis", "7.4.2", 13)]
    assert found[0].location is not None
    assert found[0].location.text == "docker.io/bitnami/redis:7.4.2-debian-12-r5"
    assert [c.disabled for c in found] == [None, "sentinel.enabled is false in values.yaml"]


def test_disabled_subtree_is_not_reported_but_enabled_one_is(tmp_path: Path) -> None:
    text = BITNAMI_STYLE.replace(
        "enabled: false\n      image:\n        registry: docker.io\n"
        "        repository: bitnami/redis-sentinel",
        "enabled: true\n      image:\n        registry: docker.io\n"
        "        repository: bitnami/redis-sentinel",
    )
    found = collect(tmp_path, text)
    assert summary(found) == [("redis", "7.4.2", 5), ("redis", "7.4.2", 13)]


def test_disabled_parent_marks_nested_images_disabled(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        replica:
          enabled: false
          sidecar:
            image:
              repository: valkey/valkey
              tag: 8.0.1
        """,
    )
    assert summary(found) == [("valkey", "8.0.1", 5)]
    assert found[0].disabled == "replica.enabled is false in values.yaml"


def test_image_string_with_sibling_tag(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        redisCluster:
          name: ""
          image: quay.io/opstree/redis
          tag: v7.2.7
          imagePullPolicy: IfNotPresent
        redisExporter:
          enabled: true
          image: quay.io/opstree/redis-exporter
          tag: "v1.44.0"
        """,
    )
    assert summary(found) == [("redis", "7.2.7", 3)]
    assert found[0].location is not None
    assert found[0].location.text == "quay.io/opstree/redis:v7.2.7"


def test_plain_image_string_and_list_items(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        extraContainers:
          - name: cache
            image: "memcached:1.6.29-alpine"
          - name: proxy
            image: envoyproxy/envoy:v1.30.0
        """,
        "values-prod.yaml",
    )
    assert summary(found) == [("memcached", "1.6.29", 3)]


def test_numeric_tag_keeps_its_written_form(tmp_path: Path) -> None:
    found = collect(tmp_path, "image:\n  repository: valkey/valkey\n  tag: 7.10\n")
    assert found[0].location is not None
    assert found[0].location.text == "valkey/valkey:7.10"


def test_empty_tag_uses_app_version_from_chart_yaml(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text('apiVersion: v2\nname: valkey\nappVersion: "8.1.3"\n')
    found = collect(
        tmp_path,
        """
        image:
          registry: "docker.io"
          repository: valkey/valkey
          # leave empty to use .Chart.AppVersion
          tag: ""
        """,
    )
    assert summary(found) == [("valkey", "8.1.3", 3)]
    assert found[0].unresolved is None
    assert found[0].location is not None
    assert found[0].location.text == (
        "docker.io/valkey/valkey (tag empty; appVersion 8.1.3 from Chart.yaml)"
    )


def test_empty_tag_without_chart_yaml_is_unresolved(tmp_path: Path) -> None:
    found = collect(tmp_path, "image:\n  repository: valkey/valkey\n  tag: ''\n")
    assert summary(found) == [("valkey", None, 2)]
    assert found[0].unresolved == (
        "tag is empty and no Chart.yaml beside the values file gives appVersion"
    )


def test_digest_is_kept_with_the_tag(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        image:
          repository: bitnami/keydb
          tag: 6.3.4-debian-12-r24
          digest: sha256:0123456789abcdef
        """,
    )
    assert summary(found) == [("keydb", "6.3.4", 2)]
    assert found[0].location is not None
    assert found[0].location.text == "bitnami/keydb:6.3.4-debian-12-r24@sha256:0123456789abcdef"


def test_exporters_and_key_names_never_make_an_engine(tmp_path: Path) -> None:
    """The exporter stays silent; an unknown image named after an engine is reviewed."""
    found = collect(
        tmp_path,
        """
        redis:
          enabled: true
          host: redis-master
        metrics:
          exporter:
            image:
              registry: ghcr.io
              repository: oliver006/redis_exporter
              tag: "v1.79.0"
        valkey:
          image:
            repository: mycorp/valkey-sidecar
            tag: "1.0"
        """,
    )
    assert summary(found) == [("valkey", None, 12)]
    assert found[0].unresolved is not None
    assert found[0].unresolved.startswith("unrecognised image that appears to run Valkey")


def test_malformed_values_raise_input_error_with_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        collect(tmp_path, "image:\n  repository: redis\n tag: [7.4\n")
    assert info.value.line is not None and info.value.line >= 3


def test_claims_values_files_by_name_only() -> None:
    assert SOURCE.claims(Path("values.yaml"), b"image: {}\n")
    assert SOURCE.claims(Path("values-production.yml"), b"")
    assert SOURCE.claims(Path("bitnami-redis-values.yaml"), b"")
    assert SOURCE.claims(Path("values.prod.yaml"), b"")
    assert not SOURCE.claims(Path("retvalues.yaml"), b"")
    assert not SOURCE.claims(Path("deployment.yaml"), b"image: redis\n")
    assert not SOURCE.claims(Path("values.json"), b"{}")
    assert not SOURCE.claims(Path("values.yaml"), b"apiVersion: v1\nkind: ConfigMap\n")


def test_walker_gives_values_files_to_helm_and_reports_once(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: r\nappVersion: 7.2.4\n")
    (tmp_path / "values.yaml").write_text("image:\n  repository: redis\n  tag: ''\n")
    result = scan_paths([str(tmp_path)])
    assert result.errors == []
    assert [(c.engine, c.version) for c in result.components] == [("redis", "7.2.4")]


_parts = st.from_regex(r"\A[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}\Z")


@settings(max_examples=40, deadline=None)
@given(
    tag=_parts,
    registry=st.sampled_from(["", "docker.io", "docker.io/"]),
    suffix=st.sampled_from(["", "-alpine", "-debian-12-r0"]),
)
def test_composed_reference_always_resolves_the_tag(
    tmp_path_factory: pytest.TempPathFactory, tag: str, registry: str, suffix: str
) -> None:
    text = (
        f"image:\n  registry: '{registry}'\n  repository: bitnami/valkey\n  tag: '{tag}{suffix}'\n"
    )
    directory = tmp_path_factory.mktemp("helm")
    found = list(SOURCE.collect(directory / "values.yaml", text, "values.yaml"))
    assert summary(found) == [("valkey", tag, 3)]


CHART_TEMPLATE = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ include "cache.fullname" . }}
spec:
  template:
    spec:
      containers:
        - name: cache
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
"""


def _chart(root: Path) -> Path:
    chart = root / "charts" / "cache"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: cache\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("image:\n  repository: bitnami/redis\n  tag: 7.2.4\n")
    (chart / "templates" / "statefulset.yaml").write_text(CHART_TEMPLATE)
    return chart


def test_chart_folder_reports_its_engine_once_from_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template's image is the values.yaml image: one deployment, one finding."""
    _chart(tmp_path)
    monkeypatch.chdir(tmp_path)
    found = core.collect(["charts"]).components
    assert [(c.engine, c.version, c.location.path if c.location else None) for c in found] == [
        ("redis", "7.2.4", "charts/cache/values.yaml")
    ]
    report = core.check(["charts"], load_policy("default"), dt.date(2026, 11, 27))
    assert [(f.engine, f.version) for f in report.findings] == [("redis", "7.2.4")]


def test_template_scanned_alone_is_rendered_from_the_chart_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _chart(tmp_path)
    monkeypatch.chdir(tmp_path)
    (template,) = core.collect(["charts/cache/templates"]).components
    assert (template.engine, template.version) == ("redis", "7.2.4")
    assert template.location is not None
    assert (template.location.path, template.location.line) == (
        "charts/cache/templates/statefulset.yaml",
        10,
    )
    assert any("rendered from values.yaml image" in note for note in template.notes)
    assert template.same_as is not None
    assert (template.same_as.path, template.same_as.line) == ("charts/cache/values.yaml", 2)


# --- templates rendered from the chart's defaults -----------------------------------

BITNAMI_HELPERS = """\
{{/*
Return the proper image name
*/}}
{{- define "cache.image" -}}
{{ include "common.images.image" (dict "imageRoot" .Values.image "global" .Values.global "chart" .Chart) }}
{{- end -}}

{{- define "cache.sentinel.image" -}}
{{ include "common.images.image" (dict "imageRoot" .Values.sentinel.image "global" .Values.global) }}
{{- end -}}

{{- define "cache.metrics.image" -}}
{{- if .Values.metrics.enabled }}
{{ include "common.images.image" (dict "imageRoot" .Values.metrics.image "global" .Values.global) }}
{{- end -}}
{{- end -}}
"""
BITNAMI_STATEFULSET = """\
{{- if .Values.sentinel.enabled }}
apiVersion: {{ include "common.capabilities.statefulset.apiVersion" . }}
kind: StatefulSet
metadata:
  name: {{ printf "%s-node" (include "common.names.fullname" .) }}
spec:
  template:
    spec:
      containers:
        - name: redis
          image: {{ template "cache.image" . }}
        - name: sentinel
          image: {{ template "cache.sentinel.image" . }}
        - name: metrics
          image: {{ include "cache.metrics.image" . }}
{{- end }}
"""
BITNAMI_VALUES = """\
image:
  registry: docker.io
  repository: bitnami/redis
  tag: ""
sentinel:
  enabled: false
  image:
    registry: docker.io
    repository: bitnami/redis-sentinel
    tag: 8.2.1-debian-12-r0
metrics:
  enabled: false
  image:
    repository: bitnami/redis-exporter
    tag: 1.76.0
"""


def test_a_template_is_read_only_where_its_chart_can_name_an_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same template: read line by line (and rendered) when the chart's values name
    an engine, not opened further when neither it nor its chart names one."""
    chart = _chart(tmp_path)
    monkeypatch.chdir(tmp_path)
    read: list[str] = []
    real = kubernetes.scan_template_lines

    def spy(path: Path, text: str, display: str, context: Any) -> Iterator[Component]:
        read.append(display)
        return real(path, text, display, context)

    monkeypatch.setattr(kubernetes, "scan_template_lines", spy)
    assert [c.engine for c in core.collect(["charts/cache/templates"]).components] == ["redis"]
    assert read == ["charts/cache/templates/statefulset.yaml"]
    (chart / "values.yaml").write_text("image:\n  repository: library/nginx\n  tag: 1.27\n")
    read.clear()
    assert core.collect(["charts/cache/templates"]).components == []
    assert read == []


def _bitnami_chart(root: Path) -> Path:
    chart = root / "cache"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: cache\nappVersion: 8.2.1\n")
    (chart / "values.yaml").write_text(BITNAMI_VALUES)
    (chart / "templates" / "_helpers.tpl").write_text(BITNAMI_HELPERS)
    (chart / "templates" / "statefulset.yaml").write_text(BITNAMI_STATEFULSET)
    return chart


def test_image_helpers_resolve_to_their_values_entries(tmp_path: Path) -> None:
    _bitnami_chart(tmp_path)
    result = scan_paths([str(tmp_path)])
    templates = [c for c in result.components if c.location and "templates" in c.location.path]
    assert [(c.version, c.location.line if c.location else 0) for c in templates] == [
        ("8.2.1", 11),
        ("8.2.1", 13),
    ]
    assert [(c.same_as.line if c.same_as else None) for c in templates] == [3, 9]
    assert [c.disabled for c in templates] == [None, "sentinel.enabled is false in values.yaml"]


def test_a_chart_with_image_helpers_reports_each_image_once_at_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bitnami_chart(tmp_path)
    monkeypatch.chdir(tmp_path)
    found = core.collect(["cache"]).components
    assert [(c.location.path if c.location else None, c.version, c.disabled) for c in found] == [
        ("cache/values.yaml", "8.2.1", None),
        ("cache/values.yaml", "8.2.1", "sentinel.enabled is false in values.yaml"),
    ]


def test_app_version_tag_is_not_the_values_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template takes the repository from values but the tag from Chart.yaml: it
    deploys the appVersion, so it is its own finding."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: cache\nappVersion: 7.4.0\n")
    (chart / "values.yaml").write_text("image:\n  repository: redis\n  tag: 7.2.4\n")
    (chart / "templates" / "deployment.yaml").write_text(
        CHART_TEMPLATE.replace("{{ .Values.image.tag }}", "{{ .Chart.AppVersion }}")
    )
    monkeypatch.chdir(tmp_path)
    found = core.collect(["chart"]).components
    assert [(c.location.path if c.location else None, c.version) for c in found] == [
        ("chart/values.yaml", "7.2.4"),
        ("chart/templates/deployment.yaml", "7.4.0"),
    ]
    assert any("appVersion" in note for note in found[1].notes)


def test_undefined_helper_falls_back_to_the_only_engine_image_in_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = _bitnami_chart(tmp_path)
    (chart / "templates" / "_helpers.tpl").unlink()
    (chart / "templates" / "statefulset.yaml").write_text(
        BITNAMI_STATEFULSET.replace("cache.image", "redis.image")
    )
    (chart / "values.yaml").write_text(
        BITNAMI_VALUES.replace("bitnami/redis-sentinel", "bitnami/os-shell")
    )
    monkeypatch.chdir(tmp_path)
    scanned = scan_paths(["cache/templates"]).components
    [redis] = [c for c in scanned if c.engine == "redis"]
    assert redis.version is None and redis.unresolved is not None
    assert redis.same_as is not None and redis.same_as.line == 3
    assert [c.location.path for c in core.collect(["cache"]).components if c.location] == [
        "cache/values.yaml"
    ]


def test_helper_file_through_a_symlink_out_of_the_chart_is_not_read(tmp_path: Path) -> None:
    chart = _bitnami_chart(tmp_path / "repo")
    outside = tmp_path / "elsewhere.tpl"
    outside.write_text(BITNAMI_HELPERS)
    (chart / "templates" / "_helpers.tpl").unlink()
    (chart / "templates" / "_helpers.tpl").symlink_to(outside)
    found = scan_paths([str(chart / "templates")]).components
    # unread helpers leave "cache.image" unknown, and its name names no engine
    assert found == []
    (chart / "templates" / "statefulset.yaml").write_text(
        BITNAMI_STATEFULSET.replace("cache.image", "redis.image")
    )
    found = scan_paths([str(chart / "templates")]).components
    assert [(c.engine, c.version) for c in found] == [("redis", None)]
    assert found[0].unresolved is not None
    assert "helper 'redis.image' is not defined in the chart's templates" in found[0].unresolved
    assert "_helpers.tpl: it is a symlink to a file outside" in found[0].unresolved


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ('{{ .Values.image.repository }}:{{ .Values.image.tag | default "x" }}', "redis:7.2.4"),
        (
            "{{ .Values.image.repository }}:{{ .Values.empty | default .Chart.AppVersion }}",
            "redis:7.4.0",
        ),
        ("{{ default .Chart.AppVersion .Values.image.tag }}", "7.2.4"),
        ('{{ printf "%s:%s" .Values.image.repository .Values.image.tag }}', "redis:7.2.4"),
        ("{{ coalesce .Values.empty .Values.image.repository }}", "redis"),
        ("{{ .Values.image.repository | quote }}", "redis"),
        ("{{- .Values.image.repository -}} : {{- .Values.image.tag }}", "redis:7.2.4"),
        ("{{ .Values.image.registry }}/{{ .Values.image.repository }}", "docker.io/redis"),
        ("{{ .Release.Name }}", "\ue000"),
        ("{{ tpl .Values.image.repository . }}", "\ue000"),
        ("{{ $image := .Values.image }}", "\ue000"),
        ("{{ if .Values.x }}redis{{ end }}", "\ue000redis\ue000"),
        ("{{ .Values.image.tag", "{{ .Values.image.tag"),
    ],
)
def test_template_values_render_as_helm_would_or_say_unknown(
    tmp_path: Path, template: str, rendered: str
) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nappVersion: 7.4.0\n")
    (chart / "values.yaml").write_text(
        "image:\n  registry: docker.io\n  repository: redis\n  tag: 7.2.4\nempty: ''\n"
    )
    context = chart_context(chart / "templates" / "x.yaml", "chart/templates/x.yaml")
    assert context is not None
    assert render_image(template, context).text == rendered


def test_values_symlink_out_of_the_chart_is_not_read_for_templates(tmp_path: Path) -> None:
    chart = _bitnami_chart(tmp_path / "repo")
    (tmp_path / "secret.yaml").write_text(BITNAMI_VALUES)
    (chart / "values.yaml").unlink()
    (chart / "values.yaml").symlink_to(tmp_path / "secret.yaml")
    (chart / "templates" / "_helpers.tpl").write_text(BITNAMI_HELPERS.replace("cache.", "redis."))
    (chart / "templates" / "statefulset.yaml").write_text(
        BITNAMI_STATEFULSET.replace("cache.", "redis.")
    )
    [redis] = scan_paths([str(chart / "templates")]).components
    assert (redis.engine, redis.version) == ("redis", None)
    assert redis.unresolved is not None
    assert "values.yaml could not be read (it is a symlink to a file outside" in redis.unresolved


_REPOSITORIES = st.sampled_from(["redis", "bitnami/redis", "valkey/valkey", "bitnami/valkey"])


@settings(max_examples=40, deadline=None)
@given(repository=_REPOSITORIES, tag=_parts, app_version=_parts, from_app_version=st.booleans())
def test_template_merges_with_values_only_when_both_parts_come_from_it(
    tmp_path_factory: pytest.TempPathFactory,
    repository: str,
    tag: str,
    app_version: str,
    from_app_version: bool,
) -> None:
    chart = tmp_path_factory.mktemp("chart")
    (chart / "templates").mkdir()
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: c\nappVersion: '{app_version}'\n")
    (chart / "values.yaml").write_text(f"image:\n  repository: {repository}\n  tag: '{tag}'\n")
    tag_part = "{{ .Chart.AppVersion }}" if from_app_version else "{{ .Values.image.tag }}"
    template = CHART_TEMPLATE.replace("{{ .Values.image.tag }}", tag_part)
    path = chart / "templates" / "statefulset.yaml"
    path.write_text(template)
    [component] = scan_paths([str(path)]).components
    assert component.version == (app_version if from_app_version else tag)
    if from_app_version:
        assert component.same_as is None
    else:
        assert component.same_as is not None and component.same_as.line == 2


@pytest.mark.parametrize(
    ("text", "worth"),
    [
        ("externalRedis:\n  host: redis.example\n  port: 6379\n", False),  # no image key
        ("image:\n  repository: bitnami/redis\n  tag: 7.2.4\n", True),
        ("image:\n  repository: library/nginx\n", False),  # no engine
        ('"\\x69mage":\n  repository: bitnami/redis\n  tag: 7.2.4\n', True),  # escaped key
        # the engine named only in comments: what a chart collection's values do
        ("# use redis for caching\nimage:\n  repository: library/nginx\n", False),
        ("image:\n  # valkey works too\n  repository: library/nginx\n", False),
        ("# bitnami/redis:7.2.4\r\nimage:\r\n  repository: library/nginx\r\n", False),
        # a word after a value on its line is not a comment line: kept
        ("image:\n  repository: bitnami/redis # cache\n  tag: 7.2.4\n", True),
        ("# nginx\nimage:\n  repository: bitnami/redis\n  tag: 7.2.4\n", True),
    ],
)
def test_values_are_parsed_only_with_an_engine_and_an_image_key(
    tmp_path: Path, text: str, worth: bool
) -> None:
    """Every image of a values file sits under an ``image`` key; a file with an engine
    word but no such key is not parsed, and a key spelled with escapes still counts."""
    assert SOURCE.worth_parsing(text.lower().encode()) is worth
    found = [(c.engine, c.version) for c in collect(tmp_path, text)]
    assert found == ([("redis", "7.2.4")] if worth else [])


COMMENTED = st.sampled_from(
    [
        "# redis",
        "  # image: bitnami/valkey:8.0.1",
        "image:",
        "  repository: bitnami/redis",
        "  repository: library/nginx",
        "  tag: 7.2.4",
        "config: |",
        "  # redis",
        "  image: redis:7.2.4",
        "x: 1 # redis",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(COMMENTED, max_size=8).map("\n".join))
def test_a_values_file_left_for_its_comments_has_nothing_to_find(text: str) -> None:
    """Where the engine words stand only in comment lines, parsing finds nothing."""
    if not SOURCE.worth_parsing(text.lower().encode()):
        try:
            found = list(SOURCE.collect(Path("values.yaml"), text, "values.yaml"))
        except InputError:
            return
        assert found == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"# a\nb: 1\n  # c\nd: 2 # e\n", b"\n\nb: 1\n\nd: 2 # e\n"),
        (b"no comment\n", b"no comment\n"),
        (b"a: '#x'\n#\n", b"\na: '#x'\n\n"),
    ],
)
def test_without_comment_lines_empties_only_comment_lines(data: bytes, expected: bytes) -> None:
    assert without_comment_lines(data) == expected
