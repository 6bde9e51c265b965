"""Exact YYYY-MM-DD dates with the reason a date does not exist, and did-you-mean."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.dates import parse_day
from policycheck.suggest import closest, did_you_mean


@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_every_real_day_reads_back(day: dt.date) -> None:
    assert parse_day(day.isoformat()) == day


@given(st.integers(1, 9999), st.integers(0, 99), st.integers(0, 99))
def test_a_well_formed_day_that_does_not_exist_says_why(year: int, month: int, day: int) -> None:
    text = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        expected = dt.date(year, month, day)
    except ValueError:
        with pytest.raises(ValueError) as err:
            parse_day(text)
        message = str(err.value)
        assert message.startswith(f"{text}: ")
        if not 1 <= month <= 12:
            assert f"month {month} does not exist" in message
        elif day:
            last = calendar.monthrange(year, month)[1]
            assert f"{calendar.month_name[month]} {year} has {last} days, not {day}" in message
    else:
        assert parse_day(text) == expected


@pytest.mark.parametrize(
    "text", ["20260201", "2026-2-1", "2026-W05-1", "2026-02-01T00:00", "", "tomorrow"]
)
def test_only_exactly_yyyy_mm_dd(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date; write YYYY-MM-DD"):
        parse_day(text)


@pytest.mark.parametrize(
    ("word", "known", "expected"),
    [
        ("rediss", ["redis", "valkey", "keydb"], "redis"),
        ("Valky", ["redis", "valkey"], "valkey"),
        ("MTI", ["MIT", "BSD-3-Clause"], "MIT"),
        ("postgres", ["redis", "valkey", "dragonfly"], None),
        ("", ["redis"], None),
    ],
)
def test_closest(word: str, known: list[str], expected: str | None) -> None:
    assert closest(word, known) == expected
    assert did_you_mean(word, known) == (f"; did you mean {expected}?" if expected else "")
