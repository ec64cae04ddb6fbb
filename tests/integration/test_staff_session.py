"""A staff session lasts a working day: the one-hour ID token is renewed from Cognito's refresh token,
and a form posted when the session cannot be renewed is kept through sign-in and posted again."""

from __future__ import annotations

import time
from html import escape
from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from chalicelib.domain.staff import StaffRole
from tests.integration.conftest import PASSWORD, forged_token
from tests.integration.test_technician_routes import FORM, check_in, job, wang  # noqa: F401  (fixtures)

OUR_PAGE = {"Sec-Fetch-Site": "same-origin"}


def cookies_of(response) -> dict[str, str]:
    """name -> the whole Set-Cookie line, for each cookie the response sets."""
    lines = response.headers.get("Set-Cookie") or []
    lines = lines if isinstance(lines, list) else [lines]
    return {line.split("=", 1)[0]: line for line in lines}


def value(line: str) -> str:
    return line.split(";")[0].split("=", 1)[1]


def sign_in(client, username="tech-wang", **extra):
    return client.http.post("/staff/sign-in", body=urlencode({"username": username, "password": PASSWORD, **extra}),
                            headers=FORM)


def expired_id_token(aws, username="tech-wang", groups=("technician",)) -> str:
    """Signed by the pool, expired an hour ago: the ID token of a sign-in this morning."""
    now = int(time.time())
    return forged_token({
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{aws['user_pool_id']}",
        "aud": aws["user_pool_client_id"], "token_use": "id", "cognito:username": username,
        "cognito:groups": list(groups), "iat": now - 7200, "exp": now - 3600, "sub": "x",
    })


@pytest.fixture
def refresh_token(client, wang):  # noqa: F811
    return value(cookies_of(sign_in(client))["sd_staff_refresh"])


def test_signing_in_keeps_the_refresh_token_in_an_httponly_cookie_for_staff_pages_only(client, wang):  # noqa: F811
    cookie = cookies_of(sign_in(client))["sd_staff_refresh"]
    assert value(cookie)
    for attribute in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/staff;", f"Max-Age={30 * 24 * 3600}"):
        assert attribute in cookie


@pytest.mark.parametrize("id_cookie", ["expired", "dropped"])
def test_a_page_after_the_hour_renews_the_id_token_silently(client, aws, refresh_token, id_cookie):
    cookie = f"sd_staff_refresh={refresh_token}"
    if id_cookie == "expired":
        cookie = f"sd_staff={expired_id_token(aws)}; {cookie}"
    response = client.http.get("/staff/jobs", headers={"Cookie": cookie})
    assert response.status_code == 200, response.headers
    renewed = cookies_of(response)["sd_staff"]
    assert "HttpOnly" in renewed and "SameSite=Lax" in renewed
    user = wiring.services().staff_tokens.verify(value(renewed))
    assert user.username == "tech-wang" and user.has_any({StaffRole.TECHNICIAN})


def test_a_progress_report_sent_after_the_hour_is_recorded_without_a_sign_in(client, aws, job, wang, refresh_token):  # noqa: F811
    check_in(client, job, wang)
    response = client.http.post(
        f"/staff/jobs/{job.number}/progress", body=urlencode({"text": "更换了接触器，正在试运行"}),
        headers=dict(FORM, Cookie=f"sd_staff={expired_id_token(aws)}; sd_staff_refresh={refresh_token}"),
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/jobs/{job.number}?done=progress")
    assert "sd_staff" in cookies_of(response)
    page = client.http.get(f"/staff/jobs/{job.number}", headers={"Cookie": f"sd_staff={wang}"}).body.decode()
    assert "更换了接触器，正在试运行" in page


def test_a_form_posted_when_the_session_cannot_be_renewed_is_kept_through_sign_in_and_sent(client, aws, job, wang):  # noqa: F811
    check_in(client, job, wang)
    typed = {"text": "现场检查完毕\n更换了接触器 <b>&", "photos": ["photos/a.jpg"]}
    step = f"/staff/jobs/{job.number}/progress?lang=en"
    # Given a session whose refresh token Cognito no longer accepts
    expired = client.http.post(step, body=urlencode(typed, doseq=True), headers=dict(
        FORM, **OUR_PAGE, Cookie=f"sd_staff={expired_id_token(aws)}; sd_staff_refresh=revoked-long-ago"))
    # Then the sign-in page answers in place of the step, saying so, with what was typed
    assert expired.status_code == 401
    page = expired.body.decode()
    assert "Your session has ended" in page and 'id="sign-in"' in page and "MethodNotAllowed" not in page
    assert f'name="replay_body" value="{escape(urlencode(typed, doseq=True))}"' in page
    assert "Max-Age=0" in cookies_of(expired)["sd_staff_refresh"]
    # When the technician signs in with the form the page gave
    replay_to = f"/staff/jobs/{job.number}/progress?lang=en"
    assert f'name="replay_to" value="{replay_to}"' in page
    signed_in = sign_in(client, next="/staff", replay_to=replay_to,
                        replay_body=urlencode(typed, doseq=True))
    # Then a page posts what was typed to the same step, with a fresh session
    assert signed_in.status_code == 200
    assert {"sd_staff", "sd_staff_refresh"} <= set(cookies_of(signed_in))
    replay = signed_in.body.decode()
    assert f'action="{replay_to}"' in replay and "/static/replay.js" in replay
    assert 'name="photos" value="photos/a.jpg"' in replay
    # And posting it records the report and returns to the job's page
    token = value(cookies_of(signed_in)["sd_staff"])
    sent = client.http.post(replay_to, body=urlencode(typed, doseq=True), headers=dict(FORM, Cookie=f"sd_staff={token}"))
    # (the photo was never uploaded: the step says so next to the field and keeps the text)
    assert sent.status_code == 400 and "现场检查完毕" in sent.body.decode()
    typed.pop("photos")
    sent = client.http.post(replay_to, body=urlencode(typed), headers=dict(FORM, Cookie=f"sd_staff={token}"))
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/staff/jobs/{job.number}?done=progress")


def test_another_sites_form_is_not_kept_for_after_sign_in(client, aws, job):  # noqa: F811
    response = client.http.post(f"/staff/jobs/{job.number}/check-in", body="lat=1&lon=2", headers=dict(
        FORM, **{"Sec-Fetch-Site": "cross-site"}, Cookie=f"sd_staff={expired_id_token(aws)}"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/sign-in?next=/staff"


def test_an_upload_call_after_the_session_ended_answers_json_that_says_so(client, aws, job):  # noqa: F811
    response = client.http.post(f"/staff/jobs/{job.number}/uploads/form?lang=en", body='{"filename": "a.pdf"}',
                                headers={"Content-Type": "application/json",
                                         "Cookie": f"sd_staff={expired_id_token(aws)}"})
    assert response.status_code == 401 and "session has ended" in response.json_body["message"]


def test_a_steps_address_opened_with_get_leads_to_the_job_not_an_error(client, job):  # noqa: F811
    response = client.http.get(f"/staff/jobs/{job.number}/progress")
    assert response.status_code == 303 and response.headers["Location"] == f"/staff/jobs/{job.number}"


def test_signing_out_forgets_the_refresh_token_too(client):
    response = client.http.post("/staff/sign-out", body="", headers=FORM)
    cookies = cookies_of(response)
    assert "Max-Age=0" in cookies["sd_staff"] and "Max-Age=0" in cookies["sd_staff_refresh"]
