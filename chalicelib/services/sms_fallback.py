"""A technician's SMS that could not be sent reaches his supervisors instead, by email and team chat.

SMS stop for good when the account's spend limit is reached or a number has opted out; a technician is
often known by his phone alone, so his dispatch notice or a warning about his report would reach nobody.
The ladder's own steps go to a level's email and team chats besides SMS; this gives the technician's
messages the same way round, one level up: the supervisors of the ticket's region (the roster's nearest
scope) are told what he was not, and the failure's timeline entry names them. The messages are written
with the failure's outcome, by the one sender that gave up on the SMS, so they go out once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from chalicelib.domain.escalation import RosterBook
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.domain.sms_budget import FALLBACK_PURPOSE, FALLBACK_ROLE, falls_back
from chalicelib.i18n import t
from chalicelib.services.ports import ConfigStore, StaffDirectory, TicketRepository

logger = Logger(child=True)
STAFF_LANGUAGE = "zh-CN"  # staff read Chinese, as the SMS that was not sent


@dataclass
class SmsFallback:
    tickets: TicketRepository
    config: ConfigStore
    # Names the technician whose number it was (else the message gives the number).
    staff: StaffDirectory | None = None

    def instead_of(self, failed: OutboxMessage, now: datetime) -> tuple[list[OutboxMessage], tuple[str, ...]]:
        if failed.channel != MessageChannel.SMS or not falls_back(failed.purpose):
            return [], ()
        ticket = self.tickets.get(failed.ticket_number)
        if ticket is None:
            return [], ()
        book = RosterBook(self.config.rosters())
        province = ticket.reporter.province
        lang = STAFF_LANGUAGE
        words = {
            "number": ticket.number,
            "who": self._who(ticket.assignees, failed.recipient),
            "phone": failed.recipient,
            "text": failed.text,
            "error": failed.last_error or "",
        }
        people = [p for p in book.holders(FALLBACK_ROLE, province=province) if p.email and p.phone != failed.recipient]
        chats = book.chats(FALLBACK_ROLE, province=province)
        messages = [
            self._message(
                failed,
                index,
                MessageChannel.EMAIL,
                person.email or "",
                t(lang, "msg.sms_fallback.subject", **words),
                t(lang, "msg.sms_fallback.body", name=person.name, **words),
                now,
            )
            for index, person in enumerate(people)
        ]
        messages += [
            self._message(
                failed,
                len(people) + index,
                MessageChannel.TEAM_CHAT,
                chat.address,
                "",
                t(lang, "msg.sms_fallback.chat", **words),
                now,
            )
            for index, chat in enumerate(chats)
        ]
        return messages, tuple(p.name for p in people) + tuple(c.name for c in chats)

    def _who(self, assignees: list[str] | tuple[str, ...], phone: str) -> str:
        """The login of the job's technician whose phone it was; the number when none is known."""
        if self.staff is None:
            return phone
        try:
            for name in assignees:
                contact = self.staff.contact(name)
                if contact is not None and contact.phone == phone:
                    return name
        except Exception:  # only his name is missed: the supervisors are still told, by the number
            logger.exception("could not read whose number an SMS given up on was")
        return phone

    @staticmethod
    def _message(
        failed: OutboxMessage, index: int, channel: MessageChannel, to: str, subject: str, text: str, now: datetime
    ) -> OutboxMessage:
        # Named after the SMS it stands for: written twice, the second write would find it there and fail.
        return OutboxMessage(id=f"{failed.id}.instead.{index}", ticket_number=failed.ticket_number,
                             purpose=FALLBACK_PURPOSE, channel=channel, recipient=to, subject=subject, text=text,
                             created_at=now, next_attempt_at=now)
