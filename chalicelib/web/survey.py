"""The customer's satisfaction survey (001 §3.5, 000 §4.6.1): a short phone-sized form behind the signed,
expiring link sent when the job was approved. One answer per job."""

from __future__ import annotations

from urllib.parse import urlsplit

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.aftercare import SCORES, SurveyClosed, SurveyInput, SurveyState
from chalicelib.i18n import t
from chalicelib.services.aftercare import UnknownSurvey
from chalicelib.settings import get_settings
from chalicelib.web.errors import guarded
from chalicelib.web.forms import InvalidFields, query_of, read_form, validate
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
STATUS_OF = {SurveyState.OPEN: 200, SurveyState.ANSWERED: 409, SurveyState.EXPIRED: 410}


# GET and POST are separate routes: the dev server refuses a GET on a route that names content types.
@blueprint.route("/s/{token}", methods=["GET"])
@guarded(blueprint)
def survey_page(token: str) -> Response:
    try:
        view = wiring.services().aftercare.survey(token)
    except UnknownSurvey:
        return _unknown()
    done = query_of(blueprint.current_request).get("done") == "1"
    status = 200 if done else STATUS_OF[view.state]
    return _page(view.ticket.number, view.state, done=done, status=status)


@blueprint.route("/s/{token}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
def survey_answer(token: str) -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body)
    aftercare = wiring.services().aftercare
    try:
        view = aftercare.survey(token)
        aftercare.answer(token, validate(SurveyInput, form, lang))
    except UnknownSurvey:
        return _unknown()
    except InvalidFields as invalid:
        return _page(view.ticket.number, SurveyState.OPEN, errors=invalid.fields, values=form, status=400)
    except SurveyClosed as closed:
        return _page(view.ticket.number, closed.state, status=STATUS_OF[closed.state])
    return Response(body="", status_code=303, headers={"Location": f"{_root()}/s/{token}?done=1&lang={lang}"})


def _page(number: str, state: SurveyState, *, done: bool = False, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None, status: int = 200) -> Response:
    return render(blueprint.current_request, "survey.html", status=status, number=number, state=state.value,
                  done=done, scores=SCORES, errors=errors or {}, values=values or {})


def _unknown() -> Response:
    lang = language_of(blueprint.current_request)
    return render(blueprint.current_request, "message.html", status=404, heading=t(lang, "aftercare.survey.title"),
                  message=t(lang, "aftercare.survey.unknown"))


def _root() -> str:
    return urlsplit(get_settings().public_base_url).path.rstrip("/")
