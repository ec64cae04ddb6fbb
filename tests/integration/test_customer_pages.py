"""The customer's form and tracking page, through Chalice's test client against moto."""

import html
import re
from urllib.parse import urlencode

from chalicelib import wiring
from chalicelib.adapters.aws import client as aws_client
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Billing, Priority
from tests.fakes import PNG, valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post_form(client, fields, lang="zh-CN", key="key-1"):
    body = urlencode({**fields, "idempotency_key": key}, doseq=True)
    return client.http.post(f"/requests?lang={lang}", body=body, headers=FORM)


def tickets_in_table():
    items = aws_client("dynamodb").scan(TableName="service-desk")["Items"]
    return [i for i in items if i["sk"]["S"] == "TICKET"]


def test_the_form_is_chinese_by_default_and_english_on_request(client):
    zh = client.http.get("/").body.decode()
    assert '<html lang="zh-CN">' in zh and "故障报修" in zh
    en = client.http.get("/?lang=en")
    assert "Report a fault" in en.body.decode()
    assert "lang=en" in en.headers["Set-Cookie"]
    assert "Report a fault" in client.http.get("/", headers={"Cookie": "lang=en"}).body.decode()


def test_the_form_asks_for_every_field_of_a_request(client):
    page = client.http.get("/").body.decode()
    for field in ("customer_name", "contact_person", "phone", "email", "province", "city", "address", "project_name",
                  "product_model", "serial_number", "order_number", "description", "suspected_cause",
                  "preferred_time", "kind", "idempotency_key"):
        assert f'name="{field}"' in page, field
    assert 'name="viewport"' in page


def test_submitting_redirects_to_the_tracking_page_with_the_confirmation(client):
    response = post_form(client, valid_report())
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"https://desk\.example\.com/t/[\w-]{32}\?new=1", location)
    page = client.http.get(location.replace("https://desk.example.com", "")).body.decode()
    assert "SD-2026-000001" in page and "报修已受理" in page
    assert location.split("?")[0] in page, "the tracking link is shown"


def test_the_tracking_timeline_reads_in_the_customers_language_and_shows_only_public_milestones(client):
    location = post_form(client, valid_report()).headers["Location"].split("?")[0]
    path = location.replace("https://desk.example.com", "")
    number = "SD-2026-000001"
    desk = wiring.services().desk
    desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.URGENT, billing=Billing.FREE)
    desk.dispatch(number, actor=SystemActor("supervisor"), technicians=("tech-wang",))
    desk.pause(number, actor=SystemActor("supervisor"), reason="site not ready (厂房停电)")  # as the supervisor's form puts it

    chinese = timeline_of(client.http.get(path).body.decode())
    assert chinese == ["报修已受理", "服务主管已审核您的报修", "已安排服务工程师", "处理暂停"], (
        "Chinese words, no English summary, nothing internal (priority, billing, who, why)"
    )

    english = timeline_of(client.http.get(path + "?lang=en").body.decode())
    assert english == [
        "Request received",
        "Your request was reviewed by the service supervisor",
        "A service engineer was assigned",
        "Work paused",
    ]


def timeline_of(page):
    start = page.index('id="timeline"')
    items = re.findall(r"<li>(.*?)</li>", page[start : page.index("</ol>", start)], re.DOTALL)
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", item).split()[2:])) for item in items]  # after the time


def test_missing_fields_are_named_in_the_forms_language_and_input_is_kept(client):
    response = post_form(client, {"customer_name": "ACME 有限公司", "phone": "12345"}, lang="en")
    page = response.body.decode()
    assert response.status_code == 400
    assert 'id="address-error">This field is required.' in page
    assert "not a valid phone number" in page
    assert 'value="ACME 有限公司"' in page
    assert tickets_in_table() == []


def test_errors_in_chinese_for_a_chinese_form(client):
    page = post_form(client, valid_report(email="wang@")).body.decode()
    assert "电子邮箱格式不正确" in page


def test_script_tags_are_rendered_escaped(client):
    response = post_form(client, valid_report(description="<script>alert('x')</script>", phone="bad"))
    page = response.body.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    ok = post_form(client, valid_report(description="<script>alert('x')</script>"), key="key-2")
    tracking = client.http.get(ok.headers["Location"].replace("https://desk.example.com", "")).body.decode()
    assert "<script>alert" not in tracking


def test_double_submit_with_the_same_key_opens_exactly_one_ticket(client):
    first = post_form(client, valid_report())
    second = post_form(client, valid_report())
    assert first.headers["Location"] == second.headers["Location"]
    assert len(tickets_in_table()) == 1


def test_a_corrected_form_after_an_error_is_still_one_submission(client):
    post_form(client, valid_report(phone="bad"))
    post_form(client, valid_report())
    post_form(client, valid_report())
    assert len(tickets_in_table()) == 1


def test_a_huge_body_gets_a_clear_413(client):
    response = post_form(client, valid_report(description="x" * 300_000))
    assert response.status_code == 413
    assert "提交的内容太大" in response.body.decode()


def test_an_unknown_tracking_token_is_a_plain_404_page(client):
    response = client.http.get("/t/not-a-real-token")
    assert response.status_code == 404
    assert "查询链接无效" in response.body.decode()


def test_one_tracking_link_never_shows_another_ticket(client):
    a = post_form(client, valid_report(customer_name="甲公司"), key="a").headers["Location"]
    b = post_form(client, valid_report(customer_name="乙公司", product_model="ZW32"), key="b").headers["Location"]
    page_a = client.http.get(a.replace("https://desk.example.com", "")).body.decode()
    assert "SD-2026-000001" in page_a and "SD-2026-000002" not in page_a and "ZW32" not in page_a
    assert b != a


def test_a_photo_that_is_not_an_image_is_refused_with_the_form_kept(client):
    upload = client.http.post(
        "/api/uploads/photos", body='{"filename": "a.png", "content_type": "image/png"}',
        headers={"Content-Type": "application/json"},
    ).json_body
    aws_client("s3").put_object(Bucket="service-desk-files", Key=upload["key"], Body=b"#!/bin/sh\nrm -rf /\n")
    response = post_form(client, {**valid_report(), "photos": [upload["key"]]})
    assert response.status_code == 400
    assert "不是图片" in response.body.decode()
    assert tickets_in_table() == []


def test_photos_are_attached_to_the_ticket(client):
    upload = client.http.post(
        "/api/uploads/photos", body='{"filename": "a.png", "content_type": "image/png"}',
        headers={"Content-Type": "application/json"},
    ).json_body
    aws_client("s3").put_object(Bucket="service-desk-files", Key=upload["key"], Body=PNG)
    response = post_form(client, {**valid_report(), "photos": [upload["key"]]})
    assert response.status_code == 303
    assert upload["key"] in str(tickets_in_table()[0]["data"])


def test_static_assets_are_served(client):
    assert client.http.get("/static/site.css").headers["Content-Type"].startswith("text/css")
    assert client.http.get("/static/nope.css").status_code == 404


def test_a_double_click_while_the_first_is_still_saving_gets_the_same_receipt(aws, monkeypatch):
    import threading
    import time

    from chalice.test import Client

    from app import app
    from chalicelib.services.intake import IntakeService

    monkeypatch.setenv("IDEMPOTENCY_LOCK_SECONDS", "0.5")  # the first outlives its lock, and keeps it
    wiring.reset()
    submit = IntakeService.submit

    def slow_submit(self, *args, **kwargs):
        time.sleep(1.5)  # a busy moment
        return submit(self, *args, **kwargs)

    monkeypatch.setattr(IntakeService, "submit", slow_submit)
    answers = []

    def click():
        with Client(app) as client:
            answers.append(post_form(client, valid_report(), key="double-click"))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
        time.sleep(0.2)
    for thread in clicks:
        thread.join()
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert len(tickets_in_table()) == 1
