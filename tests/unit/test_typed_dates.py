"""Dates are typed into text fields (a browser draws date inputs in its own locale, whatever the page's
language): the usual ways of writing a day, and a time, are read; anything else is left for the form's
own check to refuse in the page's language."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.web.forms import typed_date, typed_datetime


@pytest.mark.parametrize(
    "typed",
    ["2026-12-08", "2026/12/8", "2026.12.08", "2026年12月8日", "20261208", "２０２６－１２－０８", " 2026 / 12 / 8 "],
)
def test_a_day_written_any_usual_way_is_read(typed):
    assert typed_date(typed) == "2026-12-08"


@pytest.mark.parametrize("typed", ["", "next week", "12/08/2026", "2026-12", "2026120"])
def test_anything_else_is_left_as_typed(typed):
    assert typed_date(typed) == typed


@pytest.mark.parametrize("typed", ["2026-12-08T09:30", "2026-12-08 9:30", "2026/12/8 09:30", "2026年12月8日 9时30分"])
def test_a_day_and_a_time_are_read(typed):
    assert typed_datetime(typed) == "2026-12-08T09:30"


@pytest.mark.parametrize("typed", ["2026-12-08", "9:30", "tomorrow 9:30"])
def test_a_moment_without_its_day_or_time_is_left_as_typed(typed):
    assert typed_datetime(typed) == typed


@given(
    day=st.dates(min_value=date(1000, 1, 1)),
    way=st.sampled_from(["{y}-{m}-{d}", "{y}/{m}/{d}", "{y}.{m}.{d}", "{y}年{m}月{d}日", "{y}{m:02d}{d:02d}"]),
)
def test_every_day_written_every_usual_way_reads_back_as_itself(day, way):
    assert typed_date(way.format(y=day.year, m=day.month, d=day.day)) == day.isoformat()
