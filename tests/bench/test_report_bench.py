"""The monthly report benchmark at small size: it reads the month through the ``by_month`` index and each
ticket's timeline, never a Scan and nothing of the months around it."""

import pytest

from bench.report import ITEMS_PER_TICKET, run


@pytest.fixture(scope="module")
def small():
    return run(60, 20)


def test_the_report_reads_its_month_by_the_index_and_never_scans(small):
    assert small.problems == []
    assert "Scan" not in small.calls
    assert small.report.tickets == 60, "every ticket of the month, none of February or April"
    assert small.items_read <= ITEMS_PER_TICKET * 60


def test_the_report_reads_about_one_index_entry_and_one_timeline_per_ticket(small):
    # Two month partitions (the Shanghai month spans two UTC months) plus one timeline Query a ticket.
    assert small.calls["Query"] <= 60 + 2 * 2  # a partition may take a second page
    month_items_written = small.items_in_table - 20 * 2  # other months' tickets: ticket + first event
    assert small.items_read <= month_items_written
