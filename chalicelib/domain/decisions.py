"""What waits for the supervisor on the approvals page: a filed acceptance form to approve, a customer's
refusal to sign, a visit outside working time to allow. Such jobs are kept on one short list, so the
page reads that list and not every job under way."""

from __future__ import annotations

from chalicelib.domain.overtime import OvertimeState
from chalicelib.domain.ticket import Status, Ticket

# Ticket fields whose change may take a job off the list.
DECISION_FIELDS = frozenset({"status", "refusal", "overtime"})


def awaits_supervisor(ticket: Ticket) -> bool:
    return ticket.is_open and (
        ticket.status == Status.AWAITING_APPROVAL
        or ticket.refusal is not None
        or any(visit.state == OvertimeState.REQUESTED for visit in ticket.overtime)
    )
