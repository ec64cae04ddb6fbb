"""No input answers 500: a table of malformed bodies for the form routes and the JSON API, a line break
in the sign-in page's ``next``, and the local clock's ``advance`` past what a clock can hold. Each
answer is a 4xx in the visitor's language (or the page itself), never a server error."""

import json
from urllib.parse import quote, urlencode

import pytest
from chalice.test import Client

from tests.fakes import valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}

NESTED = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 20_000 + "1" + "}" * 20_000
JSON_BODIES = {
    "deeply nested array": NESTED[:60_000],
    "deeply nested object": DEEP_OBJECT[:60_000] if len(DEEP_OBJECT) > 60_000 else DEEP_OBJECT,
    "nested inside a field": json.dumps({**valid_report(), "description": "x"})[:-1] + ', "x": ' + "[" * 5000
    + "]" * 5000 + "}",
    "nested as a field's value": json.dumps(valid_report())[:-1] + ', "photos": ' + "[" * 3000 + "]" * 3000 + "}",
    "huge": json.dumps({**valid_report(), "description": "x" * 2_000_000}),
    "huge number": '{"customer_name": ' + "9" * 50_000 + "}",
    "huge exponent": '{"customer_name": 1e999999}',
    "NaN": '{"customer_name": NaN, "phone": Infinity}',
    "not JSON": "{'customer_name': 'x'}",
    "a list": "[1, 2, 3]",
    "a string": '"text"',
    "null": "null",
    "empty": "",
    "invalid UTF-8": b'{"customer_name": "\xff\xfe"}',
    "lone surrogate": '{"customer_name": "\\ud800"}',
    "wrong types": json.dumps({k: [v] for k, v in valid_report().items()}),
    "objects as values": json.dumps({k: {"v": v} for k, v in valid_report().items()}),
    "photos not a list": json.dumps(valid_report(photos="photos/x.jpg")),
    "many photos": json.dumps(valid_report(photos=[f"photos/{i}.jpg" for i in range(5000)])),
    "a thousand fields": json.dumps({f"f{i}": i for i in range(1000)}),
    "duplicate keys": '{"phone": "13800138000", "phone": {"a": 1}}',
}
JSON_ROUTES = ("/api/requests", "/api/uploads/photos", "/api/uploads/photos/check")

FORM_BODIES = {
    "huge": urlencode({**valid_report(), "description": "x" * 2_000_000}),
    "invalid UTF-8": b"customer_name=\xff\xfe&phone=1",
    "bad percent escapes": "customer_name=%ZZ%&phone=%%%",
    "thousands of fields": "&".join(f"f{i}=x" for i in range(5000)),
    "repeated field": "&".join("phone=1" for _ in range(90)),
    "no equals signs": "a&b&c&&&",
    "NUL bytes": "customer_name=a%00b&description=%00",
    "line breaks everywhere": urlencode({k: f"{v}\r\n\r\nX-Injected: 1" for k, v in valid_report().items()}),
    "JSON in a form": json.dumps(valid_report()),
    "empty": "",
    "decision and revision garbage": "decision=approve&revision=99999999999999999999",
    "negative revision": "decision=decline&revision=-1",
    "a revision in digits int() cannot read": "decision=approve&revision=%C2%B2",  # ², a digit to str.isdigit
    "survey scores out of range": "overall=999&timeliness=-5&attitude=nan&quality=inf",
}
FORM_ROUTES = ("/requests", "/t/no-such-token/quote", "/s/no-such-token", "/staff/sign-in")


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize("name", JSON_BODIES)
def test_a_malformed_json_body_is_a_clear_4xx(client, route, name):
    body = JSON_BODIES[name]
    response = client.http.post(f"{route}?lang=en", body=body, headers=JSON)
    assert 400 <= response.status_code < 500, (name, response.status_code, response.body[:300])
    answer = json.loads(response.body)
    assert answer["error"] and answer["message"]


@pytest.mark.parametrize("route", FORM_ROUTES)
@pytest.mark.parametrize("name", FORM_BODIES)
def test_a_malformed_form_is_answered_with_a_page_never_a_500(client, route, name):
    body = FORM_BODIES[name]
    response = client.http.post(f"{route}?lang=en", body=body, headers=FORM)
    assert response.status_code < 500, (name, response.status_code, response.body[:300])
    assert response.headers["Content-Type"].startswith("text/html") or response.status_code in (302, 303)


@pytest.mark.parametrize("next_path", [
    "/staff/queue\r\nSet-Cookie: x=1", "/staff/\nx", "/staff\r", "/staff/\x00", "/staff/\u2028x", "/staff/" + "a" * 5000,
])
def test_a_line_break_in_the_sign_in_pages_next_never_answers_500(client, next_path):
    page = client.http.get(f"/staff/sign-in?next={quote(next_path)}")
    assert page.status_code == 200
    body = page.body.decode()
    assert 'value="/staff"' in body, "anything odd falls back to the staff home"
    posted = client.http.post("/staff/sign-in", body=urlencode({"next": next_path, "username": "nobody",
                                                                 "password": "wrong"}), headers=FORM)
    assert posted.status_code < 500
    assert "\n" not in posted.headers.get("Location", "") and "\r" not in posted.headers.get("Location", "")


@pytest.fixture
def local_client(aws, clock_file):
    from app import app

    with Client(app, stage_name="local") as local:
        yield local


@pytest.mark.parametrize("hours", ["nan", "NaN", "inf", "-inf", "Infinity", "1e308", "1e400", "99999999999",
                                   "9" * 400, "-5", "0x10", "", "  "])
def test_the_local_clock_refuses_hours_no_clock_can_move_by(local_client, clock_file, hours):
    before = clock_file.offset()
    page = local_client.http.post("/local/clock?lang=en", body=urlencode({"advance_hours": hours}), headers=FORM)
    assert page.status_code in (200, 400), (hours, page.status_code)
    if page.status_code == 400:
        assert "Enter a number of hours" in page.body.decode()
    assert clock_file.offset() == before, "nothing moved"
