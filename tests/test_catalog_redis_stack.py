"""Redis Stack and its modules: every license era, checked at its boundary versions."""

from __future__ import annotations

import pytest
from license_expression import get_spdx_licensing

from policycheck.catalog import catalog
from policycheck.images import component_for_image
from policycheck.model import Location
from policycheck.versions import parse_version

RSAL1 = "LicenseRef-scancode-redis-source-available-1.0"
DUAL = "LicenseRef-scancode-rsalv2 OR SSPL-1.0"
TRI = "LicenseRef-scancode-rsalv2 OR SSPL-1.0 OR AGPL-3.0-only"
CC = "Apache-2.0 WITH LicenseRef-scancode-commons-clause"
AGPL = "AGPL-3.0-only"

BOUNDARIES = [
    # RediSearch: AGPL -> Commons Clause -> RSALv1 -> dual -> tri
    ("redisearch", "1.2.0", AGPL),
    ("redisearch", "1.3.0-beta1", CC),
    ("redisearch", "1.4.3", CC),
    ("redisearch", "1.4.4", RSAL1),
    ("redisearch", "2.6.1", RSAL1),
    ("redisearch", "2.4.17", RSAL1),
    ("redisearch", "2.6.2", DUAL),
    ("redisearch", "2.10.32", DUAL),
    ("redisearch", "7.99.91", DUAL),
    ("redisearch", "8.0.0", TRI),
    # RedisJSON: only 1.0.3 is Commons Clause
    ("redisjson", "1.0.2", AGPL),
    ("redisjson", "1.0.3", CC),
    ("redisjson", "1.0.4", RSAL1),
    ("redisjson", "2.4.0", RSAL1),
    ("redisjson", "2.4.1", DUAL),
    ("redisjson", "7.99.90", DUAL),
    ("redisjson", "8.0.0", TRI),
    # RedisTimeSeries: the 0.1.0 pre-release is Commons Clause, 0.1.0 is RSALv1
    ("redistimeseries", "0.1.0-alpha1", CC),
    ("redistimeseries", "0.1.0", RSAL1),
    ("redistimeseries", "1.6.19", RSAL1),
    ("redistimeseries", "1.8.2", RSAL1),
    ("redistimeseries", "1.8.3", DUAL),
    ("redistimeseries", "1.12.14", DUAL),
    ("redistimeseries", "8.0.0", TRI),
    # RedisBloom: AGPL straight to RSALv1
    ("redisbloom", "1.1.0", AGPL),
    ("redisbloom", "1.1.1", RSAL1),
    ("redisbloom", "2.2.19", RSAL1),
    ("redisbloom", "2.4.2", RSAL1),
    ("redisbloom", "2.4.3", DUAL),
    ("redisbloom", "2.8.20", DUAL),
    ("redisbloom", "8.0.0", TRI),
    # Redis Stack: the AND of server and modules, by Stack line
    ("redis-stack", "6.2.4", f"BSD-3-Clause AND {RSAL1}"),
    ("redis-stack", "6.2.6-rc1", f"BSD-3-Clause AND {RSAL1}"),
    ("redis-stack", "6.2.6", f"BSD-3-Clause AND ({DUAL})"),
    ("redis-stack", "7.0.6-rc1", f"BSD-3-Clause AND {RSAL1}"),
    ("redis-stack", "7.0.6-rc2", f"BSD-3-Clause AND ({DUAL})"),
    ("redis-stack", "7.2.0", f"BSD-3-Clause AND ({DUAL})"),
    ("redis-stack", "7.4.0", DUAL),
]


@pytest.mark.parametrize(("engine_id", "version", "expected"), BOUNDARIES)
def test_boundary_versions_fall_in_the_right_era(
    engine_id: str, version: str, expected: str
) -> None:
    v = parse_version(version)
    assert v is not None
    found = catalog().engines[engine_id].range_for(v)
    assert found is not None
    assert found.license == expected


@pytest.mark.parametrize(
    "engine_id", ["redis-stack", "redisearch", "redisjson", "redistimeseries", "redisbloom"]
)
def test_every_license_is_a_valid_spdx_expression(engine_id: str) -> None:
    licensing = get_spdx_licensing()
    for r in catalog().engines[engine_id].ranges:
        assert licensing.validate(r.license).errors == [], r.license


def test_kinds_and_steward() -> None:
    engines = catalog().engines
    assert engines["redis-stack"].kind == "distribution"
    for module in ("redisearch", "redisjson", "redistimeseries", "redisbloom"):
        assert engines[module].kind == "module"
        assert engines[module].protocol == "resp"
        assert engines[module].governance.steward == "Redis Ltd."
        assert engines[module].governance.model == "single-vendor"


def test_only_stack_ranges_with_unchecked_modules_are_unverified() -> None:
    stack = catalog().engines["redis-stack"]
    unverified = {r.versions.text for r in stack.ranges if not r.verified_at_tags}
    assert unverified == {">=7.0.6-rc2,<7.3.0", ">=7.3.0"}


def test_internal_test_tags_carry_a_release_note() -> None:
    search = catalog().engines["redisearch"]
    v = parse_version("3.2.1")
    assert v is not None
    assert search.range_for(v) is not None
    assert any("tri-license" in n.note for n in search.notes_for(v))
    nine = parse_version("99.99.98")
    assert nine is not None
    assert search.notes_for(nine)


def test_aliases_resolve() -> None:
    assert catalog().get("rejson") is catalog().engines["redisjson"]
    assert catalog().get("redis-stack-server") is catalog().engines["redis-stack"]


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("redis/redis-stack-server:7.4.0-v3", "7.4.0"),
        ("docker.io/redis/redis-stack:7.2.0-v15", "7.2.0"),
        ("redis/redis-stack-server:6.2.6-v20", "6.2.6"),
    ],
)
def test_stack_images_map_to_the_stack_line(image: str, version: str) -> None:
    c = component_for_image(image, Location("compose.yml", 3))
    assert c is not None
    assert c.engine == "redis-stack"
    assert c.version == version
    assert not c.floating
