"""Paid jobs, parts requisitions and loaners: the supervisor's paperwork around a job.

Every step is a ticket move (``TicketMoves.move``): checked by the ticket's lifecycle table and by the
paperwork's own tables (``domain/billing.py``, ``parts.py``, ``loaners.py``), recorded as an event on
the ticket's timeline, saved under the ticket's version, and followed by the SLA wake-up. Each step's
payload (the item as the step leaves it, which is what sets the ticket) is decided on the freshly read
ticket, so a retry after a concurrent write applies the rule again.

Each staff step is refused (``NotPermitted``) unless the actor's roles take it (``domain/permissions.py``;
a technician only on a job dispatched to him), whichever page or API called it; the pages hide what a
role may not do. The customer's only action, answering a quote, is bound to the ticket
behind the tracking token and is idempotent.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain import billing, loaners, parts
from chalicelib.domain.billing import BillingReason, Payment, PaymentMethod, QuoteLine
from chalicelib.domain.events import Charged, Classification, Classified, LoanerMoved, PartsMoved, Quoted
from chalicelib.domain.loaners import Condition
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.domain.paid_work import balance_of, open_requisitions
from chalicelib.domain.parts import PartLine, Requisition, Shipment
from chalicelib.domain.permissions import Actor, check_step, guard, name_of
from chalicelib.domain.ticket import Action, Billing, Ticket, TicketEvent
from chalicelib.i18n import t
from chalicelib.services.moves import TicketMoves, UnknownTicket
from chalicelib.services.notifications import NotificationService
from chalicelib.services.ports import Clock, TicketRepository
from chalicelib.services.short_links import sms_text


class UnknownQuoteLink(LookupError):
    """No ticket behind this tracking token."""


class _AlreadyDone(Exception):
    """The same answer again: nothing to write."""


@dataclass(frozen=True)
class BillingConfig:
    public_base_url: str
    timezone: str


class BillingService:
    def __init__(
        self, tickets: TicketRepository, moves: TicketMoves, notifications: NotificationService, clock: Clock,
        config: BillingConfig,
    ):
        self._tickets = tickets
        self._moves = moves
        self._notifications = notifications
        self._clock = clock
        self._config = config

    # -- reading -------------------------------------------------------------------------------

    def ticket(self, number: str) -> Ticket:
        ticket = self._tickets.get(number)
        if ticket is None:
            raise UnknownTicket(number)
        return ticket

    def events(self, number: str) -> list[TicketEvent]:
        return self._tickets.events(number)

    def timeline(self, number: str, actions: frozenset[Action]) -> list[TicketEvent]:
        return [e for e in self._tickets.events(number) if e.action in actions]

    def today(self) -> date:
        return self._clock.now().astimezone(ZoneInfo(self._config.timezone)).date()

    def receivables(self) -> list[tuple[Ticket, Decimal]]:
        """The managers' list of unpaid balances, largest first."""
        found = [(ticket, balance_of(ticket)) for ticket in self._tickets.receivable_tickets()]
        return sorted(found, key=lambda pair: (-pair[1], pair[0].number))

    def open_requisitions(self) -> list[tuple[Ticket, Requisition]]:
        """Every requisition not yet received or rejected, on open jobs, oldest first."""
        found = [
            (ticket, requisition)
            for ticket in self._tickets.waiting_for_parts()  # one short list, kept by the tickets' saves
            for requisition in open_requisitions(ticket)
        ]
        return sorted(found, key=lambda pair: pair[1].requested_at)

    # -- paid or free --------------------------------------------------------------------------

    def decide_billing(self, number: str, *, actor: Actor, billing_kind: Billing, reason: BillingReason) -> Ticket:
        billing.check_reason(billing_kind == Billing.PAID, reason)
        decided = Classification(billing=billing_kind, billing_reason=reason)
        return self._staff_move(number, Action.DECIDE_BILLING, actor, public=False,
                                step=lambda ticket: Classified.setting(Action.DECIDE_BILLING, decided, ticket))

    # -- the quote -----------------------------------------------------------------------------

    def draft_quote(
        self, number: str, *, actor: Actor, lines: list[QuoteLine], valid_until: date, note: str = ""
    ) -> Ticket:
        def step(ticket: Ticket) -> Quoted:
            self._require_paid(ticket)
            return Quoted(action=Action.DRAFT_QUOTE, quote=billing.draft_quote(
                ticket.quote, lines, valid_until=valid_until, note=note, actor=name_of(actor), at=self._clock.now(),
                today=self.today()))

        return self._staff_move(number, Action.DRAFT_QUOTE, actor, public=False, step=step)

    def send_quote(self, number: str, *, actor: Actor) -> Ticket:
        """To the customer by email and SMS, with a tracking link on which to approve or decline."""
        token = secrets.token_urlsafe(24)
        sent: list[OutboxMessage] = []

        def step(ticket: Ticket) -> Quoted:
            self._require_paid(ticket)
            return Quoted(action=Action.SEND_QUOTE,
                          quote=billing.send_quote(ticket.quote, at=self._clock.now(), today=self.today()))

        def messages(ticket: Ticket) -> list[OutboxMessage]:
            sent[:] = self._quote_messages(ticket, self.tracking_url(token))
            return sent

        check_step(actor, Action.SEND_QUOTE, self.ticket(number))  # an unknown number, or a refusal, gets no link
        self._tickets.add_tracking_link(number, token)
        moved = self._staff_move(number, Action.SEND_QUOTE, actor, step=step, outbox=messages)
        self._notifications.deliver(sent)
        return moved

    def answer_quote(
        self, token: str, *, approve: bool, revision: int, reason: str | None = None
    ) -> tuple[Ticket, bool]:
        """The customer's answer through their tracking link (``reason``: why they decline, optional).
        Returns the ticket and whether this call recorded the answer (False: the same answer was
        already on record)."""
        number = self._tickets.number_for_tracking_token(token) if token and len(token) <= 200 else None
        if number is None:
            raise UnknownQuoteLink()

        action = Action.APPROVE_QUOTE if approve else Action.DECLINE_QUOTE

        def step(ticket: Ticket) -> Quoted:
            answered = billing.answer_quote(ticket.quote, approve=approve, revision=revision, at=self._clock.now(),
                                            today=self.today(), reason=reason)
            if answered is None:
                raise _AlreadyDone()
            return Quoted.model_validate({"action": action, "quote": answered})

        try:
            return self._moves.move(number, action, actor="customer", step=step), True
        except _AlreadyDone:
            return self.ticket(number), False

    # -- the money -----------------------------------------------------------------------------

    def invoice(self, number: str, *, actor: Actor, amount: Decimal, invoice_number: str, on: date) -> Ticket:
        def step(ticket: Ticket) -> Charged:
            self._require_paid(ticket)
            return Charged(action=Action.INVOICE, account=billing.invoice(
                ticket.quote, ticket.account, amount=amount, number=invoice_number, on=on))

        return self._staff_move(number, Action.INVOICE, actor, public=False, step=step)

    def record_payment(
        self, number: str, *, actor: Actor, received_on: date, amount: Decimal, method: PaymentMethod,
        reference: str = "",
    ) -> Ticket:
        def step(ticket: Ticket) -> Charged:
            self._require_paid(ticket)
            payment = Payment(received_on=received_on, amount=billing.money(amount), method=method,
                              reference=reference.strip(), recorded_by=name_of(actor), recorded_at=self._clock.now())
            return Charged(action=Action.RECORD_PAYMENT,
                           account=billing.record_payment(ticket.quote, ticket.account, payment))

        return self._staff_move(number, Action.RECORD_PAYMENT, actor, public=False, step=step)

    # -- parts ---------------------------------------------------------------------------------

    def request_parts(self, number: str, *, actor: Actor, items: list[PartLine], note: str = "") -> Ticket:
        def step(ticket: Ticket) -> PartsMoved:
            return PartsMoved(action=Action.REQUEST_PARTS, requisition=parts.raise_requisition(
                ticket.requisitions, items, note=note, actor=name_of(actor), at=self._clock.now()))

        return self._staff_move(number, Action.REQUEST_PARTS, actor, public=False, step=step)

    def review_parts(self, number: str, requisition_id: str, *, actor: Actor, approve: bool, note: str = "") -> Ticket:
        return self._parts_step(
            number, requisition_id, Action.REVIEW_PARTS, actor,
            lambda r: parts.review(r, approve=approve, note=note, actor=name_of(actor), at=self._clock.now()),
        )

    def parts_lead_time(self, number: str, requisition_id: str, *, actor: Actor, expected_on: date) -> Ticket:
        return self._parts_step(
            number, requisition_id, Action.PARTS_LEAD_TIME, actor,
            lambda r: parts.feed_back_lead_time(r, expected_on=expected_on),
        )

    def ship_parts(self, number: str, requisition_id: str, *, actor: Actor, shipment: Shipment) -> Ticket:
        return self._parts_step(
            number, requisition_id, Action.SHIP_PARTS, actor,
            lambda r: parts.ship(r, shipment),
        )

    def receive_parts(self, number: str, requisition_id: str, *, actor: Actor, received_on: date) -> Ticket:
        return self._parts_step(
            number, requisition_id, Action.RECEIVE_PARTS, actor,
            lambda r: parts.receive(r, on=received_on, actor=name_of(actor)),
        )

    def _parts_step(
        self, number: str, requisition_id: str, action: Action, actor: Actor, step: Callable[[Requisition], Requisition]
    ) -> Ticket:
        def moved(ticket: Ticket) -> PartsMoved:
            return PartsMoved.model_validate(
                {"action": action, "requisition": step(parts.find(ticket.requisitions, requisition_id))})

        return self._staff_move(number, action, actor, public=False, step=moved)

    # -- loaners -------------------------------------------------------------------------------

    def issue_loaner(
        self, number: str, *, actor: Actor, model: str, serial_number: str, issued_to: str, issued_on: date
    ) -> Ticket:
        def step(ticket: Ticket) -> LoanerMoved:
            return LoanerMoved(action=Action.ISSUE_LOANER, loaner=loaners.issue(
                ticket.loaners, model=model, serial_number=serial_number, issued_to=issued_to, issued_on=issued_on,
                actor=name_of(actor), at=self._clock.now(), today=self.today()))

        return self._staff_move(number, Action.ISSUE_LOANER, actor, step=step)

    def return_loaner(
        self, number: str, loaner_id: str, *, actor: Actor, returned_on: date, condition: Condition, note: str = ""
    ) -> Ticket:
        def step(ticket: Ticket) -> LoanerMoved:
            return LoanerMoved(action=Action.RETURN_LOANER, loaner=loaners.give_back(
                loaners.find(ticket.loaners, loaner_id), on=returned_on, condition=condition, note=note,
                today=self.today()))

        return self._staff_move(number, Action.RETURN_LOANER, actor, step=step)

    # -- helpers -------------------------------------------------------------------------------

    def _staff_move(self, number: str, action: Action, actor: Actor, **kwargs: Any) -> Ticket:
        """A step of the paperwork, refused unless ``actor`` may take it on the ticket as it is now."""
        return self._moves.move(number, action, actor=name_of(actor),
                                check=guard(actor, action), **kwargs)

    def tracking_url(self, token: str) -> str:
        return f"{self._config.public_base_url.rstrip('/')}/t/{token}"

    @staticmethod
    def _require_paid(ticket: Ticket) -> None:
        if ticket.billing != Billing.PAID:
            raise billing.NotAPaidJob(f"{ticket.number} is not a paid job")

    def _quote_messages(self, ticket: Ticket, link: str) -> list[OutboxMessage]:
        assert ticket.quote is not None
        lang, now = ticket.language, self._clock.now()
        values = {"number": ticket.number, "total": f"{ticket.quote.total:,.2f}",
                  "valid_until": ticket.quote.valid_until.isoformat(), "link": link,
                  "customer": ticket.reporter.contact_person or ticket.reporter.customer_name}

        def message(channel: MessageChannel, to: str, subject: str, text: str) -> OutboxMessage:
            return OutboxMessage(id=uuid.uuid4().hex, ticket_number=ticket.number, purpose="quote",
                                 channel=channel, recipient=to, subject=subject, text=text, created_at=now,
                                 next_attempt_at=now)

        out = []
        if ticket.reporter.email:
            out.append(message(MessageChannel.EMAIL, ticket.reporter.email, t(lang, "msg.quote.subject", **values),
                               t(lang, "msg.quote.body", **values)))
        if ticket.reporter.phone_is_mobile:
            out.append(message(MessageChannel.SMS, ticket.reporter.phone, "",
                               sms_text(lang, "msg.quote", self._config.public_base_url, **values)))
        return out

