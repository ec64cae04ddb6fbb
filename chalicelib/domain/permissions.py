"""Who may take which step of the desk's, the paperwork's and the approvals' use cases (SPEC "Who uses
it"; 000 §4.2–4.5, §4.3.1, §4.4.3).

The services check it on the ticket as it is when the step is written, so a refusal does not depend on a
page having hidden a button; the pages and the staff API gate their routes with the same roles. The
technician's own steps on site are checked by ``FieldWorkService`` (only the technician dispatched to
the job) and a complaint's by ``complaint_roles``.

An actor named by a string, not a signed-in staff member, is a caller that answers for itself: a
scheduled job, an import, a benchmark or a test.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Ticket

Actor = StaffUser | str

R = StaffRole
MANAGERS = frozenset({R.SUPERVISOR, R.ADMIN})
OFFICE = MANAGERS | {R.DESK}

# Each step and the roles that take it. A step a technician may take is his only on a job he is dispatched
# to; the office's roles take it on any ticket.
STEP_ROLES: dict[Action, frozenset[StaffRole]] = {
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
}


class NotPermitted(Exception):
    """This staff member's roles do not take this step (``STEP_ROLES``), or, as a technician, not on a job
    he is not dispatched to."""

    def __init__(self, action: Action, username: str):
        super().__init__(f"{username} may not {action.value}")
        self.action = action
        self.username = username


def name_of(actor: Actor) -> str:
    return actor.username if isinstance(actor, StaffUser) else actor


def may_take(action: Action, user: StaffUser, ticket: Ticket) -> bool:
    """Whether ``user`` may take ``action`` on ``ticket`` as it is now."""
    roles = STEP_ROLES.get(action, frozenset()) & user.roles
    return bool(roles - {R.TECHNICIAN}) or (R.TECHNICIAN in roles and user.username in ticket.assignees)


def check_step(actor: Actor, action: Action, ticket: Ticket) -> None:
    """Refuses the step (``NotPermitted``) unless ``actor`` may take it; a caller named by a string
    answers for itself."""
    if isinstance(actor, StaffUser) and not may_take(action, actor, ticket):
        raise NotPermitted(action, actor.username)


def guard(actor: Actor, action: Action) -> Callable[[Ticket], None]:
    """``check_step`` as a move's check: run on the ticket as it is read for the write."""
    return lambda ticket: check_step(actor, action, ticket)
