"""The customer's one action on a paid job: approve or decline the quote from their tracking link.

Approving is signing the service agreement (000 §4.3.1). The answer is bound to the ticket behind the
token and to the quote revision the customer saw; the same answer twice changes nothing. The quote
itself is shown on the tracking page (``templates/_quote_customer.html``).
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.billing import BillingError
from chalicelib.domain.ticket import IllegalTransition
from chalicelib.i18n import t
from chalicelib.services.billing import UnknownQuoteLink
from chalicelib.services.ports import StaleTicket
from chalicelib.web.errors import guarded
from chalicelib.web.forms import query_of, read_form
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)


@blueprint.route("/t/{token}/quote", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
def answer_quote(token: str) -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body)
    decision = str(form.get("decision", ""))
    revision = str(form.get("revision", ""))
    if decision not in ("approve", "decline") or not revision.isdecimal() or len(revision) > 6:
        return render(request, "message.html", status=400, heading=t(lang, "quote.title"),
                      message=t(lang, "error.invalid"))
    try:
        wiring.services().billing.answer_quote(token, approve=decision == "approve", revision=int(revision),
                                               reason=str(form.get("decline_reason", "")) or None)
    except UnknownQuoteLink:
        return render(request, "message.html", status=404, heading=t(lang, "error.not_found"),
                      message=t(lang, "error.not_found.tracking"))
    except (BillingError, IllegalTransition, StaleTicket) as error:
        code = getattr(error, "code", "illegal_transition" if isinstance(error, IllegalTransition) else "stale")
        return render(request, "message.html", status=409, heading=t(lang, "quote.title"),
                      message=t(lang, f"billing.error.{code}"))
    suffix = "&lang=en" if lang == "en" and query_of(request).get("lang") else ""
    root = wiring.services().billing.tracking_url(token)
    return Response(body="", status_code=303, headers={"Location": f"{root}?answered=1{suffix}#quote"})
