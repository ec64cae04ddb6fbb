"""The staff API of integrations' credentials, over moto's Cognito: as on the admin's page, an admin
makes a client with the roles it acts in (its secret in that answer only, never cached), lists it with
its scopes and revokes it; the staff's sign-in client is not an integration's and stays; a wrong name or
role is a 400 per field, another role a 403. An integration never manages these credentials, even with
the admin scope."""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters.aws import client as aws_client
from chalicelib.domain.staff import StaffRole
from tests.integration.test_staff_api import JSON, machine

CLIENTS = "/api/v1/api-clients"


@pytest.fixture
def admin(staff_token):
    return {**JSON, "Authorization": f"Bearer {staff_token('ops-admin', StaffRole.ADMIN)}"}


def make(client, headers, body, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.http.post(CLIENTS, body=json.dumps(body), headers={**headers, **extra})


def listed(client, headers) -> dict[str, list[str]]:
    answer = client.http.get(CLIENTS, headers=headers)
    assert answer.status_code == 200
    return {row["client_id"]: row["roles"] for row in answer.json_body["items"]}


def test_an_admin_makes_a_client_sees_its_secret_once_and_revokes_it(client, aws, admin):
    assert listed(client, admin) == {}

    made = make(client, admin, {"name": "erp", "roles": ["supervisor", "desk"]})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    client_id, secret = made.json_body["client_id"], made.json_body["secret"]
    assert secret and made.json_body["roles"] == ["desk", "supervisor"]
    described = aws_client("cognito-idp").describe_user_pool_client(UserPoolId=aws["user_pool_id"], ClientId=client_id)
    assert sorted(described["UserPoolClient"]["AllowedOAuthScopes"]) == ["service-desk/desk", "service-desk/supervisor"]

    assert listed(client, admin) == {client_id: ["desk", "supervisor"]}
    assert secret not in client.http.get(CLIENTS, headers=admin).body.decode(), "the list shows no secret"

    assert client.http.delete(f"{CLIENTS}/{client_id}", headers=admin).status_code == 204
    assert listed(client, admin) == {}
    again = client.http.delete(f"{CLIENTS}/{client_id}", headers=admin)
    assert again.status_code == 404 and again.json_body["error"] == "api_client_not_found"


def test_a_repeat_with_the_same_key_makes_no_second_client_and_shows_no_secret_another_key_does(client, aws, admin):
    first = make(client, admin, {"name": "crm", "roles": ["desk"]}, key="crm-1")
    assert first.status_code == 201 and first.json_body["secret"]

    repeat = make(client, admin, {"name": "crm", "roles": ["desk"]}, key="crm-1")
    assert repeat.status_code == 201 and repeat.headers["Cache-Control"] == "no-store"
    assert repeat.json_body == {**first.json_body, "secret": None}
    assert list(listed(client, admin)) == [first.json_body["client_id"]]

    other = make(client, admin, {"name": "crm", "roles": ["desk"]}, key="crm-2")
    assert other.status_code == 201 and other.json_body["secret"] != first.json_body["secret"]
    assert set(listed(client, admin)) == {first.json_body["client_id"], other.json_body["client_id"]}


def test_the_staff_sign_in_client_is_not_an_integrations_and_stays(client, aws, admin):
    staff_client = aws["user_pool_client_id"]
    refused = client.http.delete(f"{CLIENTS}/{staff_client}", headers={**admin, "Accept-Language": "en"})
    assert refused.status_code == 404 and "staff sign-in client" in refused.json_body["message"]
    aws_client("cognito-idp").describe_user_pool_client(UserPoolId=aws["user_pool_id"], ClientId=staff_client)


def test_a_long_client_id_sent_with_a_key_is_no_client_not_a_server_error(client, admin):
    # The key a write is kept under holds the path's values: however long they are, it must fit.
    refused = client.http.delete(f"{CLIENTS}/{'x' * 600}é{'y' * 600}", headers={**admin, "Idempotency-Key": "k-1"})
    assert refused.status_code == 404


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "erp system!", "roles": ["technician"]}, {"name", "roles"}),
        ({"name": "erp"}, {"roles"}),
        ({"name": "erp", "roles": []}, {"roles"}),
        ({"name": "erp", "roles": ["desk", "cashier"]}, {"roles"}),
        ({"name": "erp", "roles": [["desk"]]}, {"roles"}),
        ({"roles": ["desk"]}, {"name"}),
    ],
)
def test_a_wrong_name_or_role_is_a_400_per_field_in_the_callers_language(client, aws, admin, body, fields):
    refused = make(client, {**admin, "Accept-Language": "en"}, body)
    assert refused.status_code == 400 and set(refused.json_body["fields"]) == fields
    assert "letters" in refused.json_body["fields"].get("name", "letters")
    assert listed(client, admin) == {}


def test_only_admins_may_and_an_integration_never_makes_or_revokes_clients(client, aws, admin, staff_token):
    made = make(client, admin, {"name": "erp", "roles": ["admin"]}).json_body["client_id"]
    supervisor = {**JSON, "Authorization": f"Bearer {staff_token('sup-1', StaffRole.SUPERVISOR)}"}
    for headers in (supervisor, machine(aws, "service-desk/supervisor")):
        assert client.http.get(CLIENTS, headers=headers).status_code == 403
        assert make(client, headers, {"name": "mine", "roles": ["desk"]}).status_code == 403
        assert client.http.delete(f"{CLIENTS}/{made}", headers=headers).status_code == 403

    # With the admin scope an integration sees the list (no secrets in it), but may not add to it or
    # revoke from it: a leaked secret could otherwise mint credentials that outlive its own revocation.
    integration = machine(aws, "service-desk/admin")
    assert made in listed(client, integration)
    refused = make(client, integration, {"name": "mine", "roles": ["admin"]})
    assert refused.status_code == 403 and refused.json_body["error"] == "forbidden"
    assert client.http.delete(f"{CLIENTS}/{made}", headers=integration).status_code == 403
    assert list(listed(client, admin)) == [made]
