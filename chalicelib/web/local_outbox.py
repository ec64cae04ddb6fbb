"""The local outbox page: every email and SMS the system sent, so a person trying the product sees
what customers and staff would receive. Exists only in local mode."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.adapters.local_sent_messages import sent_messages
from chalicelib.i18n import t
from chalicelib.settings import get_settings
from chalicelib.web.errors import guarded
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)


@blueprint.route("/local/outbox", methods=["GET"])
@guarded(blueprint)
def outbox() -> Response:
    request = blueprint.current_request
    settings = get_settings()
    if not settings.local_mode or not settings.aws_endpoint_url:
        lang = language_of(request)
        return render(request, "message.html", status=404, heading=t(lang, "error.not_found"),
                      message=t(lang, "error.local_only"))
    return render(request, "outbox.html", messages=sent_messages(settings.aws_endpoint_url))
