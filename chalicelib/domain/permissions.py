"""Who may take which step of the desk's, the paperwork's and the approvals' use cases (SPEC "Who uses
it"; 000 §4.2–4.5, §4.3.1, §4.4.3), and the office's work beyond one job (``Work``: after-care, the
archive and its nameplates, webhooks, integrations' credentials, the monthly report, the on-call rota).

The services check it on the ticket as it is when the step is written, so a refusal does not depend on a
page having hidden a button; the pages and the staff API gate their routes with the same roles. The
technician's own steps on site are checked by ``FieldWorkService`` (only the technician dispatched to
the job) and a complaint's by ``complaint_roles``.

A caller that is no signed-in person says so with a ``SystemActor``: a scheduled job, a subscriber
finishing a step a person was checked for when he took it, the operator's command line or a benchmark.
It answers for itself and is not checked; a plain string is no actor at all, so a page that forgets the
signed-in person fails type checking (and is refused at run time) instead of being trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Ticket


@dataclass(frozen=True)
class SystemActor:
    """A caller trusted with the step, not checked: ``name`` is what the step records as its actor (the
    job's name, such as ``sla-sweep``, or the person whose step, already checked, a subscriber finishes)."""

    name: str


Actor = StaffUser | SystemActor


class Work(StrEnum):
    """The office's use cases that are not a move of one ticket, checked against the same table."""

    SCHEDULE_MAINTENANCE = "schedule_maintenance"
    EDIT_ARCHIVE = "edit_archive"
    IMPORT_ARCHIVE = "import_archive"
    PRINT_NAMEPLATES = "print_nameplates"
    WITHDRAW_NAMEPLATE = "withdraw_nameplate"
    MANAGE_WEBHOOKS = "manage_webhooks"
    MANAGE_API_CLIENTS = "manage_api_clients"
    BUILD_REPORT = "build_report"
    KEEP_ON_CALL_ROTA = "keep_on_call_rota"


Step = Action | Work

R = StaffRole
MANAGERS = frozenset({R.SUPERVISOR, R.ADMIN})
OFFICE = MANAGERS | {R.DESK}
# who reads the archive (its customers, products and their codes) and the monthly report
ARCHIVE_READERS = OFFICE | {R.QUALITY, R.CHIEF_ENGINEER, R.GENERAL_MANAGER}
REPORT_READERS = MANAGERS | {R.QUALITY, R.CHIEF_ENGINEER, R.GENERAL_MANAGER}

# Each step and the roles that take it. A step a technician may take is his only on a job he is dispatched
# to; the office's roles take it on any ticket.
STEP_ROLES: dict[Step, frozenset[StaffRole]] = {
    # the desk (000 §4.4): classify (and agree the date), dispatch, pause and resume the clock, cancel
    Action.CLASSIFY: MANAGERS,
    Action.RECORD_CONTACT: OFFICE,
    Action.DISPATCH: MANAGERS,
    Action.CHECK_IN: frozenset({R.TECHNICIAN}),
    Action.PAUSE: MANAGERS,
    Action.RESUME: MANAGERS,
    Action.CANCEL: MANAGERS,
    # a paid job (000 §4.3.1): money is the supervisor's, not the desk's
    Action.DECIDE_BILLING: MANAGERS,
    Action.DRAFT_QUOTE: MANAGERS,
    Action.SEND_QUOTE: MANAGERS,
    Action.INVOICE: MANAGERS,
    Action.RECORD_PAYMENT: MANAGERS,
    # parts (售后服务处理单): the technical review is the chief engineer's too
    Action.REQUEST_PARTS: MANAGERS | {R.TECHNICIAN},
    Action.REVIEW_PARTS: MANAGERS | {R.CHIEF_ENGINEER},
    Action.PARTS_LEAD_TIME: MANAGERS | {R.CHIEF_ENGINEER},
    Action.SHIP_PARTS: MANAGERS,
    Action.RECEIVE_PARTS: MANAGERS | {R.TECHNICIAN},
    # a loaner (002 §6.1)
    Action.ISSUE_LOANER: MANAGERS | {R.TECHNICIAN},
    Action.RETURN_LOANER: MANAGERS | {R.TECHNICIAN},
    # the supervisor's approvals: closing a job, sending it back, a visit outside working time (000 §4.4.3)
    Action.APPROVE: MANAGERS,
    Action.REJECT_CLOSURE: MANAGERS,
    Action.DECIDE_OVERTIME: MANAGERS,
    # after-care (003 §2, §4.1): the follow-up calls and the maintenance plan are the office's
    Action.RECORD_CALLBACK: OFFICE,
    Work.SCHEDULE_MAINTENANCE: OFFICE,
    # the archive of customers and installed products, and the codes on their nameplates
    Work.EDIT_ARCHIVE: OFFICE,
    Work.IMPORT_ARCHIVE: OFFICE,
    Work.PRINT_NAMEPLATES: ARCHIVE_READERS,
    Work.WITHDRAW_NAMEPLATE: OFFICE,
    # where the desk's events are sent and who sends us work, and who is on call for the escalations (000 §4.4.2)
    Work.MANAGE_WEBHOOKS: frozenset({R.ADMIN}),
    # the integrations' credentials: an administrator's, and a person's only (``services/api_clients.py``)
    Work.MANAGE_API_CLIENTS: frozenset({R.ADMIN}),
    Work.KEEP_ON_CALL_ROTA: MANAGERS,
    # a month's report built again by its readers (001 §5.4)
    Work.BUILD_REPORT: REPORT_READERS,
}


class NotPermitted(Exception):
    """This staff member's roles do not take this step (``STEP_ROLES``), or, as a technician, not on a job
    he is not dispatched to."""

    def __init__(self, action: Step, username: str):
        super().__init__(f"{username} may not {action.value}")
        self.action = action
        self.username = username


def staff_of(actor: Actor) -> StaffUser | None:
    """The staff member to check, or none for a system actor. Anything else (a bare name) is refused
    rather than trusted."""
    if isinstance(actor, StaffUser):
        return actor
    if isinstance(actor, SystemActor):
        return None
    raise TypeError(f"an actor is a staff member or a SystemActor, not {type(actor).__name__}")


def name_of(actor: Actor) -> str:
    """What the step records as its actor: the person's username, or the system actor's name."""
    staff_of(actor)  # a bare name is refused here too
    return actor.username if isinstance(actor, StaffUser) else actor.name


def may_take(action: Action, user: StaffUser, ticket: Ticket) -> bool:
    """Whether ``user`` may take ``action`` on ``ticket`` as it is now."""
    roles = STEP_ROLES.get(action, frozenset()) & user.roles
    return bool(roles - {R.TECHNICIAN}) or (R.TECHNICIAN in roles and user.username in ticket.assignees)


def check_work(actor: Actor, work: Step) -> None:
    """Refuses ``work`` (``NotPermitted``) unless the actor's roles take it: the office's work that no
    technician takes on a job of his (a callback, the archive, the rota); a system actor answers for
    itself."""
    user = staff_of(actor)
    if user is not None and not STEP_ROLES.get(work, frozenset()) & user.roles:
        raise NotPermitted(work, user.username)


def check_step(actor: Actor, action: Action, ticket: Ticket) -> None:
    """Refuses the step (``NotPermitted``) unless ``actor`` may take it; a system actor answers for
    itself."""
    user = staff_of(actor)
    if user is not None and not may_take(action, user, ticket):
        raise NotPermitted(action, user.username)


def guard(actor: Actor, action: Action) -> Callable[[Ticket], None]:
    """``check_step`` as a move's check: run on the ticket as it is read for the write."""
    return lambda ticket: check_step(actor, action, ticket)
