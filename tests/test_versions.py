"""Version parsing and ranges: the boundaries that decide license eras."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from policycheck.versions import VersionRange, line_interval, parse_version


def test_tag_forms_parse_as_versions() -> None:
    assert parse_version("v1.25.0") == Version("1.25.0")
    assert parse_version("7.4-rc1") == Version("7.4rc1")
    assert parse_version("8.0-m01") == Version("8.0a1")
    assert parse_version("8.0-rc1-int") == Version("8.0rc1")
    assert parse_version("1.6.0-alpha20230816") == Version("1.6.0a20230816")


def test_non_versions_are_rejected() -> None:
    for text in ("e2e", "latest", "", "v", "alpine", "main"):
        assert parse_version(text) is None


def test_versions_compare_numerically() -> None:
    assert parse_version("2.10.1") > parse_version("2.1.0")  # type: ignore[operator]


def test_prerelease_of_next_major_stays_in_previous_era() -> None:
    dual = VersionRange.parse(">=7.3.0,<8.0.0")
    assert dual.contains(Version("8.0rc1"))
    assert dual.contains(Version("8.0a1"))
    assert dual.contains(Version("7.4rc1"))
    assert not dual.contains(Version("8.0.0"))
    assert not dual.contains(Version("7.2.14"))


def test_line_interval_and_coverage() -> None:
    assert line_interval("7.2") == (Version("7.2"), Version("7.3"))
    assert line_interval("8") == (Version("8"), Version("9"))
    assert line_interval("7.2.4") is None
    assert VersionRange.parse("<7.3.0").covers_interval(*line_interval("7.2"))  # type: ignore[misc]
    assert not VersionRange.parse("<7.3.0").covers_interval(*line_interval("7"))  # type: ignore[misc]
    assert VersionRange.parse(">=8.0.0").covers_interval(*line_interval("8"))  # type: ignore[misc]


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=4))
def test_any_dotted_number_round_trips(parts: list[int]) -> None:
    text = ".".join(map(str, parts))
    assert parse_version(text) == Version(text)
    assert parse_version("v" + text) == Version(text)


@given(
    st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)),
    st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)),
)
def test_half_open_range_partitions(low: tuple[int, int, int], v: tuple[int, int, int]) -> None:
    """A version is in exactly one of <X and >=X: eras never overlap or leave gaps."""
    bound = ".".join(map(str, low))
    below, above = VersionRange.parse(f"<{bound}"), VersionRange.parse(f">={bound}")
    version = Version(".".join(map(str, v)))
    assert below.contains(version) != above.contains(version)
