"""Staff search: find a ticket by number, phone, serial, or a fragment of the customer's name, contact
or address, with filters. The office searches every ticket; a technician only their own jobs."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.search import MAX_QUERY, SearchQuery
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Priority, Status
from chalicelib.i18n import t
from chalicelib.services.search import BadCursor
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import guarded
from chalicelib.web.forms import InvalidFields, validate
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)

SEARCHERS = frozenset(StaffRole)  # every role; technicians are held to their own jobs below
MAX_CURSOR = 2000
FIELDS = ("q", "status", "priority", "province", "assignee", "overdue")


@blueprint.route("/staff/search", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *SEARCHERS)
def search_page() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    params = {k: str(v) for k, v in (request.query_params or {}).items() if k in FIELDS}
    user = current_staff()
    office = bool(user.roles - {StaffRole.TECHNICIAN})
    if not office:
        params["assignee"] = user.username  # a technician finds only the jobs dispatched to them
    cursor = str((request.query_params or {}).get("cursor", "")) or None  # type: ignore[call-overload]
    context: dict[str, Any] = {"filters": params, "office": office, "statuses": list(Status), "priorities": [p.value for p in Priority],
               "max_query": MAX_QUERY}
    try:
        query = validate(SearchQuery, params, lang)
    except InvalidFields as invalid:
        return render(request, "staff_search.html", status=400, page=None, errors=invalid.fields, **context)
    try:
        if cursor is not None and len(cursor) > MAX_CURSOR:
            raise BadCursor("too long")
        page = wiring.search().search(query, cursor, reader=user)
    except BadCursor:
        return render(request, "staff_search.html", status=400, page=None,
                      errors={"cursor": t(lang, "search.bad_cursor")}, **context)
    return render(request, "staff_search.html", page=page, errors={}, **context)
