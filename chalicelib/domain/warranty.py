"""Warranty arithmetic: is an installed product still under the contract warranty on a given day?

The warranty runs from the final acceptance date (终验收) or, when there was none, the delivery date,
for a whole number of months (000 §4.3.1: free inside the contract warranty, paid outside it).

"N months from day D" ends the day before the same day N months later; when that day does not exist
(a month from 31 January), the period runs to the end of the shorter month. So a 12-month warranty
accepted on 15 March 2025 covers up to and including 14 March 2026, and one month from 31 January
covers all of February.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class WarrantyStatus(StrEnum):
    IN_WARRANTY = "in"
    OUT_OF_WARRANTY = "out"
    UNKNOWN = "unknown"  # no delivery or acceptance date on record


class Warranty(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: WarrantyStatus
    starts: date | None = None
    until: date | None = None  # the last day covered, inclusive


def months_later(start: date, months: int) -> date:
    """The first day no longer covered by ``months`` months from ``start``.

    A day that does not exist in the target month rolls over to the 1st of the next month, so the
    period always covers whole calendar months (31 Jan + 1 month -> 1 Mar, i.e. all of February).
    """
    if months < 0:
        raise ValueError("months cannot be negative")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    if start.day <= last_day:
        return date(year, month, start.day)
    return date(year, month, last_day) + timedelta(days=1)


def last_covered_day(start: date, months: int) -> date:
    return months_later(start, months) - timedelta(days=1)


def warranty_on(
    today: date, *, delivery_date: date | None, acceptance_date: date | None, months: int
) -> Warranty:
    """The warranty as it stands on ``today`` (a date in the company's time zone)."""
    starts = acceptance_date or delivery_date
    if starts is None:
        return Warranty(status=WarrantyStatus.UNKNOWN)
    until = last_covered_day(starts, months)
    # Before the start (a date typed ahead) nothing has run out yet: still covered.
    status = WarrantyStatus.IN_WARRANTY if today <= until else WarrantyStatus.OUT_OF_WARRANTY
    return Warranty(status=status, starts=starts, until=until)
