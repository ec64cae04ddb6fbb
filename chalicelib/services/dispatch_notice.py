"""Telling technicians of the jobs dispatched to them: an SMS, and an email when their address is known,
with the link to the job on their phone (``/staff/jobs/<number>``).

The messages go through the outbox like every other: written in the dispatch's own transaction, so a
dispatch is never saved without them, then delivered at once (and retried by the delivery job).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.domain.regions import province_name
from chalicelib.domain.sms_budget import DISPATCH_NOTICE_PURPOSE
from chalicelib.domain.ticket import Ticket
from chalicelib.i18n import t
from chalicelib.services.notifications import NotificationService
from chalicelib.services.ports import StaffDirectory
from chalicelib.services.short_links import sms_text

PURPOSE = DISPATCH_NOTICE_PURPOSE  # a staff SMS: counted and alarmed on with the escalations
STAFF_LANGUAGE = "zh-CN"  # staff read Chinese, as the desk's copy of a new ticket


@dataclass
class DispatchNotices:
    directory: StaffDirectory
    notifications: NotificationService
    public_base_url: str

    def messages(self, ticket: Ticket, technicians: Sequence[str], now: datetime) -> list[OutboxMessage]:
        """One SMS per technician with a phone number on file, one email per address on file."""
        lang, r = STAFF_LANGUAGE, ticket.reporter
        link = f"{self.public_base_url.rstrip('/')}/staff/jobs/{quote(ticket.number)}"
        words = {
            "number": ticket.number, "customer": r.customer_name, "model": ticket.product.model, "link": link,
            "province": province_name(r.province, lang), "city": r.city, "address": r.address,
            "contact": r.contact_person or r.customer_name, "phone": r.phone, "description": ticket.description,
            "priority": t(lang, "msg.dispatch.priority", priority=t(lang, f"priority.{ticket.priority.value}"))
            if ticket.priority else "",
        }
        out = []
        for name in dict.fromkeys(technicians):
            contact = self.directory.contact(name)
            if contact is None:
                continue
            if contact.phone:
                out.append(self._message(ticket, MessageChannel.SMS, contact.phone, "",
                                         sms_text(lang, "msg.dispatch", self.public_base_url, **words), now))
            if contact.email:
                out.append(self._message(ticket, MessageChannel.EMAIL, contact.email,
                                         t(lang, "msg.dispatch.subject", **words),
                                         t(lang, "msg.dispatch.body", name=name, **words), now))
        return out

    def deliver(self, messages: Sequence[OutboxMessage]) -> None:
        self.notifications.deliver(messages)

    @staticmethod
    def _message(ticket: Ticket, channel: MessageChannel, to: str, subject: str, text: str,
                 now: datetime) -> OutboxMessage:
        return OutboxMessage(id=uuid.uuid4().hex, ticket_number=ticket.number, purpose=PURPOSE, channel=channel,
                             recipient=to, subject=subject, text=text, created_at=now, next_attempt_at=now)
