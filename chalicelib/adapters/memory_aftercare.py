"""In-memory ``AftercareStore`` with the DynamoDB adapter's contract (tests/integration runs one suite
against both)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from chalicelib.adapters.memory import MemoryTickets
from chalicelib.domain.aftercare import Callback, CallbackDone, CallbackTask, MaintenanceSchedule, Visit
from chalicelib.domain.notification import OutboxMessage


class MemoryAftercare:
    def __init__(self, tickets: MemoryTickets) -> None:
        self._tickets = tickets
        self.tasks_ever: set[str] = set()
        self.open: dict[str, CallbackTask] = {}
        self.records: list[CallbackDone] = []
        self.schedules: dict[str, MaintenanceSchedule] = {}
        self.visit_items: dict[tuple[date, str], Visit] = {}

    def add_callback(self, task: CallbackTask) -> bool:
        if task.id in self.tasks_ever:
            return False
        self.tasks_ever.add(task.id)
        self.open[task.id] = task
        return True

    def open_callbacks(self, due_until: date) -> list[CallbackTask]:
        return sorted((t for t in self.open.values() if t.due_from <= due_until), key=lambda t: (t.due_from, t.id))

    def callback(self, task_id: str) -> CallbackTask | None:
        return self.open.get(task_id)

    def close_callback(self, task: CallbackTask, record: Callback, at: datetime,
                       jobs: Sequence[OutboxMessage] = ()) -> bool:
        if self.open.pop(task.id, None) is None:
            return False
        self.records.append(CallbackDone.of(task, record, at))
        self._tickets.messages.update({m.id: m for m in jobs})
        return True

    def callbacks_of_month(self, month: str) -> list[CallbackDone]:
        return [r for r in self.records if r.at.astimezone(UTC).strftime("%Y-%m") == month]

    def schedule(self, serial_number: str) -> MaintenanceSchedule | None:
        return self.schedules.get(serial_number)

    def put_schedule(self, schedule: MaintenanceSchedule, visits: Sequence[date], keep_from: date) -> None:
        serial = schedule.serial_number
        for key, visit in list(self.visit_items.items()):
            if key[1] == serial and visit.on >= keep_from and visit.on not in visits and visit.reminded_at is None:
                del self.visit_items[key]
        self.add_visits(serial, visits)
        self.schedules[serial] = schedule

    def add_visits(self, serial_number: str, visits: Sequence[date]) -> None:
        for day in visits:
            self.visit_items.setdefault((day, serial_number), Visit(serial_number=serial_number, on=day))

    def visits(self, first: date, last: date) -> list[Visit]:
        return [v for (day, _), v in sorted(self.visit_items.items()) if first <= day <= last]

    def claim_reminder(self, visit: Visit, at: datetime, messages: Sequence[OutboxMessage]) -> bool:
        stored = self.visit_items.get((visit.on, visit.serial_number))
        if stored is None or stored.reminded_at is not None:
            return False
        self.visit_items[(visit.on, visit.serial_number)] = stored.model_copy(update={"reminded_at": at})
        self._tickets.messages.update({m.id: m for m in messages})
        return True
