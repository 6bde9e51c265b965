"""BUSL parameter parser: table tests and hypothesis properties (layout never changes values)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.identify.busl import (
    _BLOCK_END,
    anniversary_years,
    change_license_id,
    parse_busl,
    parse_date,
)
from policycheck.identify.match import fingerprints

LABELS = {
    "licensor": "Licensor",
    "licensed_work": "Licensed Work",
    "additional_use_grant": "Additional Use Grant",
    "change_date": "Change Date",
    "change_license": "Change License",
}

#: Words a parameter value is made of: never a label followed by a colon, and never a word
#: that alone on a line is a heading ending the block ("Terms", "Notice", a rule of dashes),
#: which no layout can tell from a wrapped value.
WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,()'&-",
    min_size=1,
    max_size=12,
).filter(lambda w: not _BLOCK_END.match(w))
VALUE = st.lists(WORD, min_size=1, max_size=20).map(" ".join)
STYLE = st.sampled_from(["{}", "<u>{}</u>", "**{}**", "__{}__"])


@st.composite
def parameter_blocks(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A parameters block in any order, label style, padding and line wrapping."""
    keys = draw(st.permutations(list(LABELS)))
    values = {k: draw(VALUE) for k in keys if k not in ("change_date", "change_license")}
    values["change_date"] = "2029-02-28"
    values["change_license"] = "MPL 2.0"
    lines = ["Business Source License 1.1", "", "Parameters", ""]
    for key in keys:
        label = draw(STYLE).format(LABELS[key])
        pad = " " * draw(st.integers(0, 12))
        words = values[key].split(" ")
        cut = draw(st.integers(1, len(words)))
        lines.append(f"{label}:{pad} {' '.join(words[:cut])}".rstrip())
        rest = words[cut:]
        while rest:  # continuation lines, indented or not
            take = draw(st.integers(1, len(rest)))
            indent = " " * draw(st.integers(0, 22))
            lines.append(indent + " ".join(rest[:take]))
            rest = rest[take:]
        if draw(st.booleans()):
            lines.append("")
        lines[-1] += draw(st.sampled_from(["", " ", "\t"]))
    lines += ["", "Terms", "", "non-production use; the Change Date, or the fourth anniversary."]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines), values


@given(parameter_blocks())
def test_layout_never_changes_the_values(block: tuple[str, dict[str, str]]) -> None:
    text, values = block
    busl = parse_busl(text, fingerprints().change_licenses)
    assert busl.licensor == values["licensor"]
    assert busl.licensed_work == values["licensed_work"]
    assert busl.additional_use_grant == values["additional_use_grant"]
    assert busl.change_date == dt.date(2029, 2, 28)
    assert busl.change_license == "MPL-2.0"
    assert busl.anniversary_years == 4


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)), st.integers(0, 2))
def test_absolute_dates_in_every_written_form(day: dt.date, form: int) -> None:
    text = [day.isoformat(), f"{day:%B} {day.day}, {day.year}", f"{day.day} {day:%B} {day.year}"][
        form
    ]
    assert parse_date(text) == day


@pytest.mark.parametrize(
    "text",
    ["Four years from the date the Licensed Work is published.", "2029-02-30", "soon"],
)
def test_relative_or_impossible_dates_are_none(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("Effective on the Change Date, or the fourth anniversary of the first", 4),
        ("Effective on the Change Date, or the forth anniversary", 4),
        ("Effective on the Change Date,\n  or the fifth\n anniversary", 5),
        ("on the Change Date or the third anniversary", 3),
        ("no such sentence", None),
    ],
)
def test_anniversary(text: str, years: int | None) -> None:
    assert anniversary_years(text) == years


@pytest.mark.parametrize(
    ("wording", "spdx"),
    [
        ("MPL 2.0", "MPL-2.0"),
        ("Mozilla Public License, version 2.0", "MPL-2.0"),
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("Apache License, Version 2.0, as published by the Apache Foundation.", "Apache-2.0"),
        ("GNU General Public License v2.0 or later", "GPL-2.0-or-later"),
        ("GPL-2.0-or-later", "GPL-2.0-or-later"),
        ("Apache-2.0", "Apache-2.0"),
        ("Our own license", None),
    ],
)
def test_change_license_wordings(wording: str, spdx: str | None) -> None:
    assert change_license_id(wording, fingerprints().change_licenses) == spdx


def test_a_missing_parameter_is_none_and_the_default_anniversary_applies() -> None:
    busl = parse_busl("Business Source License 1.1\n\nLicensor: Example\n\nTerms\n", {})
    assert (busl.licensor, busl.change_date, busl.change_license) == ("Example", None, None)
    assert busl.anniversary_years == 4 and not busl.anniversary_stated


def test_a_value_line_that_starts_with_a_heading_word_is_still_the_value() -> None:
    text = (
        "Additional Use Grant: You may use it.\n  Terms of the grant apply to hosting.\n\nTerms\n"
    )
    busl = parse_busl(text, {})
    assert busl.additional_use_grant == "You may use it. Terms of the grant apply to hosting."
