"""The administrator's page of integrations' credentials: a client is made from the form with the roles it
may act in and its secret shown once, is listed with its scopes, and revoked; the staff's own sign-in
client is never revoked from here, a wrong name or no role is answered next to its field, and only
admins see the page."""

from __future__ import annotations

import re

from chalicelib.adapters.aws import client as aws_client
from chalicelib.domain.staff import StaffRole
from tests.integration.test_webhooks_page import page as form_page


def page(client, token, path="/staff/api-clients", body=None, lang="en"):
    return form_page(client, token, path, body, lang)


def test_an_admin_makes_an_integrations_client_sees_its_secret_once_and_revokes_it(client, aws, staff_token):
    admin = staff_token("ops-admin", StaffRole.ADMIN)
    assert "No integration clients yet" in page(client, admin).body.decode()

    made = page(client, admin, body={"name": "erp", "roles": ["supervisor", "desk"]})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    html = made.body.decode()
    client_id = re.search(r'id="made-client-id">([^<]+)<', html).group(1)
    assert re.search(r'id="made-secret">[^<]+<', html), "the secret is shown"
    described = aws_client("cognito-idp").describe_user_pool_client(UserPoolId=aws["user_pool_id"], ClientId=client_id)[
        "UserPoolClient"
    ]
    assert sorted(described["AllowedOAuthScopes"]) == ["service-desk/desk", "service-desk/supervisor"]
    assert described["AllowedOAuthFlows"] == ["client_credentials"]

    listed = page(client, admin).body.decode()
    assert f'data-client="{client_id}"' in listed and "service-desk/supervisor" in listed
    assert 'id="made-secret"' not in listed, "the secret is shown once only"

    revoked = page(client, admin, path=f"/staff/api-clients/{client_id}/revoke", body={})
    assert revoked.status_code == 303 and "done=revoked" in revoked.headers["Location"]
    assert f'data-client="{client_id}"' not in page(client, admin).body.decode()


def test_the_staff_sign_in_client_is_not_an_integrations_and_stays(client, aws, staff_token):
    admin = staff_token("ops-admin", StaffRole.ADMIN)
    staff_client = aws["user_pool_client_id"]
    assert page(client, admin, path=f"/staff/api-clients/{staff_client}/revoke", body={}).status_code == 303
    aws_client("cognito-idp").describe_user_pool_client(UserPoolId=aws["user_pool_id"], ClientId=staff_client)


def test_a_wrong_name_or_no_role_is_answered_next_to_the_field_and_others_may_not_see_the_page(client, staff_token):
    admin = staff_token("ops-admin", StaffRole.ADMIN)
    refused = page(client, admin, body={"name": "erp system!", "roles": ["technician"]})
    html = refused.body.decode()
    assert refused.status_code == 400 and 'id="c-name-error"' in html and 'id="c-roles-error"' in html
    assert page(client, admin, body={"name": "erp"}).status_code == 400
    supervisor = staff_token("sup-1", StaffRole.SUPERVISOR)
    assert page(client, supervisor).status_code == 403
    assert page(client, supervisor, body={"name": "erp", "roles": ["desk"]}).status_code == 403
