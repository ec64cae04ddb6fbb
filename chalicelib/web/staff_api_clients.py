"""The staff API of integrations' credentials (the administrator's ``/staff/api-clients`` page): the
Cognito app clients made as integrations, with the roles (scopes) each acts in; make one (its secret in
that answer only) or revoke one. Never the staff's own sign-in client.

Admins only, and people only: an integration, even one with the admin scope, may not make or revoke
the credentials of integrations (nor its own), so a leaked secret cannot mint lasting new ones. The
rules on a name and its roles are the page's (``api_clients_page.checked``), the clients
``CognitoApiClients``'.
"""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.adapters.cognito import ApiClient
from chalicelib.web.api_clients_page import ADMINS, MAX_ID, ApiClientForm, checked
from chalicelib.web.auth import current_staff
from chalicelib.web.staff_api_kit import PAGE_QUERY, language, operation, page, problem

blueprint = Blueprint(__name__)
PEOPLE_ONLY = "people only: an integration's token is refused"


class ApiClientRow(BaseModel):
    client_id: str
    name: str = Field(description="As made, without Cognito's api- prefix")
    roles: list[str] = Field(description="The roles it acts in: its service-desk/<role> scopes")


class ApiClientPage(BaseModel):
    items: list[ApiClientRow]
    cursor: str | None


class MadeApiClient(ApiClientRow):
    secret: str | None = Field(
        description="The client secret, in this answer only (never stored here: a repeat with the same "
        "Idempotency-Key answers the client with null). Lost: revoke the client and make another"
    )


def _row(found: ApiClient) -> ApiClientRow:
    return ApiClientRow(client_id=found.client_id, name=found.name, roles=list(found.roles))


@operation(
    blueprint,
    "GET",
    "/api-clients",
    "Integrations' clients, by name, with the roles they act in (no secrets)",
    roles=ADMINS,
    response=ApiClientPage,
    query=PAGE_QUERY,
)
def api_clients() -> ApiClientPage:
    shown, cursor = page(blueprint, wiring.api_clients().clients(), lambda c: (c.name, c.client_id))
    return ApiClientPage(items=[_row(found) for found in shown], cursor=cursor)


@operation(
    blueprint,
    "POST",
    "/api-clients",
    f"Make an integration's client with the roles it acts in; its secret is in this answer only ({PEOPLE_ONLY})",
    roles=ADMINS,
    response=MadeApiClient,
    request=ApiClientForm,
    read=lambda body, lang: checked(lang, body),
    status=201,
    people_only=True,
    secret="secret",
)
def make_api_client(form: ApiClientForm) -> MadeApiClient:
    made = wiring.api_clients().add(form.name, form.roles, actor=current_staff())
    return MadeApiClient(**_row(made).model_dump(), secret=made.secret)


@operation(
    blueprint,
    "DELETE",
    "/api-clients/{client_id}",
    f"Revoke an integration's client: its tokens stop working within the hour ({PEOPLE_ONLY})",
    roles=ADMINS,
    response=None,
    status=204,
    people_only=True,
    parameter_schemas={"client_id": {"minLength": 1, "maxLength": MAX_ID}},
)
def revoke_api_client(client_id: str) -> None:
    # Gone already, or not an integration's (the staff's sign-in client): nothing of ours to revoke.
    if not wiring.api_clients().remove(client_id[:MAX_ID], actor=current_staff()):
        raise problem(404, "api_client_not_found", language(blueprint))
