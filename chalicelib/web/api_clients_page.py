"""The administrator's page of integrations' credentials for the staff API: the Cognito app clients that
get access tokens by client credentials, with the roles (scopes) each acts in; make one (its secret is
shown once) or revoke one. The same operations as ``python -m ops.api_clients``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from chalice import Blueprint, Response
from pydantic import BaseModel, Field, StringConstraints

from chalicelib import wiring
from chalicelib.adapters.cognito import MACHINE_ROLES, ApiClient
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import t
from chalicelib.settings import get_settings
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import guarded
from chalicelib.web.forms import InvalidFields, query_of, read_form, validate
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
ADMINS = (StaffRole.ADMIN,)
ROLES = sorted(MACHINE_ROLES)
MAX_ID = 128
_FORM = ["application/x-www-form-urlencoded"]


class ApiClientForm(BaseModel):
    # Cognito's client names allow these; "api-" goes in front.
    name: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.@-]{1,60}$")]
    roles: list[Annotated[str, Field(json_schema_extra={"enum": ROLES})]] = Field(min_length=1)


def checked(lang: str, data: dict[str, Any]) -> ApiClientForm:
    """A new client's name and roles (the page's form, or the staff API's body); refused with the
    page's words per field: a name Cognito does not take, no role, or a role no machine acts in."""
    errors: dict[str, str] = {}
    made: ApiClientForm | None = None
    try:
        made = validate(ApiClientForm, data, lang)
    except InvalidFields as invalid:
        errors = {field: t(lang, f"apiclients.error.{field}") for field in invalid.fields if field in ("name", "roles")}
    roles = data.get("roles")
    if isinstance(roles, list) and any(not isinstance(role, str) or role not in MACHINE_ROLES for role in roles):
        errors["roles"] = t(lang, "apiclients.error.roles")
    if errors or made is None:
        raise InvalidFields(errors or {"roles": t(lang, "apiclients.error.roles")})
    return made


def _page(
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    made: ApiClient | None = None,
) -> Response:
    request = blueprint.current_request
    return render(
        request,
        "staff_api_clients.html",
        status=status,
        clients=wiring.api_clients().clients(),
        roles=ROLES,
        errors=errors or {},
        values=values or {"roles": []},
        made=made,
        revoked=query_of(request).get("done") == "revoked",
    )


@blueprint.route("/staff/api-clients", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
def api_clients_page() -> Response:
    return _page()


# Not answered_once: the answer shows the client's secret, which must be kept nowhere (a repeated form
# makes a second client, listed, and revoked the same way).
@blueprint.route("/staff/api-clients", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
def add_api_client() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body, list_fields=frozenset({"roles"}))
    values = {"name": str(form.get("name", ""))[:200], "roles": [r for r in form.get("roles", []) if r in ROLES]}
    try:
        data = checked(lang, {**values, "roles": form.get("roles", [])})
    except InvalidFields as invalid:
        return _page(400, invalid.fields, values)
    made = wiring.api_clients().add(data.name, data.roles, actor=current_staff())
    response = _page(201, made=made)
    response.headers["Cache-Control"] = "no-store"  # the secret is on it
    return response


@blueprint.route("/staff/api-clients/{client_id}/revoke", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
@answered_once(blueprint)
def revoke_api_client(client_id: str) -> Response:
    lang = language_of(blueprint.current_request)
    # Revoked already (another admin, or the form sent twice), or not an integration's: the list says so.
    wiring.api_clients().remove(client_id[:MAX_ID], actor=current_staff())
    root = urlsplit(get_settings().public_base_url).path.rstrip("/")
    return Response(
        body="", status_code=303, headers={"Location": f"{root}/staff/api-clients?done=revoked&lang={lang}"}
    )
