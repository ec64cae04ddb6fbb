"""Staff routes trust only a valid Cognito ID token of the right role; nothing else gets through."""

import time

import pytest

from chalicelib.domain.staff import StaffRole
from tests.integration.conftest import forged_token


def page(client, path="/staff", token=None, cookie=True):
    headers = {}
    if token and cookie:
        headers["Cookie"] = f"sd_staff={token}"
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    return client.http.get(path, headers=headers)


def test_signing_in_sets_an_httponly_cookie_and_lands_on_the_staff_home(client, staff_token):
    staff_token("supervisor")
    response = client.http.post(
        "/staff/sign-in", body="username=supervisor&password=Test-pass-123&next=/staff",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"][0]  # then the refresh token's
    assert cookie.startswith("sd_staff=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    home = page(client, token=token)
    assert home.status_code == 200 and "supervisor" in home.body.decode()


def test_a_wrong_password_is_refused_with_a_message(client, staff_token):
    staff_token("supervisor")
    response = client.http.post(
        "/staff/sign-in?lang=en", body="username=supervisor&password=guess",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401
    assert "Wrong user name or password" in response.body.decode()


def test_without_a_token_pages_send_you_to_sign_in(client):
    response = page(client)
    assert response.status_code == 303
    assert "/staff/sign-in?next=" in response.headers["Location"]


def test_the_sign_in_page_never_redirects_off_site(client, staff_token):
    staff_token("desk")
    response = client.http.post(
        "/staff/sign-in", body="username=desk&password=Test-pass-123&next=//evil.example.com/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.headers["Location"] == "/staff"


def test_a_tampered_token_is_refused(client, staff_token):
    token = staff_token("supervisor")
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature])
    assert page(client, token=tampered).status_code == 303


def test_an_expired_token_is_refused(client, aws):
    now = int(time.time())
    expired = forged_token({
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{aws['user_pool_id']}",
        "aud": aws["user_pool_client_id"], "token_use": "id", "cognito:username": "supervisor",
        "cognito:groups": ["supervisor"], "iat": now - 7200, "exp": now - 3600, "sub": "x",
    })
    assert page(client, token=expired).status_code == 303


@pytest.mark.parametrize("claim, value", [("aud", "another-client"), ("iss", "https://elsewhere"),
                                          ("token_use", "access")])
def test_a_token_for_another_pool_client_or_use_is_refused(client, aws, claim, value):
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{aws['user_pool_id']}",
        "aud": aws["user_pool_client_id"], "token_use": "id", "cognito:username": "admin",
        "cognito:groups": ["admin"], "iat": now, "exp": now + 600, "sub": "x", claim: value,
    }
    assert page(client, token=forged_token(claims)).status_code == 303


def test_a_customers_tracking_token_is_not_a_staff_token(client):
    import json

    from tests.fakes import valid_report

    receipt = client.http.post("/api/requests", body=json.dumps(valid_report()),
                               headers={"Content-Type": "application/json"}).json_body
    assert page(client, token=receipt["tracking_token"]).status_code == 303
    assert page(client, token=receipt["tracking_token"], cookie=False).status_code == 303


def test_signing_out_clears_the_cookie(client):
    response = client.http.post("/staff/sign-out", body="", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "Max-Age=0" in response.headers["Set-Cookie"][0]


def test_roles_come_from_the_pools_groups(client, staff_token):
    token = staff_token("wang", StaffRole.TECHNICIAN, StaffRole.QUALITY)
    body = page(client, token=token).body.decode()
    assert "服务人员" in body and "质量部" in body
