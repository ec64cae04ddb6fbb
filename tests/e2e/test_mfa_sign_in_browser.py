"""Sign-in with an authenticator app (TOTP) in the browser, on the running local stack with its staff
pool set to require MFA as prod's does: a new member of staff replaces the temporary password, enrols
an app from the QR code's key and signs in with its code; later sign-ins ask for the code only. The
smoke test operators run after a deploy goes through the same enrolment."""

from __future__ import annotations

import os
import re
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import expect

from chalicelib.adapters.aws import client
from chalicelib.adapters.cognito import add_staff, remove_staff
from chalicelib.domain.staff import StaffRole
from ops import smoke
from tests.e2e.stack import LocalStack

pytestmark = pytest.mark.e2e

TEMPORARY = "Temp-pass-1234"
PASSWORD = "Chosen-pass-5678"


class AppCode(pyotp.TOTP):
    """The authenticator app. The stand-in hands out one short fixed secret, below pyotp's floor."""

    min_secret_length_bits = 0


@pytest.fixture
def mfa_required(desk):
    """The stack's staff pool as prod has it (MFA required, authenticator apps only), then as it was."""
    pool, idp = os.environ["COGNITO_USER_POOL_ID"], client("cognito-idp")
    before = idp.get_user_pool_mfa_config(UserPoolId=pool)
    idp.set_user_pool_mfa_config(
        UserPoolId=pool, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    yield pool
    idp.set_user_pool_mfa_config(
        UserPoolId=pool,
        MfaConfiguration=before["MfaConfiguration"],
        SoftwareTokenMfaConfiguration=before.get("SoftwareTokenMfaConfiguration", {"Enabled": True}),
    )


def enter_code(page, secret: str) -> None:
    """Types the app's current code; one refused at the turn of its 30 s window is followed by the
    next, as a person would type the next code shown."""
    app = AppCode(secret)
    for _ in range(2):
        shown_at = app.timecode(time.time())
        page.fill("#code", app.now())
        submit(page)
        if not page.locator("#sign-in-error").count() or app.timecode(time.time()) == shown_at:
            return


def submit(page) -> None:
    """Sends the sign-in form and waits for the page it answers with."""
    with page.expect_navigation():
        page.click("#sign-in-button")


def sign_in(page, app_url: str, username: str, password: str) -> None:
    page.goto(app_url + "/staff?lang=en")
    page.wait_for_url(re.compile(r"/staff/sign-in\?next="))
    page.fill("#username", username)
    page.fill("#password", password)
    submit(page)


def test_a_new_member_of_staff_enrols_an_authenticator_app_then_signs_in_with_its_code(
    local_stack: LocalStack, mfa_required, phone_page
) -> None:
    page, username = phone_page, f"li-{uuid.uuid4().hex[:8]}"
    add_staff(
        mfa_required,
        username,
        [StaffRole.SUPERVISOR],
        temporary_password=TEMPORARY,
        email=f"{username}@example.com",
        name="李工",
    )
    try:
        sign_in(page, local_stack.app_url, username, TEMPORARY)
        page.fill("#new_password", PASSWORD)
        submit(page)

        # The enrolment page: a QR code and the same key as text, for an app that cannot scan.
        expect(page.locator("#mfa-qr svg")).to_be_visible()
        secret = page.inner_text("#mfa-secret").strip()
        code = AppCode(secret).now()
        page.fill("#code", f"{(int(code) + 1) % 1_000_000:06d}")
        submit(page)
        expect(page.locator("#sign-in-error")).to_be_visible()  # a wrong code enrols nothing
        assert page.inner_text("#mfa-secret").strip() == secret, "the same key, to try again"
        enter_code(page, secret)
        page.wait_for_url(re.compile(r"/staff\?lang=en$|/staff$"))
        assert "李工" in page.inner_text("#who")

        page.click("#sign-out")
        sign_in(page, local_stack.app_url, username, PASSWORD)
        expect(page.locator("#code")).to_be_visible()
        expect(page.locator("#mfa-secret")).to_have_count(0)  # the code only: nothing is enrolled again
        enter_code(page, secret)
        page.wait_for_url(re.compile(r"/staff\?lang=en$|/staff$"))
        assert "李工" in page.inner_text("#who")
    finally:
        remove_staff(mfa_required, username)


def test_the_smoke_tests_staff_sign_in_enrols_an_app_where_the_pool_requires_one(
    local_stack: LocalStack, mfa_required
) -> None:
    lines: list[str] = []
    target = smoke.Target(
        user_pool_id=mfa_required, table="unused", bucket="unused", jobs=smoke.LocalJobs(local_stack.app_url)
    )
    run = smoke.Smoke(local_stack.app_url, target, phone="13800138000", out=lines.append)
    run.check("staff sign-in", run.sign_in)
    run.check("clean-up", run.clean_up)
    assert lines[0].startswith("ok    staff sign-in: smoke-"), lines
    assert "replaced its temporary password" in lines[0] and smoke.ENROLLED in lines[0]
    assert lines[1] == f"ok    clean-up: deleted account {run.username}"
