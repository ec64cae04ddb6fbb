"""A search row says how the ticket stands against its deadlines from the SLA at a glance its item
carries, and the overdue filter asks the same: neither reads a ticket's timeline."""

from datetime import timedelta

import pytest

from chalicelib.adapters.memory_search import MemoryTicketSearch
from chalicelib.adapters.signed_links import JwtLinkSigner
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.search import SearchQuery
from chalicelib.domain.sla_projection import SlaState
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Priority
from chalicelib.services.search import SearchService
from tests.fakes import fake_world, valid_report

# Someone in the office, who finds every ticket.
OFFICE = StaffUser(username="desk", roles=frozenset({StaffRole.DESK}))


@pytest.fixture
def world():
    return fake_world()


def searching(world):
    return SearchService(
        MemoryTicketSearch(world.tickets),
        world.tickets,
        world.services.sla,
        JwtLinkSigner("cursor-secret-for-the-search-tests-0123456789"),
        world.clock,
    )


def report(world, phone: str) -> str:
    form = ServiceRequestInput.model_validate(valid_report(phone=phone))
    return world.services.intake.submit(form, language="zh-CN").number


def no_timeline_reads(world, monkeypatch):
    def refused(number):
        raise AssertionError(f"the timeline of {number} was read")

    monkeypatch.setattr(world.tickets, "events", refused)
    monkeypatch.setattr(world.tickets, "history", refused, raising=False)


def test_each_row_shows_its_sla_state_from_the_ticket_alone(world, monkeypatch):
    late = report(world, "13800138001")
    world.services.desk.classify(late, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    world.clock.advance(timedelta(minutes=50))
    fresh = report(world, "13800138002")
    world.clock.advance(timedelta(minutes=20))  # the first: its hour to contact the reporter is gone
    no_timeline_reads(world, monkeypatch)

    rows = {row.ticket.number: row for row in searching(world).search(SearchQuery(status="new"), reader=OFFICE).rows}
    rows |= {row.ticket.number: row for row in searching(world).search(SearchQuery(status="triaged"), reader=OFFICE).rows}
    assert rows[late].state == SlaState.BREACHED and rows[late].overdue is True
    assert rows[fresh].state in (SlaState.ON_TIME, SlaState.AT_RISK) and rows[fresh].overdue is False


def test_the_overdue_filter_keeps_only_open_tickets_with_a_missed_deadline_without_reading_timelines(
    world, monkeypatch
):
    late = report(world, "13800138001")
    world.clock.advance(timedelta(minutes=50))
    report(world, "13800138002")
    world.clock.advance(timedelta(minutes=20))
    no_timeline_reads(world, monkeypatch)

    page = searching(world).search(SearchQuery(province="CN-JS", overdue=True), reader=OFFICE)
    assert [(row.ticket.number, row.state) for row in page.rows] == [(late, SlaState.BREACHED)]
