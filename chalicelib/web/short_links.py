"""``/l/<id>``: the short links SMS carry, redirected to the long link they stand for."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.i18n import t
from chalicelib.web.errors import guarded
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)


@blueprint.route("/l/{short_id}", methods=["GET"])
@guarded(blueprint)
def short_link(short_id: str) -> Response:
    target = wiring.short_links().target(short_id)
    if target is None:
        # Nothing says whose link it was: the browser's language is the best guess.
        request = blueprint.current_request
        lang = language_of(request, default=request.headers.get("accept-language"))
        return render(
            blueprint.current_request,
            "message.html",
            status=404,
            heading=t(lang, "app.title"),
            message=t(lang, "error.short_link"),
        )
    # 302, not 301: a browser must not remember a link that expires.
    return Response(body="", status_code=302, headers={"Location": target, "Cache-Control": "no-store"})
