"""Parts requisitions (售后服务处理单) and loaners (002 §6.1) move only as their tables say."""

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain import loaners, parts
from chalicelib.domain.loaners import Condition, IllegalLoanerMove, LoanerError, LoanerState
from chalicelib.domain.parts import PARTS_MOVES, IllegalPartsMove, PartLine, PartsMove, PartsState, Shipment
from chalicelib.domain.sla import FACT_FOR_ACTION, FactKind
from chalicelib.domain.ticket import Action

AT = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)
TODAY = date(2026, 11, 27)


def requisition():
    return parts.raise_requisition((), [PartLine(part_number="VS1-12", name="真空断路器", quantity=1)], note="",
                                   actor="tech-wang", at=AT)


def test_a_requisition_goes_requested_reviewed_lead_time_shipped_received():
    r = requisition()
    assert (r.id, r.state) == ("R1", PartsState.REQUESTED)
    r = parts.review(r, approve=True, note="ok", actor="chief", at=AT)
    r = parts.feed_back_lead_time(r, expected_on=date(2026, 12, 3))
    r = parts.ship(r, Shipment(carrier="顺丰", tracking_number="SF123", shipped_on=date(2026, 12, 3)))
    r = parts.receive(r, on=date(2026, 12, 4), actor="tech-wang")
    assert r.state == PartsState.RECEIVED and not r.is_open


def test_every_step_missing_from_the_table_is_refused_by_name():
    for state in PartsState:
        for move in PartsMove:
            if (state, move) in PARTS_MOVES:
                continue
            r = requisition().model_copy(update={"state": state})
            with pytest.raises(IllegalPartsMove):
                parts._move(r, move)


def test_a_rejected_requisition_cannot_be_shipped():
    r = parts.review(requisition(), approve=False, note="库存件可替代", actor="chief", at=AT)
    with pytest.raises(IllegalPartsMove):
        parts.ship(r, Shipment(carrier="x", tracking_number="1", shipped_on=TODAY))


def test_parts_cannot_arrive_before_they_were_shipped():
    r = parts.review(requisition(), approve=True, note="", actor="chief", at=AT)
    r = parts.ship(r, Shipment(carrier="x", tracking_number="1", shipped_on=TODAY))
    with pytest.raises(parts.PartsError):
        parts.receive(r, on=date(2026, 11, 26), actor="t")


def test_a_loaner_is_issued_then_returned_once():
    loaner = loaners.issue((), model="KYN28-12", serial_number="L-001", issued_to="王工", issued_on=TODAY,
                           actor="sup", at=AT, today=TODAY)
    back = loaners.give_back(loaner, on=TODAY, condition=Condition.GOOD, note="", today=TODAY)
    assert back.state == LoanerState.RETURNED
    with pytest.raises(IllegalLoanerMove):
        loaners.give_back(back, on=TODAY, condition=Condition.GOOD, note="", today=TODAY)


def test_a_loaner_is_not_recorded_before_it_is_handed_over_nor_lent_twice():
    with pytest.raises(LoanerError):
        loaners.issue((), model="m", serial_number="s", issued_to="x", issued_on=date(2026, 11, 28), actor="a",
                      at=AT, today=TODAY)
    first = loaners.issue((), model="m", serial_number="s", issued_to="x", issued_on=TODAY, actor="a", at=AT,
                          today=TODAY)
    with pytest.raises(LoanerError):
        loaners.issue((first,), model="m", serial_number="s", issued_to="x", issued_on=TODAY, actor="a", at=AT,
                      today=TODAY)


def test_issuing_a_loaner_is_the_fact_that_meets_the_loaner_milestone():
    assert FACT_FOR_ACTION[Action.ISSUE_LOANER] == FactKind.LOANER_PROVIDED
