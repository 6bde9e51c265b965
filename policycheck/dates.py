"""Dates as people type them: exactly YYYY-MM-DD, with the reason when it is no date.

``datetime.date.fromisoformat`` also takes ``20261201`` and week dates, and says only
"invalid"; a judgement date in a sign-off report must be unambiguous and a wrong one
must say what is wrong with it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_SHAPE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_day(text: str) -> dt.date:
    """``text`` as a date; ValueError with the reason when it is not exactly a real
    YYYY-MM-DD date (``2026-13-01: month 13 does not exist``)."""
    m = _SHAPE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2026-03-01")
    year, month, day = (int(g) for g in m.groups())
    if year < 1:
        raise ValueError(f"{text}: year {year} does not exist")
    if not 1 <= month <= 12:
        raise ValueError(f"{text}: month {month} does not exist")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ValueError(
            f"{text}: {calendar.month_name[month]} {year} has {last} days, not {day}"
            if day
            else f"{text}: day 0 does not exist"
        )
    return dt.date(year, month, day)
