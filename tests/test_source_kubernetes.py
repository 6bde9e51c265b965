"""Kubernetes source: workload images, operator resources, Helm templates, negatives."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.sources.kubernetes import SOURCE, KubernetesSource
from policycheck.walk import scan_paths


def collect(tmp_path: Path, text: str, name: str = "app.yaml") -> list[Component]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    body = textwrap.dedent(text).lstrip()
    path.write_text(body)
    return list(SOURCE.collect(path, body, name))


def summary(components: list[Component]) -> list[tuple[str, str | None, int | None]]:
    return [(c.engine, c.version, c.location.line if c.location else None) for c in components]


MULTI_DOC = """
    apiVersion: v1
    kind: Service
    metadata:
      name: redis-leader
    spec:
      ports:
        - port: 6379
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: redis-leader
    spec:
      template:
        spec:
          containers:
            - name: leader
              image: mirror.gcr.io/library/redis:7.4.2  # or just image: redis
    ---
    apiVersion: apps/v1
    kind: StatefulSet
    metadata:
      name: cache
    spec:
      template:
        spec:
          initContainers:
            - name: seed
              image: valkey/valkey:8.0.1-alpine
          containers:
            - name: exporter
              image: oliver006/redis_exporter:v1.62.0
            - name: sidecar
              image: bitnami/redis-exporter:1.76.0-debian-12-r0
"""


def test_multi_document_reports_each_workload_with_its_line(tmp_path: Path) -> None:
    found = collect(tmp_path, MULTI_DOC)
    assert summary(found) == [("redis", "7.4.2", 18), ("valkey", "8.0.1", 29)]
    assert found[0].location is not None
    assert found[0].location.text == "mirror.gcr.io/library/redis:7.4.2"


def test_init_containers_are_read(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          initContainers:
            - {name: warm, image: "memcached:1.6.29"}
          containers:
            - {name: app, image: "nginx:1.27"}
        """,
    )
    assert summary(found) == [("memcached", "1.6.29", 6)]


def test_cronjob_pod_spec_is_under_job_template(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: flush}
        spec:
          schedule: "0 * * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: cli
                      image: redis:7.2.5
        """,
    )
    assert summary(found) == [("redis", "7.2.5", 12)]


def test_replication_controller_and_list_items(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: ReplicationController
            metadata: {name: rc}
            spec:
              template:
                spec:
                  containers:
                    - {name: r, image: "docker.io/library/redis:6.2.14"}
        """,
    )
    assert summary(found) == [("redis", "6.2.14", 11)]


def test_operator_resource_without_image_is_unresolved_at_kind_line(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: dragonflydb.io/v1alpha1
        kind: Dragonfly
        metadata:
          name: df
        spec:
          replicas: 2
        """,
    )
    assert summary(found) == [("dragonfly", None, 2)]
    assert found[0].origin == "operator"
    assert found[0].unresolved == (
        "custom resource Dragonfly names no image; the operator chooses the version"
    )


def test_operator_resource_image_under_kubernetes_config(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: redis.redis.opstreelabs.in/v1beta2
        kind: RedisCluster
        metadata: {name: rc}
        spec:
          clusterSize: 3
          kubernetesConfig:
            image: quay.io/opstree/redis:v7.2.7
        """,
    )
    assert summary(found) == [("redis", "7.2.7", 7)]


def test_operator_resource_image_under_spec_image(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: hyperspike.io/v1
        kind: Valkey
        metadata: {name: kv}
        spec:
          image: valkey/valkey:8.1.1
        """,
    )
    assert summary(found) == [("valkey", "8.1.1", 5)]


def test_operator_resource_with_uncatalogued_image_keeps_engine_unresolved(
    tmp_path: Path,
) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: redis.redis.opstreelabs.in/v1beta2
        kind: Redis
        metadata: {name: r}
        spec:
          kubernetesConfig:
            image: registry.example.com/team/cache:7
        """,
    )
    assert summary(found) == [("redis", None, 6)]
    assert found[0].unresolved is not None and "not a catalogued redis image" in found[0].unresolved


def test_same_kind_in_another_group_is_not_an_engine(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: aiven.io/v1alpha1
        kind: Valkey
        metadata: {name: managed}
        spec:
          plan: startup-4
        """,
    )
    assert found == []


def test_configmap_secret_and_service_yield_nothing(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: redis-config}
        data:
          pod.yaml: |
            containers:
              - image: redis:7.4.2
          image: redis:7.4.2
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: redis}
        stringData:
          image: valkey/valkey:8.0.1
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: redis, labels: {app: redis}}
        spec:
          ports: [{port: 6379}]
        """,
    )
    assert found == []


def test_exporter_images_are_never_engines(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: redis-exporter}
        spec:
          template:
            spec:
              containers:
                - {name: a, image: "oliver006/redis_exporter:v1.79.0"}
                - {name: b, image: "docker.io/bitnami/redis-exporter:1.76.0"}
        """,
    )
    assert found == []


def test_derived_engine_image_is_reported_unresolved(tmp_path: Path) -> None:
    """A derived image's tag (v1) is its own version, never read as the engine's."""
    found = collect(
        tmp_path,
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: follower}
        spec:
          template:
            spec:
              containers:
                - {name: c, image: "gcr.io/google_samples/gb-redisslave:v1"}
        """,
    )
    assert [(c.engine, c.version) for c in found] == [("redis", None)]
    assert found[0].unresolved and "own version" in found[0].unresolved


HELM_TEMPLATE = """
    {{- /*
    Copyright notice
      image: redis:6.0.0
    */}}
    {{- if .Values.enabled }}
    apiVersion: {{ include "common.capabilities.statefulset.apiVersion" . }}
    kind: {{ .Values.master.kind }}
    metadata:
      name: {{ include "common.names.fullname" . }}
    spec:
      template:
        spec:
          initContainers:
            - name: volume-permissions
              image: {{ include "redis.volumePermissions.image" . }}
          containers:
            - name: redis
              image: {{ template "redis.image" . }}
            - name: metrics
              image: {{ include "redis.metrics.image" . }}
            - name: pinned
              image: "valkey/valkey:8.0.2"
    {{- end }}
"""


def test_helm_template_main_image_helper_is_unresolved(tmp_path: Path) -> None:
    found = collect(tmp_path, HELM_TEMPLATE, "templates/statefulset.yaml")
    assert summary(found) == [("redis", None, 18), ("valkey", "8.0.2", 22)]
    reason = found[0].unresolved
    assert reason == (
        'image is templated ({{ template "redis.image" . }}); '
        "helper 'redis.image' is not defined in the chart's templates"
    )


def test_helm_template_values_path_is_resolved_through_chart_values(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "values.yaml").write_text(
        "image:\n  repository: valkey/valkey\n  tag: 8.1.0\n"
        "metrics:\n  image:\n    repository: oliver006/redis_exporter\n"
    )
    found = collect(
        tmp_path,
        """
        apiVersion: apps/v1
        kind: Deployment
        spec:
          template:
            spec:
              containers:
                - name: server
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
                - name: metrics
                  image: "{{ .Values.metrics.image.repository }}:{{ .Values.metrics.image.tag }}"
        {{- with .Values.extra }}
        {{- end }}
        """,
        "chart/templates/deployment.yaml",
    )
    assert summary(found) == [("valkey", "8.1.0", 8)]
    [server] = found
    assert server.same_as is not None
    assert (server.same_as.path, server.same_as.line) == ("chart/values.yaml", 2)
    assert server.location is not None and server.location.text is not None
    assert server.location.text.startswith('"{{ .Values.image.repository }}')


def test_templated_image_without_evidence_yields_nothing(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        kind: Deployment
        apiVersion: apps/v1
        spec:
          template:
            spec:
              containers:
                - image: {{ .Values.image }}
        """,
        "not-a-chart/app.yaml",
    )
    assert found == []


def test_valid_yaml_with_braces_is_still_parsed_as_yaml(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: workflow}
        data:
          step: "image: redis:{{ inputs.parameters.tag }}"
          literal: "image: redis:7.4.2"
        """,
    )
    assert found == []


def test_malformed_yaml_raises_input_error_with_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        collect(
            tmp_path,
            """
            apiVersion: apps/v1
            kind: Deployment
            spec:
              containers:
                - image: redis:7.4.2
               name: broken
            """,
        )
    assert info.value.line == 6
    assert "YAML syntax error" in info.value.message


def test_claims_only_yaml_with_api_version_and_kind() -> None:
    manifest = b"apiVersion: v1\nkind: Pod\n"
    assert SOURCE.claims(Path("pod.yaml"), manifest)
    assert SOURCE.claims(Path("pod.YML"), b"- apiVersion: v1\n  kind: Pod\n")
    assert not SOURCE.claims(Path("pod.json"), manifest)
    assert not SOURCE.claims(Path("Chart.yaml"), b"apiVersion: v2\nname: redis\n")
    assert not SOURCE.claims(Path("compose.yaml"), b"services:\n  cache:\n    image: redis\n")


def test_helm_source_runs_before_kubernetes() -> None:
    from policycheck.sources.helm.values import HelmSource

    assert HelmSource.priority < KubernetesSource.priority


def test_walk_reports_manifest_through_the_registry(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(textwrap.dedent(MULTI_DOC).lstrip())
    result = scan_paths([str(tmp_path)])
    assert result.errors == []
    assert [(c.engine, c.version) for c in result.components] == [
        ("redis", "7.4.2"),
        ("valkey", "8.0.1"),
    ]


_tags = st.from_regex(r"\A[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}\Z")
_workloads = st.sampled_from(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"])


@settings(max_examples=40, deadline=None)
@given(tags=st.lists(_tags, min_size=1, max_size=4), kind=_workloads)
def test_every_container_of_every_document_is_found_in_order(
    tmp_path_factory: pytest.TempPathFactory, tags: list[str], kind: str
) -> None:
    docs = [
        f"apiVersion: apps/v1\nkind: {kind}\nspec:\n  template:\n    spec:\n"
        f"      containers:\n        - image: redis:{tag}\n"
        for tag in tags
    ]
    text = "---\n".join(docs)
    path = tmp_path_factory.mktemp("k8s") / "many.yaml"
    found = list(SOURCE.collect(path, text, "many.yaml"))
    assert [c.version for c in found] == tags
    assert [c.location.line if c.location else None for c in found] == [
        7 + 8 * i for i in range(len(tags))
    ]


# --- custom resources that deploy nothing, and those that deploy two ----------------


@pytest.mark.parametrize(
    "text",
    [
        # a chainsaw/kuttl assertion: only status, no spec
        """
        apiVersion: redis.redis.opstreelabs.in/v1beta2
        kind: RedisCluster
        metadata:
          name: redis-cluster-v1beta2
        status:
          readyFollowerReplicas: 3
          state: Ready
        """,
        # a patch: the CRD requires spec.kubernetesConfig.image, so this changes a
        # resource declared elsewhere
        """
        apiVersion: redis.redis.opstreelabs.in/v1beta2
        kind: Redis
        metadata:
          name: redis-standalone
        spec:
          storage:
            volumeClaimTemplate:
              spec:
                resources: {requests: {storage: 2Gi}}
        """,
        """
        apiVersion: dragonflydb.io/v1alpha1
        kind: Dragonfly
        metadata: {name: df}
        status: {phase: ready}
        """,
        """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: redis-leader}
        status: {replicas: 3, readyReplicas: 3}
        """,
    ],
)
def test_resources_without_a_deploying_spec_yield_nothing(tmp_path: Path, text: str) -> None:
    assert collect(tmp_path, text) == []


def test_redis_failover_reports_redis_and_sentinel_images(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: databases.spotahome.com/v1
        kind: RedisFailover
        metadata:
          name: redisfailover
        spec:
          sentinel:
            replicas: 3
            image: redis:7.2.4-alpine
          redis:
            replicas: 3
            image: redis:6.2.14-alpine
        """,
    )
    assert summary(found) == [("redis", "6.2.14", 11), ("redis", "7.2.4", 8)]


def test_redis_failover_without_images_cites_the_operator_default(tmp_path: Path) -> None:
    found = collect(
        tmp_path,
        """
        apiVersion: databases.spotahome.com/v1
        kind: RedisFailover
        metadata:
          name: redisfailover
        spec:
          redis:
            replicas: 3
        """,
    )
    assert summary(found) == [("redis", None, 6), ("redis", None, 2)]
    redis, sentinel = found
    assert redis.unresolved is not None
    assert redis.unresolved.startswith(
        "custom resource RedisFailover does not set spec.redis.image"
    )
    assert "redis:6.2.6-alpine" in redis.unresolved
    assert "api/redisfailover/v1/defaults.go" in redis.unresolved
    assert sentinel.unresolved is not None and "spec.sentinel.image" in sentinel.unresolved
    assert sentinel.location is not None and sentinel.location.text == "kind: RedisFailover"


def test_walker_skips_an_operator_test_suite_of_assertions(tmp_path: Path) -> None:
    suite = tmp_path / "tests" / "e2e-chainsaw" / "setup"
    suite.mkdir(parents=True)
    (suite / "cluster.yaml").write_text(
        "apiVersion: redis.redis.opstreelabs.in/v1beta2\nkind: RedisCluster\n"
        "metadata: {name: c}\nspec:\n  clusterSize: 3\n  kubernetesConfig:\n"
        "    image: quay.io/opstree/redis:v7.0.15\n"
    )
    (suite / "ready-cluster.yaml").write_text(
        "apiVersion: redis.redis.opstreelabs.in/v1beta2\nkind: RedisCluster\n"
        "metadata: {name: c}\nstatus:\n  state: Ready\n"
    )
    (suite / "ready-sts.yaml").write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: c-leader}\n"
        "status:\n  readyReplicas: 3\n"
    )
    result = scan_paths([str(tmp_path)])
    assert result.errors == []
    assert [(Path(c.location.path).name, c.version) for c in result.components if c.location] == [
        ("cluster.yaml", "7.0.15")
    ]


def test_operator_resources_that_name_only_a_version_are_read() -> None:
    """ECK and the MongoDB Community Operator take a version, not an image: such a file
    names no engine on an ``image:`` line and was once skipped as naming none."""
    path = Path(__file__).parent / "fixtures" / "source_kubernetes" / "operators-wave.yaml"
    lowered = path.read_bytes().lower()
    assert SOURCE.worth_parsing(lowered)
    found = [
        (c.engine, c.version, c.location.line if c.location else None, c.unresolved)
        for c in SOURCE.collect(path, path.read_text(), str(path))
    ]
    assert found == [
        ("elasticsearch", "8.15.0", 6, None),
        ("kibana", "8.15.0", 16, None),
        ("mongodb", "8.0.5", 28, None),
    ]


def test_an_operator_resource_without_version_or_image_is_reviewed(tmp_path: Path) -> None:
    (c,) = collect(
        tmp_path,
        "apiVersion: elasticsearch.k8s.elastic.co/v1\nkind: Elasticsearch\n"
        "metadata:\n  name: es\nspec:\n  nodeSets: []\n",
    )
    assert (c.engine, c.version) == ("elasticsearch", None)
    assert c.unresolved
