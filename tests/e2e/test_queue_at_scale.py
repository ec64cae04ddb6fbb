"""The supervisor's queue with 10,000 open tickets opens in the browser within Playwright's usual
timeouts: its first page shows 50 open tickets, the most urgent first, and its link to the next page
opens the next 50. The queue reads one page through its index, never every open ticket.

The stack is one of its own, so the 10,000 tickets stay out of the shared stack's reports, searches and
queues. It is filled as ``bench.sweep`` fills a table: a few tickets are opened and classified through
the app itself, and their items, read back from the stand-in's table, are copied under new numbers
(``bench.sweep.clone``) and written with ``BatchWriteItem``.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from bench.sweep import boto3_writer, clone
from chalicelib.adapters import aws, keys
from chalicelib.adapters.dynamodb_items import to_item
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import OPEN_STATUSES, Priority, format_ticket_number
from chalicelib.settings import get_settings
from tests.e2e.stack import LocalStack
from tests.e2e.test_supervisor_browser import customer_reports

pytestmark = pytest.mark.e2e

OPEN_TICKETS = 10_000
PAGE = 50
# The queue's own numbers come from this year's counter; the copies take numbers of a year it never
# hands out, so a later report still gets a free number.
COPIES_YEAR = 2019
OPEN_STATUS_VALUES = {status.value for status in OPEN_STATUSES}


@pytest.fixture
def local_stack(start_private_stack) -> LocalStack:
    """A stack of its own: 10,000 open tickets would crowd every other test's queue and counts."""
    return start_private_stack()


def stored_ticket(number: str) -> list[dict[str, Any]]:
    """The ticket's own item, as the table holds it: the queue's index is on it, and a row is read from it
    alone. Its timeline, search entries and messages still to be sent stay with the original: copying
    the timeline too made the fill 45 s instead of 10, and copied messages would text the same customer
    thousands of times."""
    found = aws.client("dynamodb").get_item(
        TableName=get_settings().table_name,
        Key=to_item(pk=keys.ticket_pk(number), sk=keys.TICKET_SK),
        ConsistentRead=True,
    )
    return [found["Item"]]


def fill(originals: list[str]) -> None:
    settings = get_settings()
    write = boto3_writer(settings.table_name)
    profiles = [(number, stored_ticket(number)) for number in originals]
    batch: list[dict[str, Any]] = []
    for sequence in range(1, OPEN_TICKETS - len(originals) + 1):
        number, items = profiles[sequence % len(profiles)]
        batch.extend(clone(items, number, format_ticket_number(COPIES_YEAR, sequence), settings.due_shards))
    write(batch)


def test_the_queue_of_ten_thousand_open_tickets_opens_page_by_page(local_stack: LocalStack, desk, browser) -> None:
    critical, general, unclassified = (customer_reports(local_stack, f"大客户 {k}") for k in range(3))
    desk.classify(critical, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    desk.classify(general, actor=SystemActor("supervisor"), priority=Priority.GENERAL)
    started = time.perf_counter()
    fill([critical, general, unclassified])
    print(f"\nfilled {OPEN_TICKETS:,} open tickets in {time.perf_counter() - started:.1f} s")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(local_stack.app_url + "/staff/sign-in")
    page.fill("#username", "supervisor")
    page.fill("#password", "Demo-pass-123")
    page.click("#sign-in-button")
    page.wait_for_url(re.compile(r"/staff$"))

    started = time.perf_counter()
    page.goto(local_stack.app_url + "/staff/queue")
    rows = page.locator("#queue tbody tr")
    rows.first.wait_for()
    print(f"first page of the queue in {time.perf_counter() - started:.2f} s")
    first = rows.evaluate_all("rows => rows.map(r => [r.dataset.number, r.dataset.status, r.cells[3].innerText])")
    assert len(first) == PAGE
    assert {status for _, status, _ in first} <= OPEN_STATUS_VALUES
    # The critical job's response is due first, so its copies lead the queue.
    assert {priority for _, _, priority in first} == {"A 特急"}

    page.click("#queue-more")
    page.wait_for_url(re.compile(r"after="))
    second = rows.evaluate_all("rows => rows.map(r => [r.dataset.number, r.dataset.status])")
    assert len(second) == PAGE
    assert {status for _, status in second} <= OPEN_STATUS_VALUES
    assert not {number for number, _ in second} & {number for number, _, _ in first}
    assert page.locator("#queue-more").count() == 1
    context.close()
