"""Who is on call: the supervisor names, for each level of the escalation ladder, who answers a 24/7 job's
deadlines out of working hours (the rota changes every week; ``ops.config on-call`` does the same from a
terminal). Nobody named means the level's own holders are told at any hour."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from chalice import Blueprint, Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from chalicelib import wiring
from chalicelib.domain.escalation import LADDER, Person
from chalicelib.domain.intake import normalize_phone
from chalicelib.domain.plans import Role
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import t
from chalicelib.services.sla import StillChanging
from chalicelib.settings import get_settings
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import guarded
from chalicelib.web.forms import InvalidFields, query_of, read_form, validate
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
ROTA_KEEPERS = (StaffRole.SUPERVISOR, StaffRole.ADMIN)
_SCOPE = r"^(default|region:CN-[A-Z]{2}|product:[A-Za-z0-9._-]{1,40})$"


def _blank_is_none(value: object) -> object:
    return value.strip() or None if isinstance(value, str) else value


class OnCallForm(BaseModel):
    """Set someone on call (a name and a way to reach them) or, with ``clear``, nobody."""

    model_config = ConfigDict(extra="ignore")

    scope: Annotated[str, StringConstraints(strip_whitespace=True, pattern=_SCOPE)] = "default"
    level: Role
    # The constraints apply to a value, not to "none given" (a blank field).
    name: Annotated[Annotated[str, StringConstraints(max_length=60)] | None, BeforeValidator(_blank_is_none)] = None
    phone: Annotated[str | None, BeforeValidator(_blank_is_none), AfterValidator(
        lambda v: normalize_phone(v) if v else v)] = None
    email: Annotated[
        Annotated[str, StringConstraints(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")] | None,
        BeforeValidator(_blank_is_none),
    ] = None
    clear: str | None = None

    def holder(self, lang: str) -> Person | None:
        if self.clear:
            return None
        if not self.name:
            raise InvalidFields({"name": t(lang, "error.required")})
        if not (self.phone or self.email):
            raise InvalidFields({"phone": t(lang, "sup.on_call.reach")})
        return Person(name=self.name, phone=self.phone, email=self.email)


@blueprint.route("/staff/on-call", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *ROTA_KEEPERS)
def on_call_page() -> Response:
    saved = query_of(blueprint.current_request).get("saved")
    return _page(saved=saved if saved in {r.value for r in LADDER} else None)


@blueprint.route("/staff/on-call", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
@staff_only(blueprint, *ROTA_KEEPERS)
@answered_once(blueprint)
def set_on_call() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body)
    try:
        change = validate(OnCallForm, form, lang)
        if change.level not in LADDER:
            raise InvalidFields({"level": t(lang, "sup.on_call.bad_level")})
        holder = change.holder(lang)
    except InvalidFields as error:
        problems = "; ".join(f"{t(lang, f'sup.on_call.field.{name}')}: {text}" for name, text in error.fields.items())
        return _page(errors={str(form.get("level", "")): problems}, values=form, status=400)
    try:
        wiring.services().sla.set_on_call(change.scope, change.level, holder, actor=current_staff())
    except StillChanging:
        return _page(errors={change.level.value: t(lang, "sup.on_call.busy")}, values=form, status=409)
    root = urlsplit(get_settings().public_base_url).path.rstrip("/")
    return Response(body="", status_code=303, headers={
        "Location": f"{root}/staff/on-call?{urlencode({'saved': change.level.value, 'lang': lang})}"})


def _page(*, saved: str | None = None, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
          status: int = 200) -> Response:
    rosters = wiring.services().sla.rosters()
    return render(blueprint.current_request, "on_call.html", status=status, rosters=rosters, levels=LADDER,
                  saved=saved, errors=errors or {}, values=values or {})
