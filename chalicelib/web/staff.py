"""The staff home: where a signed-in person lands, with the pages their roles open."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import guarded
from chalicelib.web.rendering import render

blueprint = Blueprint(__name__)


@blueprint.route("/staff", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint)
def staff_home() -> Response:
    return render(blueprint.current_request, "staff_home.html", user=current_staff())
