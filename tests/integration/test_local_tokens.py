"""On the local stack an integration gets its access token as from Cognito's token endpoint (moto has
none): its client id and secret for a token with its scopes, which the staff API then takes."""

import base64
import json
from urllib.parse import urlencode

from chalicelib.adapters.cognito import add_api_client, ensure_api_scopes
from tests.fakes import valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def token_request(client, client_id, secret, **fields):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    body = urlencode({"grant_type": "client_credentials", **fields})
    return client.http.post("/local/oauth2/token", body=body, headers={**FORM, "Authorization": f"Basic {basic}"})


def test_a_clients_token_opens_the_staff_api_in_its_roles_only(client, aws):
    ensure_api_scopes(aws["user_pool_id"])
    erp = add_api_client(aws["user_pool_id"], "erp", ["desk"])
    answer = token_request(client, erp.client_id, erp.secret, scope="service-desk/desk")
    assert answer.status_code == 200 and answer.json_body["token_type"] == "Bearer"
    bearer = {"Authorization": f"Bearer {answer.json_body['access_token']}", "Content-Type": "application/json"}

    number = client.http.post(
        "/api/requests", body=json.dumps(valid_report()), headers={"Content-Type": "application/json"}
    ).json_body["number"]
    assert client.http.get(f"/api/v1/tickets/{number}", headers=bearer).json_body["number"] == number
    classify = {"kind": "fault", "priority": "B", "billing": "free", "plan": "standard", "in_province": "yes"}
    refused = client.http.post(f"/api/v1/tickets/{number}/classify", body=json.dumps(classify), headers=bearer)
    assert refused.status_code == 403


def test_a_wrong_secret_or_a_scope_the_client_lacks_is_refused_as_cognito_does(client, aws):
    ensure_api_scopes(aws["user_pool_id"])
    erp = add_api_client(aws["user_pool_id"], "erp", ["desk"])
    assert token_request(client, erp.client_id, "wrong").json_body == {"error": "invalid_client"}
    assert token_request(client, "nobody", erp.secret).json_body == {"error": "invalid_client"}
    typed = token_request(client, erp.client_id, "密钥")
    assert typed.status_code == 400 and typed.json_body == {"error": "invalid_client"}
    lacking = token_request(client, erp.client_id, erp.secret, scope="service-desk/admin")
    assert lacking.status_code == 400 and lacking.json_body == {"error": "invalid_scope"}


def test_there_is_no_token_endpoint_outside_local_mode(on_aws, client, aws):
    assert token_request(client, "x", "y").status_code == 404


def test_a_request_without_a_client_or_with_one_no_pool_could_name_is_an_invalid_client(client, aws):
    body = urlencode({"grant_type": "client_credentials"})
    answer = client.http.post("/local/oauth2/token", body=body, headers=FORM)
    assert answer.status_code == 400 and answer.json_body == {"error": "invalid_client"}
    assert token_request(client, "x" * 500, "secret").json_body == {"error": "invalid_client"}
