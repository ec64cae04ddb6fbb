"""The staff API of after-care: callbacks due 5–7 days after a repair or delivery (003 §2, §5), the
maintenance visits coming up and a product's schedule (003 §4.1), and a closed job's survey (001 §3.5).

The roles are the after-care pages' (``AFTERCARE_ROLES``); the rules are ``AftercareService``'s.
"""

from __future__ import annotations

from datetime import date, datetime

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.domain.aftercare import CallbackInput, MaintenanceInput, MaintenanceSchedule, SurveyAnswer, survey_state
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import t
from chalicelib.web.aftercare import AFTERCARE_ROLES, UPCOMING_DAYS
from chalicelib.web.auth import current_staff
from chalicelib.web.forms import InvalidFields, query_of
from chalicelib.web.staff_api_kit import PAGE_QUERY, language, operation, page, problem
from chalicelib.web.supervisor import MAX_NUMBER_LENGTH, QUEUE_READERS

blueprint = Blueprint(__name__)
SURVEY_READERS = (*QUEUE_READERS, StaffRole.QUALITY)
MOST_DAYS = 366
MAX_TASK_ID = 200
MAX_SERIAL = 64


class CallbackRow(BaseModel):
    id: str = Field(description="Pass to POST /api/v1/callbacks/{task_id}")
    reason: str = Field(description="repair or delivery")
    due_from: date
    due_by: date
    overdue: bool
    customer_name: str
    phone: str
    ticket_number: str | None
    serial_number: str | None
    model: str | None


class CallbackPage(BaseModel):
    items: list[CallbackRow]
    cursor: str | None


class CallbackDone(BaseModel):
    task_id: str
    outcome: str = Field(description="satisfied, problem or unreachable")
    follow_up: str | None = Field(description="The ticket opened for a problem the customer raised")
    follow_up_kind: str | None
    follow_up_pending: bool = Field(
        default=False, description="The follow-up's number is given; its ticket is still being opened (retried)")


class VisitRow(BaseModel):
    serial_number: str
    on: date
    reminded_at: datetime | None
    model: str | None
    customer_id: str | None
    customer_name: str | None


class VisitPage(BaseModel):
    items: list[VisitRow]
    cursor: str | None


class SurveyStatus(BaseModel):
    number: str
    state: str | None = Field(description="open, answered or expired; null: no survey sent")
    sent_at: datetime | None
    open_until: datetime | None
    answer: SurveyAnswer | None


def _aftercare():  # type: ignore[no-untyped-def]
    return wiring.services().aftercare


@operation(
    blueprint,
    "GET",
    "/callbacks",
    "Callbacks due now (overdue ones included), the oldest first",
    roles=AFTERCARE_ROLES,
    response=CallbackPage,
    query=PAGE_QUERY,
)
def due_callbacks() -> CallbackPage:
    today = _aftercare().today()
    rows = [
        CallbackRow(
            id=task.id,
            reason=task.reason.value,
            due_from=task.due_from,
            due_by=task.due_by,
            overdue=task.overdue(today),
            customer_name=task.customer_name,
            phone=task.phone,
            ticket_number=task.ticket_number,
            serial_number=task.serial_number,
            model=task.model,
        )
        for task in _aftercare().due_callbacks()
    ]
    shown, cursor = page(blueprint, rows, lambda r: (r.due_from.isoformat(), r.id))
    return CallbackPage(items=shown, cursor=cursor)


@operation(
    blueprint,
    "POST",
    "/callbacks/{task_id}",
    "Record a callback: reached or not, satisfied, a problem raised (opens a follow-up job or a complaint)",
    roles=AFTERCARE_ROLES,
    request=CallbackInput,
    response=CallbackDone,
)
def record_callback(form: CallbackInput, task_id: str) -> CallbackDone:
    if len(task_id) > MAX_TASK_ID:
        raise problem(404, "callback_not_found", language(blueprint), "aftercare.error.no_task")
    done = _aftercare().record_callback(task_id, form, actor=current_staff())
    return CallbackDone(
        task_id=task_id,
        outcome=done.outcome,
        follow_up=done.follow_up,
        follow_up_kind=done.follow_up_kind.value if done.follow_up_kind else None,
        follow_up_pending=done.follow_up_pending,
    )


@operation(
    blueprint,
    "GET",
    "/maintenance",
    "Maintenance visits coming up, the soonest first",
    roles=AFTERCARE_ROLES,
    response=VisitPage,
    query={"days": f"How many days ahead, 1 to {MOST_DAYS} (default {UPCOMING_DAYS})", **PAGE_QUERY},
)
def upcoming_visits() -> VisitPage:
    days = query_of(blueprint.current_request).get("days") or str(UPCOMING_DAYS)
    if not days.isdecimal() or not 1 <= int(days) <= MOST_DAYS:
        raise InvalidFields({"days": t(language(blueprint), "error.api.days", most=MOST_DAYS)})
    rows = [
        VisitRow(
            serial_number=v.visit.serial_number,
            on=v.visit.on,
            reminded_at=v.visit.reminded_at,
            model=v.product.model if v.product else None,
            customer_id=v.customer.id if v.customer else None,
            customer_name=v.customer.name if v.customer else None,
        )
        for v in _aftercare().upcoming_visits(int(days))
    ]
    shown, cursor = page(blueprint, rows, lambda r: (r.on.isoformat(), r.serial_number))
    return VisitPage(items=shown, cursor=cursor)


@operation(
    blueprint,
    "GET",
    "/maintenance/{serial_number}",
    "A product's maintenance schedule",
    roles=AFTERCARE_ROLES,
    response=MaintenanceSchedule,
)
def maintenance_schedule(serial_number: str) -> MaintenanceSchedule:
    schedule = _aftercare().schedule_of(serial_number[:MAX_SERIAL])
    if schedule is None:
        raise problem(404, "not_found", language(blueprint))
    return schedule  # type: ignore[no-any-return]


@operation(
    blueprint,
    "POST",
    "/maintenance",
    "Give a product its maintenance schedule (an interval from a start date, and/or dates); replaces the one it had",
    roles=AFTERCARE_ROLES,
    request=MaintenanceInput,
    response=MaintenanceSchedule,
)
def set_schedule(form: MaintenanceInput) -> MaintenanceSchedule:
    return _aftercare().set_schedule(form, actor=current_staff())  # type: ignore[no-any-return]


@operation(
    blueprint,
    "GET",
    "/tickets/{number}/survey",
    "A closed job's satisfaction survey: sent, open until, the customer's answer",
    roles=SURVEY_READERS,
    response=SurveyStatus,
)
def survey(number: str) -> SurveyStatus:
    if len(number) > MAX_NUMBER_LENGTH:
        raise problem(404, "ticket_not_found", language(blueprint))
    ticket = _aftercare().ticket(number)
    state = None
    if ticket.survey_until is not None:
        now = wiring.services().clock.now()
        state = survey_state(answered=ticket.survey is not None, until=ticket.survey_until, now=now).value
    return SurveyStatus(
        number=ticket.number,
        state=state,
        sent_at=ticket.survey_sent_at,
        open_until=ticket.survey_until,
        answer=ticket.survey,
    )
