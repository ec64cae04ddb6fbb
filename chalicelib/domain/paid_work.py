"""Rules that join a ticket and its paperwork: may work start, what is owed, what is still open.

``work_may_start(ticket)`` is the rule of 000 §4.3.1 that check-in and the start of repair obey: a
paid job waits for the customer's approval of the quote (the signed service agreement). A job whose
billing is not decided yet is not held up: classification decides it, and a supervisor who marks a
dispatched job paid has the quote approved before the technician starts the repair.
"""

from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.billing import QuoteState, amount_due, balance
from chalicelib.domain.loaners import Loaner, LoanerState
from chalicelib.domain.parts import Requisition
from chalicelib.domain.ticket import Billing, Ticket


class PaidWorkNotApproved(Exception):
    """A paid job's quote is not approved by the customer yet, so work may not start (000 §4.3.1)."""

    code = "paid_work_not_approved"

    def __init__(self, number: str):
        super().__init__(f"{number} is a paid job whose quote the customer has not approved yet")
        self.number = number


def work_may_start(ticket: Ticket) -> bool:
    if ticket.billing != Billing.PAID:
        return True
    return ticket.quote is not None and ticket.quote.state == QuoteState.APPROVED


def ensure_work_may_start(ticket: Ticket) -> None:
    """Raise ``PaidWorkNotApproved`` unless ``work_may_start``: call it before check-in / start repair."""
    if not work_may_start(ticket):
        raise PaidWorkNotApproved(ticket.number)


def balance_of(ticket: Ticket) -> Decimal:
    return balance(ticket.quote, ticket.account)


def due_of(ticket: Ticket) -> Decimal:
    return amount_due(ticket.quote, ticket.account)


def has_balance_due(ticket: Ticket) -> bool:
    """On the managers' list of unpaid balances: an approved paid job not yet fully paid."""
    return ticket.billing == Billing.PAID and balance_of(ticket) > 0


def open_requisitions(ticket: Ticket) -> list[Requisition]:
    return [r for r in ticket.requisitions if r.is_open]


def loaners_out(ticket: Ticket) -> list[Loaner]:
    return [loaner for loaner in ticket.loaners if loaner.state == LoanerState.OUT]
