"""The interface the after-care use cases need from storage: callback tasks and records, maintenance
schedules and visits (keys and access patterns in ``chalicelib/adapters/keys.py``). Tickets, the outbox
and the archive are reached through the ports of ``ports.py``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from chalicelib.domain.aftercare import Callback, CallbackDone, CallbackTask, MaintenanceSchedule, Visit
from chalicelib.domain.notification import OutboxMessage


class AftercareStore(Protocol):
    def add_callback(self, task: CallbackTask) -> bool:
        """Put the task on the open list unless a task with its id was ever written (False then)."""

    def open_callbacks(self, due_until: date) -> list[CallbackTask]:
        """Open tasks whose window starts on or before ``due_until``, oldest first (one Query)."""

    def callback(self, task_id: str) -> CallbackTask | None:
        """An open task."""

    def close_callback(self, task: CallbackTask, record: Callback, at: datetime,
                       jobs: Sequence[OutboxMessage] = ()) -> bool:
        """Take the task off the open list and keep ``record`` in the month's callbacks, with ``jobs`` (what the
        record publishes) in the same write; False if someone else closed it first (nothing is written then)."""

    def callbacks_of_month(self, month: str) -> list[CallbackDone]:
        """Callback records of a month (``yyyy-mm``, UTC): every record with its ``task`` and ``at``."""

    def schedule(self, serial_number: str) -> MaintenanceSchedule | None: ...

    def put_schedule(self, schedule: MaintenanceSchedule, visits: Sequence[date], keep_from: date) -> None:
        """Store the schedule; visits from ``keep_from`` on not yet reminded are replaced by ``visits``."""

    def add_visits(self, serial_number: str, visits: Sequence[date]) -> None:
        """Write visits not written yet (those already written, reminded or not, stay as they are)."""

    def visits(self, first: date, last: date) -> list[Visit]:
        """Visits of every product from ``first`` to ``last`` inclusive, by day (a Query per month)."""

    def claim_reminder(self, visit: Visit, at: datetime, messages: Sequence[OutboxMessage]) -> bool:
        """Mark the visit reminded and write its messages at once; False if it was reminded already or no
        longer exists (nothing is written then)."""
