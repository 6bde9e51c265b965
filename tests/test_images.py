"""Image identification: mirrors, vendor variants, third-party builds and the unrecognised.

Table tests pin the images met in real charts and manifests; property tests check the
rules both ways: a catalogued image is found through any mirror with the same version,
and images that run no engine (or name none) stay silent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from policycheck import images
from policycheck.catalog import ImageEntry, catalog
from policycheck.images import (
    NON_SERVER_WORDS,
    component_for_image,
    engine_for_image,
    parse_image,
)
from policycheck.model import Component, Location
from policycheck.registries import DeclaredImage, Mirror, Registries

WHERE = Location("deploy.yaml", 7)


def found(text: str) -> Component | None:
    return component_for_image(text, WHERE)


def entries(role: str) -> list[ImageEntry]:
    return [e for eng in catalog().engines.values() for e in eng.image_entries if e.role == role]


# --- found: catalogued images, vendor variants, mirrors ------------------------------------

FOUND = [
    # mirrors and pull-through caches of catalogued paths
    ("artifactory.corp.example/dockerhub/library/redis:7.4.0", "redis", "7.4.0"),
    ("registry.corp:5000/valkey/valkey:8.1.1", "valkey", "8.1.1"),
    ("ecr-public.aws.com/docker/library/redis:8.2.3-alpine", "redis", "8.2.3"),
    ("harbor.corp/proxy/bitnami/redis:7.2.4", "redis", "7.2.4"),
    ("mirror.gcr.io/library/redis:7.4.2", "redis", "7.4.2"),
    ("nexus.corp:8443/ghcr/valkey-io/valkey:8.0.2", "valkey", "8.0.2"),
    ("localhost:5000/dragonflydb/dragonfly:v1.25.0", "dragonfly", "1.25.0"),
    # Dragonfly on each of its registries, and on Docker Hub
    ("dragonflydb/dragonfly:v1.25.0", "dragonfly", "1.25.0"),
    ("docker.dragonflydb.io/dragonflydb/dragonfly:v1.34.1", "dragonfly", "1.34.1"),
    ("ghcr.io/dragonflydb/dragonfly:v1.26.4", "dragonfly", "1.26.4"),
    ("ghcr.io/dragonflydb/dragonfly:ubuntu-v1.26.4-amd64", "dragonfly", "1.26.4"),
    # KeyDB's architecture-prefixed tags
    ("eqalpha/keydb:x86_64_v6.3.4", "keydb", "6.3.4"),
    ("eqalpha/keydb:alpine_x86_64_v6.3.4", "keydb", "6.3.4"),
    ("docker.io/eqalpha/keydb:arm64_v6.3.3", "keydb", "6.3.3"),
    ("eqalpha/keydb:v6.3.4", "keydb", "6.3.4"),
    # vendor variants: Sentinel and cluster images run the same server
    ("bitnami/redis-sentinel:7.4.2-debian-12-r0", "redis", "7.4.2"),
    ("docker.io/bitnami/redis-cluster:8.2.2-debian-12-r0", "redis", "8.2.2"),
    ("bitnamilegacy/redis:7.2.4-debian-12-r9", "redis", "7.2.4"),
    ("bitnamilegacy/redis-sentinel:7.2.4-debian-12-r0", "redis", "7.2.4"),
    ("bitnamilegacy/redis-cluster:7.2.4-debian-12-r1", "redis", "7.2.4"),
    ("bitnami/valkey-sentinel:8.1.1-debian-12-r0", "valkey", "8.1.1"),
    ("bitnami/valkey-cluster:9.1.0-debian-12-r7", "valkey", "9.1.0"),
    ("bitnamilegacy/valkey-cluster:8.0.2-debian-12-r3", "valkey", "8.0.2"),
    ("bitnamilegacy/valkey-sentinel:8.0.2-debian-12-r3", "valkey", "8.0.2"),
    ("bitnamilegacy/keydb:6.3.4-debian-12-r24", "keydb", "6.3.4"),
    ("bitnamilegacy/memcached:1.6.29-debian-12-r0", "memcached", "1.6.29"),
    ("quay.io/opstree/redis:v7.0.15", "redis", "7.0.15"),
    ("quay.io/opstree/redis-sentinel:v7.0.15", "redis", "7.0.15"),
    ("ghcr.io/valkey-io/valkey:8.1.1", "valkey", "8.1.1"),
    ("valkey/valkey:8.1.1-alpine", "valkey", "8.1.1"),
    # Redis Stack family: module images tagged with the module's version
    ("redislabs/rejson:2.6.4", "redisjson", "2.6.4"),
    ("redislabs/redisearch:2.8.4", "redisearch", "2.8.4"),
    ("redislabs/rebloom:2.6.3", "redisbloom", "2.6.3"),
    ("redislabs/redistimeseries:1.10.5", "redistimeseries", "1.10.5"),
    ("redis/redis-stack-server:7.4.0-v3", "redis-stack", "7.4.0-v3"),
]


@pytest.mark.parametrize(("image", "engine", "version"), FOUND)
def test_catalogued_images_give_engine_and_version(image: str, engine: str, version: str) -> None:
    component = found(image)
    assert component is not None, image
    assert (component.engine, component.version, component.unresolved) == (engine, version, None)


@pytest.mark.parametrize(
    ("image", "through"),
    [
        (
            "artifactory.corp.example/dockerhub/library/redis:7.4.0",
            "artifactory.corp.example/dockerhub",
        ),
        ("registry.corp:5000/valkey/valkey:8.1.1", "registry.corp:5000"),
        ("harbor.corp/proxy/bitnami/redis:7.2.4", "harbor.corp/proxy"),
    ],
)
def test_a_mirror_is_recorded_with_its_registry(image: str, through: str) -> None:
    component = found(image)
    assert component is not None
    assert any(f"pulled through {through}," in note for note in component.notes), component.notes
    assert any("its tag is read as the upstream tag" in n for n in component.notes)


def test_catalogued_image_on_its_own_registry_has_no_mirror_note() -> None:
    for image in ("redis:7.4.0", "docker.io/library/redis:7.4.0", "quay.io/opstree/redis:v7.0.15"):
        component = found(image)
        assert component is not None
        assert not any("pulled through" in n for n in component.notes), image


def test_sentinel_images_say_they_run_the_same_server() -> None:
    for image in ("bitnami/redis-sentinel:7.4.2", "bitnami/valkey-sentinel:8.1.1"):
        component = found(image)
        assert component is not None
        assert any("Sentinel" in n and "same license" in n for n in component.notes), image


def test_bundle_tag_names_a_release_line_not_a_release() -> None:
    """valkey-bundle 9.0.3 ships Valkey 9.0.4: the tag gives the line, never 9.0.3."""
    component = found("valkey/valkey-bundle:9.0.3")
    assert component is not None
    assert (component.engine, component.version, component.floating) == ("valkey", "9.0", True)
    assert any("release line 9.0" in n for n in component.notes)
    latest = found("valkey/valkey-bundle:latest")
    assert latest is not None and (latest.version, latest.floating) == ("latest", True)


def test_keydb_prefix_is_stripped_only_before_a_version() -> None:
    broken = found("eqalpha/keydb:x86_64_")
    assert broken is not None and broken.version is None and broken.unresolved
    latest = found("eqalpha/keydb:latest")
    assert latest is not None and latest.version == "latest"


def test_engine_for_image_follows_mirrors_but_not_unknown_builds() -> None:
    def engine(text: str) -> str | None:
        ref = parse_image(text)
        assert ref is not None
        result = engine_for_image(ref)
        return result.id if result else None

    assert engine("harbor.corp/proxy/bitnami/redis") == "redis"
    assert engine("dragonflydb/dragonfly") == "dragonfly"
    assert engine("registry.k8s.io/redis") is None
    assert engine("shubham192001/redis") is None
    assert engine("corp/redis-hardened") is None


# --- third-party and derived builds: engine known, version never read ---------------------

UNRESOLVED = [
    ("shubham192001/redis:2.0", "redis", "third-party build"),
    ("pmem/redis:latest", "redis", "third-party build"),
    ("bitnamisecure/redis:latest", "redis", "third-party build"),
    ("someone/memcached:1.6.29", "memcached", "third-party build"),
    ("registry.k8s.io/redis:v1", "redis", "own version"),
    ("registry.k8s.io/redis:e2e", "redis", "own version"),
    ("k8s.gcr.io/redis:v1", "redis", "own version"),
    ("gcr.io/google_containers/redis:v1", "redis", "own version"),
    ("kubernetes/redis:v1", "redis", "own version"),
    ("gcr.io/google_samples/gb-redisslave:v1", "redis", "own version"),
    ("goharbor/redis-photon:v2.10.0", "redis", "own version"),
    ("docker.io/goharbor/valkey-photon:v2.13.0", "valkey", "own version"),
    ("harbor.corp/proxy/goharbor/valkey-photon:dev", "valkey", "own version"),
    ("redislabs/redismod:latest", "redis-stack", "own version"),
    ("redislabs/redisgraph:2.10.12", "redis", "own version"),
    # an official name after any other path: a mirror or a build of its own
    ("registry.corp:5000/redis:7.4", "redis", "registries.mirrors"),
    ("artifactory.corp.example/dockerhub/redis:7.4.0", "redis", "registries.mirrors"),
    ("quay.io/someone/redis:7.2.4", "redis", "registries.mirrors"),
    ("localhost:5000/memcached:1.6", "memcached", "registries.mirrors"),
]


@pytest.mark.parametrize(("image", "engine", "why"), UNRESOLVED)
def test_third_party_builds_report_the_engine_without_a_version(
    image: str, engine: str, why: str
) -> None:
    component = found(image)
    assert component is not None, image
    assert (component.engine, component.version) == (engine, None)
    assert component.unresolved is not None and why in component.unresolved, component.unresolved


def test_kubernetes_example_image_is_never_redis_1() -> None:
    component = found("registry.k8s.io/redis:v1")
    assert component is not None
    assert component.version is None and not component.floating
    assert any("apk" in n or "redis package" in n for n in component.notes)


# --- unrecognised engine images: reported for review --------------------------------------

UNRECOGNISED = [
    ("corp/redis-hardened:1.2", "redis", "Redis"),
    ("acme/valkey-fips", "valkey", "Valkey"),
    ("registry.corp/team/keydb-patched:6", "keydb", "KeyDB"),
    ("acme/dragonfly-ha:1", "dragonfly", "Dragonfly"),
    ("acme/kvrocks_fork:2", "kvrocks", "Apache Kvrocks"),
    ("acme/garnet-server:1", "garnet", "Garnet"),
    ("acme/memcached.tuned:1", "memcached", "memcached"),
    ("acme/redis-stack-custom:7", "redis-stack", "Redis Stack"),
    ("acme/node-redis:1", "redis", "Redis"),
    ("acme/go-redis:2", "redis", "Redis"),
    ("acme/redis-sidecar:1", "redis", "Redis"),
    ("registry.k8s.io/redis-slave:v2", "redis", "Redis"),
    ("registry.corp/valkey:8", "valkey", "Valkey"),
]


@pytest.mark.parametrize(("image", "engine", "name"), UNRECOGNISED)
def test_unrecognised_engine_images_are_reviewed(image: str, engine: str, name: str) -> None:
    component = found(image)
    assert component is not None, image
    assert (component.engine, component.version) == (engine, None)
    assert component.unresolved is not None
    assert component.unresolved.startswith(
        f"unrecognised image that appears to run {name}; declare it in the policy's registries"
    )


# --- silent: images that run no engine, or name none --------------------------------------

SILENT = [
    "oliver006/redis_exporter:v1.62.0",
    "ghcr.io/oliver006/redis_exporter:v1.86.0",
    "quay.io/oliver006/redis_exporter:v1.43.0",
    "bitnami/redis-exporter:1.76.0-debian-12-r0",
    "bitnamilegacy/redis-exporter:1.76.0",
    "quay.io/opstree/redis-exporter:v1.44.0",
    "quay.io/opstree/redis-operator:v0.18.0",
    "quay.io/opstree/redis-operator-backup:latest",
    "quay.io/opstree/redis-operator-restore:latest",
    "quay.io/spotahome/redis-operator:v1.2.4",
    "spotahome/redis-operator:latest",
    "leominov/redis_sentinel_exporter:1.3.0",
    "rediscommander/redis-commander:latest",
    "redis/redisinsight:2.58",
    "redislabs/redisinsight:1.14.0",
    "bitnami/memcached-exporter:0.15.0",
    "prom/memcached-exporter:v0.14.0",
    "acme/redis-cluster-proxy:1",
    "corp/valkey-admin-ui:2",
    "bitnami/kubectl:1.30",
    "haproxy:2.9",
    "ecr-public.aws.com/docker/library/haproxy:3.0.5-alpine",
    "envoyproxy/envoy:v1.31.0",
    "nginx:1.27",
    "postgres:16",
    "redisson/app:3",
    "acme/predis-worker:1",
    "acme/myredis:1",
    "redis-registry.corp.example/team/app:1",
]


@pytest.mark.parametrize("image", SILENT)
def test_images_that_run_no_engine_stay_silent(image: str) -> None:
    assert found(image) is None


def test_an_unknown_tag_leaves_any_engine_image_unresolved() -> None:
    why = "variable ${TAG} has no value"
    mirrored = component_for_image("harbor.corp/proxy/bitnami/redis", WHERE, unknown_tag=why)
    assert mirrored is not None
    assert (mirrored.engine, mirrored.version, mirrored.unresolved) == ("redis", None, why)
    unknown = component_for_image("corp/redis-hardened", WHERE, unknown_tag=why)
    assert unknown is not None and unknown.version is None
    assert unknown.unresolved is not None and unknown.unresolved.startswith("unrecognised image")
    assert component_for_image("oliver006/redis_exporter", WHERE, unknown_tag=why) is None


def test_templates_and_variables_are_not_images() -> None:
    assert found("{{ .Values.image }}") is None
    assert found("${REGISTRY}/redis:7") is None


# --- property tests -----------------------------------------------------------------------

_label = st.from_regex(r"\A[a-z][a-z0-9]{1,7}\Z")
_host = st.one_of(
    st.builds(lambda a, b: f"{a}.{b}.example", _label, _label),
    st.builds(lambda a, p: f"{a}.corp:{p}", _label, st.integers(1, 65535)),
)
_prefix = st.lists(_label, max_size=3)
_release = st.builds(
    lambda a, b, c, suffix: f"{a}.{b}.{c}{suffix}",
    st.integers(0, 12),
    st.integers(0, 12),
    st.integers(0, 30),
    st.sampled_from(["", "-alpine", "-bookworm", "-debian-12-r3", "-alpine3.20"]),
)


def _server_paths() -> list[tuple[str, ImageEntry]]:
    """Each catalogued server image as the path a mirror would serve it under."""
    out = []
    for entry in entries("server"):
        ref = parse_image(entry.image)
        assert ref is not None
        out.append((ref.path, entry))
    return out


SERVER_PATHS = _server_paths()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SERVER_PATHS), _host, _prefix, _release)
def test_mirror_of_any_catalogued_path_gives_the_same_version(
    item: tuple[str, ImageEntry], host: str, prefix: list[str], tag: str
) -> None:
    path, entry = item
    bare = found(f"{entry.image}:{tag}")
    mirrored = found("/".join([host, *prefix, path]) + f":{tag}")
    assert bare is not None and mirrored is not None
    assert (mirrored.engine, mirrored.version, mirrored.floating, mirrored.unresolved) == (
        bare.engine,
        bare.version,
        bare.floating,
        bare.unresolved,
    )
    if catalog().engines[entry.engine].build_suffix is None:
        assert mirrored.version is not None  # Redis Stack also wants a build (-v3)
    assert any(n.startswith(f"pulled through {'/'.join([host, *prefix])},") for n in mirrored.notes)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(entries("related")), _host, _prefix, _release)
def test_non_server_images_stay_silent_on_any_registry(
    entry: ImageEntry, host: str, prefix: list[str], tag: str
) -> None:
    ref = parse_image(entry.image)
    assert ref is not None
    assert found(f"{entry.image}:{tag}") is None
    assert found("/".join([host, *prefix, ref.path]) + f":{tag}") is None


_ENGINE_WORDS = ["redis", "valkey", "dragonfly", "keydb", "kvrocks", "memcached", "garnet"]
_engine_word = st.sampled_from(_ENGINE_WORDS)
_role = st.sampled_from(sorted(NON_SERVER_WORDS))
_sep = st.sampled_from(["-", "_", "."])
_account = _label.map(lambda s: f"acme{s}")  # never a catalogued namespace


def _plain(word: str) -> bool:
    """A random word that names no engine, alias or non-server role."""
    names = {
        w for e in catalog().engines.values() for n in (e.id, *e.aliases) for w in n.split("-")
    }
    return word not in names and word not in NON_SERVER_WORDS and word != "library"


_other = _label.filter(_plain)


@settings(max_examples=200, deadline=None)
@given(_account, _engine_word, _role, _sep, st.one_of(st.none(), _host), _release)
def test_engine_named_role_images_stay_silent(
    account: str, word: str, role: str, sep: str, host: str | None, tag: str
) -> None:
    for name in (f"{word}{sep}{role}", f"{role}{sep}{word}"):
        text = "/".join(filter(None, [host, account, name])) + f":{tag}"
        assert found(text) is None, text


@settings(max_examples=200, deadline=None)
@given(st.lists(_other, min_size=1, max_size=3), st.one_of(st.none(), _host), _release)
def test_images_naming_no_engine_stay_silent(words: list[str], host: str | None, tag: str) -> None:
    text = "/".join(filter(None, [host, "-".join(words), "app"])) + f":{tag}"
    assert found(text) is None, text


@settings(max_examples=200, deadline=None)
@given(_account, st.sampled_from(["redis", "memcached"]), st.one_of(_release, _label))
def test_docker_hub_accounts_official_names_are_third_party_builds(
    account: str, name: str, tag: str
) -> None:
    component = found(f"{account}/{name}:{tag}")
    assert component is not None
    assert (component.engine, component.version) == (name, None)
    assert component.unresolved is not None and "third-party build" in component.unresolved


@settings(max_examples=200, deadline=None)
@given(_account, _engine_word, _other, _sep, st.booleans(), st.one_of(st.none(), _host), _release)
def test_unrecognised_engine_images_are_reviewed_never_versioned(
    account: str, word: str, other: str, sep: str, before: bool, host: str | None, tag: str
) -> None:
    name = f"{other}{sep}{word}" if before else f"{word}{sep}{other}"
    text = "/".join(filter(None, [host, account, name])) + f":{tag}"
    component = found(text)
    assert component is not None, text
    assert component.version is None
    assert component.unresolved is not None
    assert component.unresolved.startswith("unrecognised image that appears to run")


@settings(max_examples=100, deadline=None)
@given(_engine_word, _other, st.one_of(st.none(), _host))
def test_an_engine_inside_a_word_is_no_engine(word: str, other: str, host: str | None) -> None:
    """``redisson``, ``myredis``: the engine must be a whole word of the path."""
    names = {
        w for e in catalog().engines.values() for n in (e.id, *e.aliases) for w in n.split("-")
    }
    for name in (f"{word}{other}", f"{other}{word}"):
        assume(name not in names)  # redis + json is RedisJSON's alias, a word of its own
        text = "/".join(filter(None, [host, "acme", name])) + ":1.0"
        assert found(text) is None, text


# --- declared registries ---------------------------------------------------------------------


@pytest.fixture
def declared() -> Iterator[None]:
    registries = Registries(
        mirrors=(Mirror("artifactory.corp.example/dockerhub", "docker.io", 12),),
        images=(
            DeclaredImage("corp/cache", "redis", "release", None, 15),
            DeclaredImage("corp/redis-hardened", "redis", "image", None, 16),
            DeclaredImage("registry.corp.example/team/kv", "valkey", "line", None, 17),
            DeclaredImage("corp/redis-backup", None, "image", None, 18),
        ),
        source="policy.yaml",
    )
    with images.using(registries):
        yield


@pytest.mark.usefixtures("declared")
def test_declared_in_house_image_reads_its_tag_as_the_engine_release() -> None:
    component = found("registry.corp.example/corp/cache:7.4.0")
    assert component is not None
    assert (component.engine, component.version, component.unresolved) == ("redis", "7.4.0", None)
    assert component.notes[0] == (
        "declared as an image of Redis in the policy's registries.images "
        "(corp/cache; policy.yaml, line 15)"
    )


@pytest.mark.usefixtures("declared")
def test_declared_image_with_its_own_tag_is_reviewed() -> None:
    component = found("corp/redis-hardened:1.2")
    assert component is not None
    assert (component.engine, component.version) == ("redis", None)
    assert component.unresolved is not None and "its own version" in component.unresolved


@pytest.mark.usefixtures("declared")
def test_declared_registry_matches_only_that_registry() -> None:
    line = found("registry.corp.example/team/kv:8.1.3")
    assert line is not None and (line.engine, line.version, line.floating) == (
        "valkey",
        "8.1",
        True,
    )
    assert found("other.corp.example/team/kv:8.1.3") is None


@pytest.mark.usefixtures("declared")
def test_declared_non_server_image_is_silent() -> None:
    assert found("corp/redis-backup:3") is None


@pytest.mark.usefixtures("declared")
def test_declared_mirror_reads_official_names() -> None:
    component = found("artifactory.corp.example/dockerhub/redis:7.2.5")
    assert component is not None
    assert (component.engine, component.version, component.unresolved) == ("redis", "7.2.5", None)
    assert any("a mirror of Docker Hub declared in the policy" in n for n in component.notes)
    third = found("artifactory.corp.example/dockerhub/shubham192001/redis:2.0")
    assert third is not None and third.version is None
    assert third.unresolved is not None and "third-party build" in third.unresolved


def test_declarations_end_with_their_scope() -> None:
    with images.using(Registries(images=(DeclaredImage("corp/cache", "redis", "release"),))):
        assert found("corp/cache:7.4.0") is not None
        assert images.DECLARED_WORDS == (b"cache",)
    assert found("corp/cache:7.4.0") is None
    assert images.DECLARED_WORDS == ()
    assert not images.configured()


def test_a_digest_pinned_tag_is_pinned_and_says_the_digest_decides() -> None:
    digest = "sha256:" + "0123456789abcdef" * 4
    where = Location("compose.yaml", 3)
    exact = component_for_image(f"redis:7.2.4@{digest}", where)
    assert exact is not None and exact.version == "7.2.4" and not exact.floating
    assert any("the digest, not the tag, decides what runs" in n for n in exact.notes)
    line = component_for_image(f"redis:7.2@{digest}", where)
    assert line is not None and line.version == "7.2"
    assert any("trusted to name what the digest holds" in n for n in line.notes)
    bare = component_for_image(f"redis@{digest}", where)
    assert bare is not None and bare.version is None and bare.unresolved
