"""Who may take which step of a complaint (003 §3, the table in ``complaints.py``'s docstring).

``ComplaintService`` checks it on the complaint as it is when the step is written; the pages read it to
offer only the steps someone may take. (Apart from ``complaints.py``: the staff roles module reads the
ticket, which embeds the complaint.)
"""

from __future__ import annotations

from chalicelib.domain.complaints import Approver, Complaint
from chalicelib.domain.staff import StaffRole

_DESK_SIDE = frozenset({StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.ADMIN})
# Who may take each step; "decide" (approve or reject a resolution) is the approver the flow waits for.
STEP_ROLES: dict[str, frozenset[StaffRole]] = {
    "record": _DESK_SIDE,
    "reply": _DESK_SIDE,
    "propose": _DESK_SIDE,
    "agree": _DESK_SIDE,
    "close": _DESK_SIDE,
    "analyse": frozenset({StaffRole.SUPERVISOR, StaffRole.QUALITY, StaffRole.ADMIN}),
    "capa": frozenset({StaffRole.QUALITY, StaffRole.ADMIN}),
    "capa_update": frozenset({StaffRole.QUALITY, StaffRole.ADMIN}),
}
APPROVER_ROLE = {Approver.SUPERVISOR: StaffRole.SUPERVISOR, Approver.GENERAL_MANAGER: StaffRole.GENERAL_MANAGER}


def may_take(step: str, roles: frozenset[StaffRole], complaint: Complaint | None) -> bool:
    """Whether someone with ``roles`` may take ``step`` of the complaint as it is now."""
    if step == "decide":
        expected = complaint.next_approval() if complaint else None
        return expected is not None and APPROVER_ROLE[expected] in roles
    return bool(STEP_ROLES.get(step, frozenset()) & roles)
