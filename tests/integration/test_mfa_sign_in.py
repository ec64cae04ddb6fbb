"""Sign-in with an authenticator app (TOTP), as the prod pool requires: enrol on the first sign-in,
then a code on every later one. Against moto's Cognito, which checks TOTP codes when told to."""

import re
from html import unescape
from urllib.parse import urlencode

import boto3
import pyotp
import pytest

from chalicelib import wiring
from chalicelib.adapters.cognito import BadCode, MfaCodeRequired, MfaSetupRequired, NewPasswordRequired

TEMPORARY = "Temp-pass-123"
PASSWORD = "Test-pass-123"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def mfa_pool(aws, monkeypatch):
    """The pool as prod has it: authenticator apps only, and required."""
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    boto3.client("cognito-idp").set_user_pool_mfa_config(
        UserPoolId=aws["user_pool_id"], SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    # A new account, as an admin makes it: a temporary password to replace at the first sign-in.
    idp = boto3.client("cognito-idp")
    idp.admin_create_user(UserPoolId=aws["user_pool_id"], Username="li.gong", TemporaryPassword=TEMPORARY,
                          UserAttributes=[{"Name": "email", "Value": "li@example.com"}], MessageAction="SUPPRESS")
    idp.admin_add_user_to_group(UserPoolId=aws["user_pool_id"], Username="li.gong", GroupName="supervisor")
    return aws


def first_steps():
    """The first sign-in up to the enrolment: temporary password, then a new one."""
    sign_in = wiring.services().staff_sign_in
    with pytest.raises(NewPasswordRequired) as new_password:
        sign_in.sign_in("li.gong", TEMPORARY)
    with pytest.raises(MfaSetupRequired) as challenge:
        sign_in.set_new_password("li.gong", new_password.value.session, PASSWORD)
    return sign_in, challenge.value


class AppCode(pyotp.TOTP):
    """The authenticator app. moto hands out one short fixed secret, below pyotp's floor for real ones."""

    min_secret_length_bits = 0


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def enrol() -> str:
    """Signs li.gong in for the first time, enrolling an app; returns the app's secret."""
    sign_in, challenge = first_steps()
    enrolment = sign_in.start_mfa_setup(challenge.session)
    sign_in.finish_mfa_setup("li.gong", enrolment.session, AppCode(enrolment.secret).now())
    return enrolment.secret


def test_the_first_sign_in_enrols_an_app_and_signs_in_with_its_code(mfa_pool):
    sign_in, challenge = first_steps()
    enrolment = sign_in.start_mfa_setup(challenge.session)

    with pytest.raises(BadCode):
        sign_in.finish_mfa_setup("li.gong", enrolment.session, wrong(AppCode(enrolment.secret).now()))
    signed_in = sign_in.finish_mfa_setup("li.gong", enrolment.session, AppCode(enrolment.secret).now())

    assert wiring.services().staff_tokens.verify(signed_in.id_token).username == "li.gong"


def test_later_sign_ins_ask_for_the_apps_code(mfa_pool):
    secret = enrol()
    sign_in = wiring.services().staff_sign_in

    with pytest.raises(MfaCodeRequired) as challenge:
        sign_in.sign_in("li.gong", PASSWORD)
    with pytest.raises(BadCode):
        sign_in.answer_mfa("li.gong", challenge.value.session, wrong(AppCode(secret).now()))
    signed_in = sign_in.answer_mfa("li.gong", challenge.value.session, AppCode(secret).now())

    assert wiring.services().staff_tokens.verify(signed_in.id_token).username == "li.gong"


def hidden(page: str, name: str) -> str:
    return unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def post(client, fields: dict[str, str], lang: str = "en"):
    return client.http.post(f"/staff/sign-in?lang={lang}", body=urlencode(fields), headers=FORM)


def test_the_pages_enrol_with_a_qr_code_then_land_on_the_deep_link(mfa_pool, client):
    page = post(client, {"username": "li.gong", "password": TEMPORARY, "next": "/staff/queue"}).body.decode()
    assert "choose a new password" in page
    page = post(client, {"username": "li.gong", "session": hidden(page, "session"), "new_password": PASSWORD,
                         "next": "/staff/queue"}).body.decode()

    assert "Set up your authenticator app" in page and "<svg" in page
    secret = re.search(r'<code id="mfa-secret">([A-Za-z2-7]+)</code>', page).group(1)
    fields = {name: hidden(page, name) for name in ("username", "session", "step", "secret", "next")}
    assert fields["step"] == "mfa_setup"

    refused = post(client, {**fields, "code": wrong(AppCode(secret).now())})
    assert refused.status_code == 401 and "wrong or has expired" in refused.body.decode()
    assert "<svg" in refused.body.decode(), "the QR code stays on the page to try again"

    done = post(client, {**fields, "code": AppCode(secret).now()})
    assert done.status_code == 303 and done.headers["Location"] == "/staff/queue"
    assert done.headers["Set-Cookie"][0].startswith("sd_staff=")


def test_the_code_page_is_in_chinese_by_default(mfa_pool, client):
    secret = enrol()

    page = post(client, {"username": "li.gong", "password": PASSWORD, "next": "/staff"}, lang="zh-CN").body.decode()
    assert "身份验证器" in page and hidden(page, "step") == "mfa"

    done = post(client, {name: hidden(page, name) for name in ("username", "session", "step", "next")}
                | {"code": AppCode(secret).now()}, lang="zh-CN")
    assert done.status_code == 303 and done.headers["Location"] == "/staff"


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"step": "mfa", "code": "12", "session": "s" * 40}, "wrong"),  # not six digits: Cognito's own check
        ({"step": "mfa_setup", "code": "12ab", "session": "s" * 40}, "wrong"),
        ({"step": "mfa", "code": "123456", "session": "tampered"}, "again"),  # shorter than any session
        ({"step": "new_password", "new_password": PASSWORD, "session": ""}, "again"),
    ],
)
def test_a_malformed_code_or_session_is_answered_on_the_page_not_with_a_500(client, mfa_pool, fields, expected):
    answer = client.http.post("/staff/sign-in?lang=en", body=urlencode({"username": "li.gong", **fields}), headers=FORM)
    assert answer.status_code == 401
    words = {"wrong": "That code is wrong", "again": "please enter your user name and password again"}
    assert words[expected] in unescape(answer.body.decode())
