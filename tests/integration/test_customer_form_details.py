"""Details of the customer's side that decide whether they trust it: a report longer than allowed is
answered next to the field with every word kept (never a bare "too large" page that loses what was
typed), the form shows its limits before sending, and their link opens in their language."""

import html
from urllib.parse import urlencode

from tests.fakes import valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_10000_character_description_comes_back_marked_with_the_text_kept(client):
    long_text = "开关柜合闸后跳闸，车间停产。" * 715  # 10,010 characters, about 90 KB once encoded
    response = client.http.post("/requests", body=urlencode(valid_report(description=long_text)), headers=FORM)
    assert response.status_code == 400
    page = html.unescape(response.body.decode())
    assert 'id="description-error"' in page and "最多 4000 个字" in page
    assert long_text in page, "the customer's text is kept"
    assert "苏州精密机械有限公司" in page, "and so is everything else typed"


def test_the_form_shows_the_limit_of_each_long_field_before_sending(client):
    page = client.http.get("/").body.decode()
    assert 'maxlength="4000"' in page and 'id="description-count"' in page and "最多 4000 个字" in page
    assert 'maxlength="2000"' in page and 'id="suspected_cause-count"' in page
    english = client.http.get("/?lang=en").body.decode()
    assert "At most 4000 characters" in english


def test_the_json_api_answers_an_over_long_description_with_the_field_named(client):
    import json

    response = client.http.post("/api/requests", body=json.dumps(valid_report(description="x" * 5000)),
                                headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert "description" in response.body.decode()


def test_the_tracking_link_in_an_english_customers_messages_opens_in_english(client):
    """The link carries no language; the ticket remembers the one the customer reported in."""
    response = client.http.post("/requests?lang=en", body=urlencode(valid_report()), headers=FORM)
    assert response.status_code == 303
    path = response.headers["Location"].split("desk.example.com", 1)[-1].split("?", 1)[0]
    assert '<html lang="en">' in client.http.get(path).body.decode()
    # A visitor who switches language still gets the one chosen.
    assert '<html lang="zh-CN">' in client.http.get(path + "?lang=zh-CN").body.decode()

    chinese = client.http.post("/requests", body=urlencode(valid_report(phone="13900139000")), headers=FORM)
    chinese_path = chinese.headers["Location"].split("desk.example.com", 1)[-1].split("?", 1)[0]
    assert '<html lang="zh-CN">' in client.http.get(chinese_path).body.decode()


def test_a_photo_named_in_chinese_keeps_its_name_for_the_staff(client):
    import json

    from chalicelib import wiring
    from chalicelib.adapters.aws import client as aws_client
    from tests.fakes import PNG

    def post(path, body):
        return client.http.post(path, body=json.dumps(body), headers={"Content-Type": "application/json"})

    upload = post("/api/uploads/photos", {"filename": "开关柜.jpg", "content_type": "image/png"}).json_body
    assert upload["key"].endswith("/开关柜.jpg")
    aws_client("s3").put_object(Bucket="service-desk-files", Key=upload["key"], Body=PNG)
    assert post("/api/uploads/photos/check", {"key": upload["key"]}).json_body["ok"] is True
    receipt = post("/api/requests", valid_report(photos=[upload["key"]])).json_body
    photos = wiring.services().queue.ticket_file(receipt["number"]).photos
    assert [name for name, _ in photos] == ["开关柜.jpg"]


def test_a_copy_of_the_signed_form_is_offered_only_once_one_is_filed(client):
    response = client.http.post("/requests?lang=en", body=urlencode(valid_report(phone="13700137000")), headers=FORM)
    path = response.headers["Location"].split("desk.example.com", 1)[-1].split("?", 1)[0]
    assert 'id="acceptance-copy"' not in client.http.get(path).body.decode()
    missing = client.http.get(path + "/acceptance")
    assert missing.status_code == 404 and "no filed acceptance form yet" in missing.body.decode()
