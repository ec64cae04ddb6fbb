"""The monthly report benchmark at small size: the build fans out into one part per day of the month,
each part reads its day through the ``by_month`` index and each ticket's timeline (never a Scan,
nothing of the months around it), and the assembled report is the report built in one go."""

import pytest

from bench.report import ITEMS_PER_TICKET, MONTH, run


@pytest.fixture(scope="module")
def small():
    return run(200, 40, compare=True)


def test_the_parts_are_the_days_of_the_month_and_their_tickets_add_up_to_it(small):
    assert small.problems == []
    days = MONTH.days()
    assert [(job.index, job.start, job.end) for job in small.jobs] == [(i, s, e) for i, (s, e) in enumerate(days)]
    assert small.jobs[0].start == MONTH.start() and small.jobs[-1].end == MONTH.end()
    assert all(earlier.end == later.start for earlier, later in zip(small.jobs, small.jobs[1:], strict=False))
    assert len({job.build_id for job in small.jobs}) == 1
    assert sum(part.tickets for part in small.parts) == small.report.tickets == 200
    assert small.build is not None and small.build.done == frozenset(range(len(days)))
    assert small.build.assembled_at is not None


def test_the_assembled_report_is_the_report_built_in_one_go(small):
    assembled, in_one_go = small.assembly.report, small.built_in_one_go
    assert assembled is not None and len(assembled.rows) == 200
    assert assembled == in_one_go, "merging the stored parts gives ReportService.build's report, rows and all"
    assert assembled == small.built_with_threads, "reading timelines on four threads changes nothing"
    # report.json keeps the figures; the rows are in the CSV and XLSX files written beside it.
    assert small.report == in_one_go.model_copy(update={"rows": ()})
    assert all(size > 0 for size in small.assembly.row_files.values()) and len(small.assembly.row_files) == 4


def test_each_part_reads_its_day_by_the_index_and_never_scans(small):
    assert "Scan" not in small.calls
    assert small.items_read <= ITEMS_PER_TICKET * 200
    # The parts read exactly the month's tickets (index entries) and their timelines: every item written
    # for the month, nothing of February or April (a ticket and its first event each).
    assert sum(part.calls.items for part in small.parts) == small.items_in_table - 40 * 2
    config_reads = []
    for part in small.parts:
        assert part.calls.timelines == part.tickets, "one timeline Query per ticket of the day"
        # The day's index pages (two month partitions for the 1st: it starts at 16:00 UTC the day
        # before), the operator's plans (the first part only), one timeline per ticket.
        config_reads.append(part.calls.calls["Query"] - part.calls.index_queries - part.tickets)
        assert part.calls.index_queries == (2 if part.index == 0 else 1)
        assert part.calls.calls["PutObject"] == 1 and part.calls.calls["UpdateItem"] == 1
    # The plans and the holiday schedules once per process (both are kept for five minutes).
    assert sorted(config_reads) == [0] * (len(small.parts) - 1) + [2]


def test_the_last_part_assembles_stores_and_emails_the_report(small):
    assembly = small.assembly
    assert assembly.sent == 1 and assembly.attached
    assert assembly.calls.calls["GetObject"] >= len(small.parts), "every stored part read back"
    assert assembly.report_bytes > 0 and assembly.email_bytes > 0
    assert "Query" not in assembly.calls.calls, "the assembly reads no ticket"


def test_the_moto_speedups_change_no_figure():
    plain, fast = run(40, 10, fast_moto=False), run(40, 10, fast_moto=True)

    assert plain.problems == fast.problems == []
    assert plain.report == fast.report
    assert (plain.items_in_table, plain.items_read, plain.calls) == (fast.items_in_table, fast.items_read, fast.calls)
    assert [(p.tickets, p.calls.items, p.calls.calls, p.stored_bytes) for p in plain.parts] == [
        (p.tickets, p.calls.items, p.calls.calls, p.stored_bytes) for p in fast.parts
    ]
