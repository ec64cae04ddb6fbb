"""In-memory stand-ins for the ports, for fast service tests (the DynamoDB adapter runs the same
contract tests under moto)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.memory_limits import MemoryRateCounters
from chalicelib.domain.escalation import Roster
from chalicelib.domain.holidays import YearSchedule
from chalicelib.domain.limits import Limit
from chalicelib.domain.notification import DeliveryState, OutboxMessage, is_due, wake_at
from chalicelib.domain.plans import ServicePlan
from chalicelib.domain.queue import QueueFilter
from chalicelib.domain.short_links import ShortLink
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Kind, Status, Ticket, TicketEvent
from chalicelib.services.ports import (
    DeliveryError,
    KeyReused,
    OverLimit,
    ReportBuild,
    StaffContact,
    StaleTicket,
    StillInProgress,
    StoredFile,
    UploadTicket,
)


class FixedClock:
    def __init__(self, at: datetime | None = None):
        self.at = at or datetime(2026, 11, 27, 2, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta

    def sleep_until(self, moment: datetime) -> None:
        # Time passes for everyone while a job waits: nothing else happens meanwhile.
        self.at = max(self.at, moment)


class MemoryTickets:
    """Implements ``TicketRepository`` and ``Outbox``."""

    def __init__(self) -> None:
        self.counters: dict[int, int] = {}
        self.tickets: dict[str, Ticket] = {}
        self.timelines: dict[str, list[TicketEvent]] = {}
        self.tracking: dict[str, str] = {}
        self.messages: dict[str, OutboxMessage] = {}
        self.wake: dict[str, datetime] = {}
        self.taken: dict[str, set[str]] = {}
        self.acknowledged: dict[str, set[str]] = {}
        self.reads = 0  # tickets handed to the sweep, for "reads only what is due" checks
        self.month_reads = 0  # tickets handed to the monthly report
        self.report_runs: dict[str, datetime] = {}  # month -> when its report was claimed
        self.report_builds: dict[tuple[str, str], ReportBuild] = {}  # (month, build id) -> build
        # Counted with a new ticket (``create``'s ``uses``); share it with the intake's ``RateCounters``.
        self.rate_counters = MemoryRateCounters()
        self.short_links: dict[str, ShortLink] = {}  # kept with a new ticket

    def next_number(self, year: int) -> int:
        self.counters[year] = self.counters.get(year, 0) + 1
        return self.counters[year]

    def give_back_number(self, year: int, number: int) -> None:
        if self.counters.get(year) == number:
            self.counters[year] = number - 1

    def create(
        self,
        ticket: Ticket,
        event: TicketEvent,
        tracking_token: str,
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None = None,
        *,
        short_links: Sequence[ShortLink] = (),
        uses: Sequence[tuple[Limit, str]] = (),
    ) -> None:
        if ticket.number in self.tickets or any(link.id in self.short_links for link in short_links):
            raise StaleTicket(ticket.number)
        answers = self.rate_counters.take_all(uses, ticket.created_at) if uses else []
        if not all(answer.allowed for answer in answers):
            raise OverLimit(answers)
        self.short_links.update({link.id: link for link in short_links})
        self.tickets[ticket.number] = ticket
        self.timelines[ticket.number] = [event]
        self.tracking[tracking_token] = ticket.number
        self.messages.update({m.id: m for m in outbox})
        self._set_wake(ticket.number, next_wake)

    def save(
        self, ticket: Ticket, events: Sequence[TicketEvent], next_wake: datetime | None = None,
        outbox: Sequence[OutboxMessage] = (),
    ) -> None:
        stored = self.tickets.get(ticket.number)
        if stored is None or stored.version != ticket.version - 1:
            raise StaleTicket(ticket.number)
        self.tickets[ticket.number] = ticket
        self.timelines[ticket.number].extend(events)
        self.messages.update({m.id: m for m in outbox})
        self._set_wake(ticket.number, next_wake)

    def add_tracking_link(self, number: str, token: str) -> None:
        self.tracking[token] = number

    def receivable_tickets(self) -> list[Ticket]:
        from chalicelib.domain.paid_work import has_balance_due

        return sorted((t for t in self.tickets.values() if has_balance_due(t)), key=lambda t: t.number)

    def due_tickets(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        due = sorted((at, n) for n, at in self.wake.items() if at <= now)[:limit]
        self.reads += len(due)
        return [(n, at) for at, n in due]

    def escalation_state(self, number: str) -> tuple[frozenset[str], frozenset[str]]:
        return frozenset(self.taken.get(number, ())), frozenset(self.acknowledged.get(number, ()))

    def history(self, number: str) -> tuple[list[TicketEvent], frozenset[str], frozenset[str]]:
        return self.events(number), *self.escalation_state(number)

    def record_escalation(
        self,
        ticket: Ticket,
        step_keys: Sequence[str],
        events: Sequence[TicketEvent],
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None,
    ) -> bool:
        taken = self.taken.setdefault(ticket.number, set())
        if taken & set(step_keys) or self.tickets[ticket.number].version != ticket.version:
            return False
        taken.update(step_keys)
        self.tickets[ticket.number] = ticket  # the same version, with its schedule at a glance
        self.timelines[ticket.number].extend(events)
        self.messages.update({m.id: m for m in outbox})
        self._set_wake(ticket.number, next_wake)
        return True

    def record_acknowledgement(
        self, ticket: Ticket, breach: str, event: TicketEvent, next_wake: datetime | None
    ) -> bool:
        acknowledged = self.acknowledged.setdefault(ticket.number, set())
        if breach in acknowledged or self.tickets[ticket.number].version != ticket.version:
            return False
        acknowledged.add(breach)
        self.tickets[ticket.number] = ticket
        self.timelines[ticket.number].append(event)
        self._set_wake(ticket.number, next_wake)
        return True

    def set_next_wake(self, ticket: Ticket, next_wake: datetime | None) -> bool:
        if self.tickets[ticket.number].version != ticket.version:
            return False
        self.tickets[ticket.number] = ticket
        self._set_wake(ticket.number, next_wake)
        return True

    def _set_wake(self, number: str, at: datetime | None) -> None:
        if at is None:
            self.wake.pop(number, None)
        else:
            self.wake[number] = at

    def get(self, number: str) -> Ticket | None:
        return self.tickets.get(number)

    def open_tickets(self, statuses: Iterable[Status]) -> list[Ticket]:
        wanted = {Status(s) for s in statuses}
        found = [t for t in self.tickets.values() if t.status in wanted]
        return sorted(found, key=lambda t: (t.created_at, t.number))

    def queue_page(self, filters: QueueFilter, after: str | None, size: int) -> tuple[list[Ticket], str | None]:
        wanted = set(filters.statuses())
        queued = sorted(
            (_queue_position(t), t) for t in self.tickets.values() if t.status in wanted and filters.keeps(t)
        )
        ahead = [(position, t) for position, t in queued if after is None or position > after]
        page = ahead[:size]
        return [t for _, t in page], page[-1][0] if len(ahead) > size else None

    def open_complaints(self) -> list[Ticket]:
        found = [t for t in self.tickets.values() if t.kind == Kind.COMPLAINT and t.is_open]
        return sorted(found, key=lambda t: (t.created_at, t.number))

    def waiting_for_parts(self) -> list[Ticket]:
        from chalicelib.domain.paid_work import open_requisitions

        found = [t for t in self.tickets.values() if t.is_open and open_requisitions(t)]
        return sorted(found, key=lambda t: (t.created_at, t.number))

    def awaiting_supervisor(self) -> list[Ticket]:
        from chalicelib.domain.decisions import awaits_supervisor

        return sorted((t for t in self.tickets.values() if awaits_supervisor(t)), key=lambda t: (t.created_at, t.number))

    def tickets_for_technician(self, username: str) -> list[Ticket]:
        found = [t for t in self.tickets.values() if username in t.assignees]
        return sorted(found, key=lambda t: (t.created_at, t.number))

    def number_for_tracking_token(self, token: str) -> str | None:
        return self.tracking.get(token)

    def events(self, number: str) -> list[TicketEvent]:
        return sorted(self.timelines.get(number, []), key=lambda e: e.at)

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        due = [m for m in self.messages.values() if is_due(m, now)]
        return sorted(due, key=lambda m: wake_at(m) or now)[:limit]

    def claim_message(self, seen: OutboxMessage, claimed: OutboxMessage, now: datetime) -> bool:
        stored = self.messages.get(seen.id)
        free = stored is not None and (
            stored.state == DeliveryState.PENDING
            or (stored.state == DeliveryState.SENDING and stored.lease_until is not None and stored.lease_until <= now)
        )
        if stored is None or not free or stored.attempts != seen.attempts:
            return False
        self.messages[seen.id] = claimed
        return True

    def finish_message(
        self, message: OutboxMessage, event: TicketEvent | None = None, follow_ups: Sequence[OutboxMessage] = ()
    ) -> bool:
        stored = self.messages.get(message.id)
        if stored is None or stored.state != DeliveryState.SENDING or stored.attempts != message.attempts:
            return False
        if any(m.id in self.messages for m in follow_ups):
            return False
        self.messages[message.id] = message
        self.messages.update({m.id: m for m in follow_ups})
        if event is not None:
            self.timelines.setdefault(message.ticket_number, []).append(event)
        return True

    # -- the monthly report --

    def tickets_created_between(self, start: datetime, end: datetime) -> Iterator[Ticket]:
        found = sorted((t for t in self.tickets.values() if start <= t.created_at < end),
                       key=lambda t: (t.created_at, t.number))
        self.month_reads += len(found)
        yield from found

    def report_claimed(self, month: str) -> bool:
        return month in self.report_runs

    def claim_report(self, month: str, at: datetime, outbox: Sequence[OutboxMessage]) -> bool:
        if month in self.report_runs:
            return False
        self.report_runs[month] = at
        self.messages.update({m.id: m for m in outbox})
        return True

    def start_report_build(self, build: ReportBuild) -> None:
        self.report_builds[(build.month, build.build_id)] = build

    def report_build(self, month: str, started_at: datetime, build_id: str) -> ReportBuild | None:
        return self.report_builds.get((month, build_id))

    def latest_report_build(self, month: str) -> ReportBuild | None:
        builds = [b for (m, _), b in self.report_builds.items() if m == month]
        return max(builds, key=lambda b: (b.started_at, b.build_id), default=None)

    def finish_report_part(self, month: str, started_at: datetime, build_id: str, index: int) -> ReportBuild | None:
        build = self.report_builds.get((month, build_id))
        if build is None:
            return None
        build = build.model_copy(update={"done": build.done | {index}})
        self.report_builds[(month, build_id)] = build
        return build

    def finish_report_build(self, month: str, started_at: datetime, build_id: str, at: datetime) -> None:
        build = self.report_builds.get((month, build_id))
        if build is not None and build.assembled_at is None:
            self.report_builds[(month, build_id)] = build.model_copy(update={"assembled_at": at})


def _queue_position(ticket: Ticket) -> str:
    return keys.queue_sk(ticket.sla.next_due_at if ticket.sla else None, ticket.created_at, ticket.number)


@dataclass
class MemoryStaffDirectory:
    """``StaffDirectory`` over a dict: role -> user names."""

    members: dict[StaffRole, list[str]] = field(default_factory=dict)
    contacts: dict[str, StaffContact] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def list_staff(self, role: StaffRole) -> list[str]:
        return sorted(self.members.get(role, []))

    def contact(self, username: str) -> StaffContact | None:
        return self.contacts.get(username)

    def display_names(self) -> dict[str, str]:
        return dict(self.names)


@dataclass
class MemoryConfig:
    stored_plans: list[ServicePlan] = field(default_factory=list)
    stored_rosters: list[Roster] = field(default_factory=list)
    stored_calendars: list[YearSchedule] = field(default_factory=list)

    def plans(self) -> list[ServicePlan]:
        return list(self.stored_plans)

    def rosters(self) -> list[Roster]:
        return list(self.stored_rosters)

    def put_plan(self, plan: ServicePlan) -> None:
        self.stored_plans = [p for p in self.stored_plans if p.name != plan.name] + [plan]

    def put_roster(self, roster: Roster) -> None:
        self.stored_rosters = [r for r in self.stored_rosters if r.scope != roster.scope] + [roster]

    def replace_roster(self, roster: Roster) -> bool:
        stored = next((r.version for r in self.stored_rosters if r.scope == roster.scope), 0)
        if stored != roster.version:
            return False
        self.put_roster(roster.model_copy(update={"version": roster.version + 1}))
        return True

    def calendars(self) -> list[YearSchedule]:
        return list(self.stored_calendars)

    def put_calendar(self, schedule: YearSchedule) -> None:
        self.stored_calendars = [c for c in self.stored_calendars if c.key != schedule.key] + [schedule]


class MemoryOutbox:
    def __init__(self, tickets: MemoryTickets):
        self._tickets = tickets

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        return self._tickets.due(now, limit)

    def claim(self, seen: OutboxMessage, claimed: OutboxMessage, now: datetime) -> bool:
        return self._tickets.claim_message(seen, claimed, now)

    def finish(
        self, message: OutboxMessage, event: TicketEvent | None = None, follow_ups: Sequence[OutboxMessage] = ()
    ) -> bool:
        return self._tickets.finish_message(message, event, follow_ups)

    def finish_all(self, outcomes: Sequence[tuple[OutboxMessage, TicketEvent | None]]) -> bool:
        stored = self._tickets.messages
        if any((s := stored.get(m.id)) is None or s.state != DeliveryState.SENDING or s.attempts != m.attempts
               for m, _ in outcomes):
            return False
        for message, event in outcomes:
            self._tickets.finish_message(message, event)
        return True


@dataclass
class RecordingNotifier:
    """Keeps what it was asked to send; ``failures`` makes the next N sends fail."""

    sent: list[OutboxMessage] = field(default_factory=list)
    failures: int = 0
    permanent: bool = False

    def send(self, message: OutboxMessage) -> str:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError("provider unavailable", permanent=self.permanent)
        self.sent.append(message)
        return f"msg-{len(self.sent)}"


@dataclass
class MemoryDeadLetters:
    """Messages given up on, kept in order (``SqsDeadLetters`` on AWS)."""

    parked: list[OutboxMessage] = field(default_factory=list)

    def park(self, message: OutboxMessage) -> None:
        self.parked.append(message)


@dataclass
class MemoryFiles:
    objects: dict[str, bytes] = field(default_factory=dict)
    attached: set[str] = field(default_factory=set)  # uploads storage must keep (see ``mark_attached``)

    def presign_upload(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadTicket:
        return UploadTicket(url="memory://upload", fields={"key": key, "Content-Type": content_type}, key=key)

    def inspect(self, key: str) -> StoredFile | None:
        data = self.objects.get(key)
        if data is None:
            return None
        return StoredFile(key=key, size=len(data), head=data[:512], content_type=None)

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def read(self, key: str, max_bytes: int) -> bytes | None:
        data = self.objects.get(key)
        return data if data is not None and len(data) <= max_bytes else None

    def presigned_download(self, key: str, expires_in: int = 300) -> str:
        return f"memory://{key}"

    def mark_attached(self, keys: Sequence[str]) -> None:
        self.attached.update(keys)


class MemoryIdempotency:
    """Same contract as ``IdempotentRunner``: one result per key, a repeat while the first run works
    waits for its result (up to ``wait_seconds``), a run that raised leaves the key free, and a key
    reused for other content fails. Thread-safe, for concurrent route tests."""

    def __init__(self, wait_seconds: float = 5.0) -> None:
        self.results: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}
        self._running: dict[tuple[str, str], dict[str, Any]] = {}
        self._changed = threading.Condition()
        self._wait_seconds = wait_seconds

    def run(self, scope: str, key: str, payload: dict[str, Any], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        slot = (scope, key)
        deadline = time.monotonic() + self._wait_seconds
        with self._changed:
            while True:
                if slot in self.results:
                    stored_payload, result = self.results[slot]
                    if stored_payload != payload:
                        raise KeyReused(key)
                    return result
                if slot not in self._running:
                    break
                if self._running[slot] != payload:
                    raise KeyReused(key)
                if not self._changed.wait(deadline - time.monotonic()):
                    raise StillInProgress(key)
            self._running[slot] = payload
        try:
            result = work()
            with self._changed:
                self.results[slot] = (payload, result)
        finally:
            with self._changed:
                del self._running[slot]
                self._changed.notify_all()
        return result


@dataclass
class MemoryReportArchive:
    """``ReportArchive`` over a dict: key -> bytes."""

    objects: dict[str, bytes] = field(default_factory=dict)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def exists(self, key: str) -> bool:
        return key in self.objects

    def download_url(self, key: str, filename: str, expires_in: int = 300) -> str:
        return f"memory://{key}?filename={filename}"


@dataclass
class RecordingRawSender:
    """Keeps the raw emails it was asked to send; ``failures`` makes the next N sends fail."""

    sent: list[tuple[str, bytes]] = field(default_factory=list)
    failures: int = 0

    def send_raw(self, recipient: str, mime: bytes) -> str:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError("provider unavailable")
        self.sent.append((recipient, mime))
        return f"raw-{len(self.sent)}"
