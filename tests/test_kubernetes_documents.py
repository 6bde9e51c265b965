"""Kubernetes streams are composed one document at a time, and only the documents that
may deploy an engine: the components found must be those of composing the whole stream.

PyYAML composing every document is the oracle. The table tests pin the cases the cut
at ``---`` must get right (line numbers after CR LF and other line breaks, directives,
document end markers, kinds written in odd ways); the property test generates streams
of workloads, operator resources, CRDs and ConfigMaps in every style PyYAML writes and
compares the components, their lines included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.model import Component
from policycheck.sources import kubernetes
from policycheck.sources.kubernetes import SOURCE, may_deploy
from policycheck.yamlload import iter_documents

PATH = Path("manifests/stream.yaml")
DISPLAY = "manifests/stream.yaml"


def oracle(text: str) -> list[Component]:
    """Every document composed, as the source did before it cut streams."""
    return [
        component
        for doc in iter_documents(text, DISPLAY)
        for component in kubernetes._object_components(doc.value, (), doc, PATH, DISPLAY)
    ]


def collected(text: str) -> list[Component]:
    return list(SOURCE.collect(PATH, text, DISPLAY))


def composed_documents(text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first line of each document the source composes."""
    seen: list[str] = []
    real = kubernetes.iter_documents

    def spy(piece: str, display: str) -> Any:
        seen.append(piece.lstrip("\n").splitlines()[0] if piece.strip() else "")
        return real(piece, display)

    monkeypatch.setattr(kubernetes, "iter_documents", spy)
    collected(text)
    return seen


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache
spec:
  template:
    spec:
      containers:
        - name: cache
          image: redis:7.2.4
"""
CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: redisfailovers.databases.spotahome.com
spec:
  versions:
    - schema:
        openAPIV3Schema:
          properties:
            image:
              description: "the redis image, e.g. image: redis:7.2.4"
              type: string
"""


def test_a_crd_beside_a_deployment_is_not_composed(monkeypatch: pytest.MonkeyPatch) -> None:
    text = CRD + "---\n" + DEPLOYMENT
    assert composed_documents(text, monkeypatch) == ["---"]
    found = collected(text)
    assert found == oracle(text)
    assert [(c.engine, c.version, c.location.line) for c in found if c.location] == [
        ("redis", "7.2.4", len(CRD.splitlines()) + 11)
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param((CRD + "---\n" + DEPLOYMENT).replace("\n", "\r\n"), id="crlf"),
        pytest.param(CRD.replace("\n", "\r") + "\r---\n" + DEPLOYMENT, id="bare-cr"),
        pytest.param(CRD.replace("redis image", "redis\x85image") + "---\n" + DEPLOYMENT, id="nel"),
        pytest.param(
            CRD.replace("redis image", "redis\u2028image") + "---\n" + DEPLOYMENT, id="line-sep"
        ),
        pytest.param("%YAML 1.1\n---\n" + DEPLOYMENT + "...\n---\n" + DEPLOYMENT, id="directive"),
        pytest.param(DEPLOYMENT + "...\n---\n" + CRD + "---\n" + DEPLOYMENT, id="document-end"),
        pytest.param(
            "# leading comment\n\n" + DEPLOYMENT + "--- # next\n" + DEPLOYMENT, id="comments"
        ),
        pytest.param("---\n---\n" + DEPLOYMENT + "---\n", id="empty-documents"),
        pytest.param(
            DEPLOYMENT.replace("kind: Deployment", 'kind: "Deployment"'), id="quoted-kind"
        ),
        pytest.param(
            DEPLOYMENT.replace("kind: Deployment", "kind:\n  Deployment"), id="kind-below"
        ),
        pytest.param(
            DEPLOYMENT.replace("kind: Deployment", "kind: !!str Deployment"), id="tagged-kind"
        ),
        pytest.param(
            "kind: &k Deployment\n" + DEPLOYMENT.replace("kind: Deployment\n", ""), id="anchored"
        ),
        pytest.param(
            '{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": '
            '[{"name": "c", "image": "redis:7.2.4"}]}}\n---\n' + CRD,
            id="json",
        ),
        pytest.param(
            "apiVersion: v1\nkind: List\nitems:\n  - "
            + "\n    ".join(DEPLOYMENT.splitlines())
            + "\n",
            id="list",
        ),
        pytest.param(
            "apiVersion: databases.spotahome.com/v1\nkind: RedisFailover\nmetadata:\n"
            "  name: cache\nspec:\n  redis:\n    replicas: 3\n",
            id="operator-without-image",
        ),
        pytest.param(
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  pod.yaml: |\n    kind: Pod\n"
            "    image: redis:7.2.4\n---\n" + DEPLOYMENT,
            id="configmap-embedding-a-manifest",
        ),
        pytest.param("---\n" + DEPLOYMENT + "----: 1\n---x: 2\n", id="dashes-in-keys"),
    ],
)
def test_cut_streams_give_what_composing_the_whole_stream_gives(text: str) -> None:
    assert collected(text) == oracle(text)


def test_a_syntax_error_in_a_composed_document_points_into_the_whole_file() -> None:
    text = CRD + "---\n" + DEPLOYMENT + "          ports: [6379\n"
    with pytest.raises(InputError) as cut:
        collected(text)
    with pytest.raises(InputError) as whole:
        oracle(text)
    assert (cut.value.line, cut.value.message) == (whole.value.line, whole.value.message)
    assert cut.value.line is not None and cut.value.line > len(CRD.splitlines())


def test_a_document_that_cannot_deploy_is_not_checked_for_syntax() -> None:
    """As for a file that names no engine: the documents that may deploy one are read."""
    text = CRD.replace("type: string", "type: [string") + "---\n" + DEPLOYMENT
    with pytest.raises(InputError):
        oracle(text)
    assert [c.version for c in collected(text)] == ["7.2.4"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("kind: CustomResourceDefinition\n", False),
        ("kind: ConfigMap # data\n", False),
        ("kind: ConfigMap\r\n", False),
        ("kind: Deployment#x\n", True),  # one plain scalar: composing tells
        ("'kind': 'Service'\n", False),
        ("kind: Deployment\n", True),
        ("kind: RedisFailover\n", True),
        ("kind: List\n", True),
        ("kind: Service\nkind: Deployment\n", True),  # twice: composing tells (an error)
        ("kind:\n  Service\n", True),
        ("kind: 'Service\"\n", True),
        ("kind: !!str Service\n", True),
        ("metadata:\n  kind: Service\n", True),  # not top level: no kind written plainly
        ("{kind: Service}\n", True),
        ("", False),  # nothing at all: no object
        ("# Source: upstream CRD\n# Version: 1.0\n", False),  # a vendored file's header
        ("---\n# only a comment\n\n", False),
        ("--- # a marker's comment\n", False),
        ("--- {kind: Deployment}\n", True),  # content on the marker line
        ("---\n  - image: redis\n", True),  # content, no kind: composing tells
        ("#x\rimage: redis\r", True),  # a CR alone breaks a YAML line too
    ],
)
def test_may_deploy_reads_a_plainly_written_top_level_kind(document: str, expected: bool) -> None:
    assert may_deploy(document) is expected


# --- property: generated streams ------------------------------------------------------

IMAGES = st.sampled_from(
    [
        "redis:7.2.4",
        "redis:7.4.0",
        "bitnami/valkey:8.0.1",
        "docker.dragonflydb.io/dragonflydb/dragonfly:v1.21.0",
        "eqalpha/keydb:x86_64_v6.3.4",
        "memcached:1.6.29",
        "nginx:1.25",
        "oliver006/redis_exporter:v1.62.0",
        "redis",
        "",
    ]
)
WORDS = st.sampled_from(
    ["redis", "valkey", "cache", "image: redis:7.2.4", "kind: Deployment", "x", "---", "# no"]
)
TEXT = st.lists(WORDS, min_size=1, max_size=4).map(" ".join)


@st.composite
def containers(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [
        {"name": draw(st.sampled_from(["cache", "app"])), "image": draw(IMAGES)}
        for _ in range(draw(st.integers(1, 3)))
    ]


@st.composite
def documents(draw: st.DrawFn) -> Any:
    choice = draw(st.integers(0, 7))
    if choice == 0:
        kind = draw(st.sampled_from(["Deployment", "StatefulSet", "Job", "DaemonSet"]))
        return {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": {"name": draw(TEXT)},
            "spec": {"template": {"spec": {"containers": draw(containers())}}},
        }
    if choice == 1:
        return {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": draw(containers())}}
    if choice == 2:
        return {
            "apiVersion": "databases.spotahome.com/v1",
            "kind": "RedisFailover",
            "spec": {"redis": {"image": draw(IMAGES)}} if draw(st.booleans()) else {"x": 1},
        }
    if choice == 3:
        return {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "spec": {"properties": {"image": {"description": draw(TEXT), "type": "string"}}},
        }
    if choice == 4:
        return {"apiVersion": "v1", "kind": "ConfigMap", "data": {"image": draw(IMAGES)}}
    if choice == 5:
        return {"apiVersion": "v1", "kind": "List", "items": [draw(documents())]}
    if choice == 6:
        return {"kind": draw(TEXT), "apiVersion": "v1", "image": draw(IMAGES)}
    return draw(st.sampled_from([None, "text", [1, 2], {"image": "redis:7.2.4"}]))


@st.composite
def streams(draw: st.DrawFn) -> str:
    docs = draw(st.lists(documents(), min_size=1, max_size=5))
    text = yaml.safe_dump_all(
        docs,
        default_flow_style=draw(st.sampled_from([False, None, True])),
        explicit_start=draw(st.booleans()),
        explicit_end=draw(st.booleans()),
        sort_keys=draw(st.booleans()),
        width=draw(st.sampled_from([20, 80, 1000])),
        indent=draw(st.sampled_from([2, 4])),
        line_break=draw(st.sampled_from(["\n", "\r\n"])),
    )
    if draw(st.booleans()):
        text = "# generated\n" + text
    if draw(st.booleans()):  # a document of comments alone, as vendored CRD files open
        text = "# Source: upstream\n---\n# nothing\n\n---\n" + text.removeprefix("---\n")
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_cut_streams_find_the_components_of_the_whole_compose(text: str) -> None:
    assert collected(text) == oracle(text)


FRAGMENTS = st.sampled_from(
    [
        b"image: redis:7.2.4\n",
        b"image:\n",
        b"image: nginx\n",
        b"image: {{ .values.image }}\n",
        b"kind: redisfailover\n",
        b"kind: deployment\n",
        b"env: redis_host\n",
        b"{{ if }}\n",
        b"valkey\n",
        b"x: 1\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=6).map(b"".join))
def test_worth_parsing_asks_the_patterns_first_with_the_same_answer(lowered: bytes) -> None:
    from policycheck.sources.interface import mentions_engine

    named = any(p.search(lowered) for p in kubernetes._WORTH_PARSING)
    expected = (mentions_engine(lowered) or b"{{" in lowered) and named
    assert SOURCE.worth_parsing(lowered) is expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_a_stream_said_to_deploy_nothing_has_nothing_to_find(text: str) -> None:
    """Where the text alone rules every document out, composing it all finds nothing."""
    if SOURCE.deploys_nothing(text):
        assert oracle(text) == []
        assert collected(text) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_one_pass_over_a_stream_agrees_with_cutting_it(text: str) -> None:
    """``deploys_nothing`` reads the stream once; cutting it and asking each piece is
    the definition."""
    pieces = kubernetes._stream_pieces(text)
    expected = pieces is not None and not any(may_deploy(piece) for piece in pieces)
    assert kubernetes._stream_deploys_nothing(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "---\n",
        "# Source: x\n---\nkind: CustomResourceDefinition\n",
        "kind: ConfigMap\n---\n---\nkind: Secret\n",
        "kind: ConfigMap\n%YAML 1.2\n---\nkind: Secret\n",
        "kind: ConfigMap\n...\n---\nkind: Secret\n",
        "%YAML 1.2\n---\nkind: Secret\n",
        "kind: Secret\n---\nkind: Deployment\n",
        "kind: Secret\nkind: Secret\n",
        "kind: Secret\n--- kind: Deployment\n",
        "kind: Secret\n---x\nkind: Secret\n",
    ],
)
def test_one_pass_over_a_stream_agrees_with_cutting_it_at_the_edges(text: str) -> None:
    pieces = kubernetes._stream_pieces(text)
    expected = pieces is not None and not any(may_deploy(piece) for piece in pieces)
    assert kubernetes._stream_deploys_nothing(text) is expected


def test_a_vendored_crd_file_with_a_comment_header_is_neither_parsed_nor_hashed(
    tmp_path: Path,
) -> None:
    """Bitnami's CRD files open with a comment naming where they were copied from."""
    from policycheck.walk import SKIP_NO_DEPLOYMENT, scan_paths

    (tmp_path / "crd.yaml").write_text("# Source: https://example.test/crd.yaml\n---\n" + CRD)
    result = scan_paths([str(tmp_path)])
    assert result.stats.skipped.get(SKIP_NO_DEPLOYMENT) == 1
    assert result.files == {}


def test_a_stream_of_crds_is_neither_parsed_nor_hashed(tmp_path: Path) -> None:
    from policycheck.walk import SKIP_NO_DEPLOYMENT, scan_paths

    (tmp_path / "crds.yaml").write_text(CRD + "---\n" + CRD)
    (tmp_path / "both.yaml").write_text(CRD + "---\n" + DEPLOYMENT)
    result = scan_paths([str(tmp_path)])
    assert result.stats.skipped.get(SKIP_NO_DEPLOYMENT) == 1
    assert sorted(Path(p).name for p in result.files) == ["both.yaml"]
    assert [c.engine for c in result.components] == ["redis"]
    assert SOURCE.deploys_nothing(CRD) and not SOURCE.deploys_nothing(CRD + "---\n" + DEPLOYMENT)
