"""What a person sees from the link in an escalation message: the ticket, its whole schedule with
the reason for every deadline, the full timeline, and a button to take what the message was about.

The signed link is the credential (it names the ticket, the breach and the recipient, and expires),
so a chief engineer can act from a phone without an account.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.i18n import t
from chalicelib.i18n.events import taken_suffix
from chalicelib.services.ports import BadLink
from chalicelib.services.sla import StillChanging
from chalicelib.web.errors import guarded
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)


def _page(token: str, notice: str | None = None) -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    sla = wiring.services().sla
    try:
        claims, ticket, events = sla.open_link(token)
    except BadLink:
        return render(request, "message.html", status=404, heading=t(lang, "error.not_found"),
                      message=t(lang, "ack.bad_link"))
    return render(
        request,
        "escalation.html",
        token=token,
        claims=claims,
        ticket=ticket,
        schedule=sla.schedule(ticket, events),
        timeline=events,
        acknowledged=sla.taken_by(claims),
        take=t(lang, "ack.take" + taken_suffix(claims.get("kind"))),
        notice=notice,
    )


@blueprint.route("/escalations/{token}", methods=["GET"])
@guarded(blueprint)
def escalation_page(token: str) -> Response:
    return _page(token)


@blueprint.route(
    "/escalations/{token}/acknowledge", methods=["POST"], content_types=["application/x-www-form-urlencoded"]
)
@guarded(blueprint)
def acknowledge(token: str) -> Response:
    lang = language_of(blueprint.current_request)
    try:
        ticket, recorded = wiring.services().sla.acknowledge(token)
        claims = wiring.services().sla.open_link(token)[0]
    except BadLink:
        return _page(token)
    except StillChanging:
        return _page(token, t(lang, "ack.busy"))
    suffix = taken_suffix(claims.get("kind"))
    notice = t(lang, f"ack.done{suffix}", name=claims.get("name", "")) if recorded else t(lang, f"ack.already{suffix}")
    return _page(token, notice)
