"""Source discovery: every source is found, in folders too, in the order the walker asks them."""

from __future__ import annotations

from policycheck.sources import all_sources

#: The walker asks sources in this order (priority, then name): CI before compose and
#: Kubernetes, which must never parse CI files; Helm values before Kubernetes; shell
#: scripts last. Each is found in its module, inside its kind's folder where it has one.
KNOWN_ORDER = [
    ("ci", "policycheck.sources.ci.source"),
    ("cyclonedx", "policycheck.sources.cyclonedx"),
    ("spdx", "policycheck.sources.spdx.source"),
    ("compose", "policycheck.sources.compose"),
    ("dockerfile", "policycheck.sources.builds.dockerfile"),
    ("redis-conf", "policycheck.sources.redisconf"),
    ("terraform", "policycheck.sources.terraform.source"),
    ("tool-pins", "policycheck.sources.toolpins"),
    ("helm", "policycheck.sources.helm.values"),
    ("helm-chart", "policycheck.sources.helm.dependencies"),
    ("kubernetes", "policycheck.sources.kubernetes"),
    ("shell", "policycheck.sources.builds.scripts"),
]


def test_every_source_is_found_once_in_its_order() -> None:
    found = [(s.name, type(s).__module__) for s in all_sources()]
    assert len({name for name, _ in found}) == len(found), found
    # A kind added later may sit anywhere; the known ones keep their order.
    assert [entry for entry in found if entry in KNOWN_ORDER] == KNOWN_ORDER


def test_sources_are_ordered_by_priority_then_name() -> None:
    keys = [(s.priority, s.name) for s in all_sources()]
    assert keys == sorted(keys)
