"""The staff home: where a signed-in person lands, with the pages their roles open."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain.staff import StaffRole
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.billing import OPEN_PARTS_READERS, RECEIVABLE_READERS
from chalicelib.web.errors import guarded
from chalicelib.web.rendering import render
from chalicelib.web.reports import REPORT_READERS
from chalicelib.web.search import SEARCHERS

blueprint = Blueprint(__name__)


# (words key, path, roles that see the link): one row per page a role may open from here.
HOME_LINKS: list[tuple[str, str, frozenset[StaffRole]]] = [
    ("sup.link.queue", "/staff/queue", frozenset({StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.ADMIN,
                                                  StaffRole.CHIEF_ENGINEER, StaffRole.GENERAL_MANAGER})),
    ("sup.link.new_request", "/staff/requests/new", frozenset({StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.ADMIN})),
    # The technician's phone and closure approvals (chalicelib/web/technician.py, approvals.py).
    ("staff.link.jobs", "/staff/jobs", frozenset({StaffRole.TECHNICIAN})),
    ("staff.link.approvals", "/staff/approvals", frozenset({StaffRole.SUPERVISOR, StaffRole.ADMIN})),
    ("sup.link.on_call", "/staff/on-call", frozenset({StaffRole.SUPERVISOR, StaffRole.ADMIN})),
    ("billing.open_parts", "/staff/parts", frozenset(OPEN_PARTS_READERS)),
    ("billing.receivables", "/staff/receivables", frozenset(RECEIVABLE_READERS)),
    ("archive.link", "/staff/archive", frozenset({StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.ADMIN,
                                                 StaffRole.QUALITY, StaffRole.CHIEF_ENGINEER,
                                                 StaffRole.GENERAL_MANAGER})),
    # After closure: callbacks, maintenance visits, complaints.
    ("aftercare.link.callbacks", "/staff/callbacks", frozenset({StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.ADMIN})),
    ("aftercare.link.maintenance", "/staff/maintenance", frozenset({StaffRole.DESK, StaffRole.SUPERVISOR,
                                                                   StaffRole.ADMIN})),
    ("complaints.link", "/staff/complaints", frozenset({StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.QUALITY,
                                                        StaffRole.GENERAL_MANAGER, StaffRole.ADMIN})),
    ("report.page", "/staff/reports", frozenset(REPORT_READERS)),
    ("search.link", "/staff/search", SEARCHERS),
    ("webhooks.link", "/staff/webhooks", frozenset({StaffRole.ADMIN})),
    ("apiclients.link", "/staff/api-clients", frozenset({StaffRole.ADMIN})),
]


@blueprint.route("/staff", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint)
def staff_home() -> Response:
    user = current_staff()
    links = [(key, path) for key, path, roles in HOME_LINKS if user.has_any(roles)]
    return render(blueprint.current_request, "staff_home.html", user=user, links=links)
