"""The customer adds a note and photos from the tracking page, through Chalice's test client against moto;
staff read it on the ticket's page and timeline."""

import json
from urllib.parse import urlencode

from chalicelib import wiring
from chalicelib.adapters.aws import client as aws_client
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action
from tests.fakes import JPEG, valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def reported(client):
    receipt = client.http.post("/api/requests", body=json.dumps(valid_report()), headers=JSON).json_body
    return receipt["number"], receipt["tracking_url"].rsplit("/", 1)[-1]


def uploaded_photo(client, name="柜门.jpg"):
    ticket = client.http.post("/api/uploads/photos", body=json.dumps({"filename": name, "content_type": "image/jpeg"}),
                              headers=JSON).json_body
    aws_client("s3").put_object(Bucket="service-desk-files", Key=ticket["key"], Body=JPEG, ContentType="image/jpeg")
    return ticket["key"]


def add(client, token, key="add-1", lang="zh-CN", **fields):
    return client.http.post(f"/t/{token}/information?lang={lang}",
                            body=urlencode({**fields, "idempotency_key": key}, doseq=True), headers=FORM)


def test_the_tracking_page_offers_the_form_with_the_report_forms_photo_upload_and_no_inline_script(client):
    _, token = reported(client)
    page = client.http.get(f"/t/{token}").body.decode()
    assert '<form id="add-information"' in page and f"/t/{token}/information" in page
    assert 'name="note"' in page and 'id="photo-input"' in page and 'data-upload-url=' in page
    assert '<script src="/static/intake.js"' in page and "<script>" not in page
    english = client.http.get(f"/t/{token}?lang=en").body.decode()
    assert "Add information or photos" in english


def test_a_note_and_a_photo_are_recorded_and_staff_read_them(client, staff_token):
    number, token = reported(client)
    photo = uploaded_photo(client)

    response = add(client, token, note="跳闸前闻到焦味", photos=[photo])
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/t/{token}?added=1#add-information")
    again = add(client, token, note="跳闸前闻到焦味", photos=[photo])  # a double tap: recorded once
    assert again.status_code == 303
    events = [e for e in wiring.services().queue.ticket_file(number).timeline if e.action == Action.ADD_INFORMATION]
    assert len(events) == 1

    customer = client.http.get(f"/t/{token}?added=1").body.decode()
    assert 'id="added"' in customer and "您补充了信息" in customer
    assert "跳闸前闻到焦味" not in customer  # the customer's page shows milestones, not the office's timeline

    staff = client.http.get(f"/staff/tickets/{number}", headers={"Cookie": f"sd_staff={staff_token('supervisor')}"})
    page = staff.body.decode()
    additions = page.split('id="additions"')[1].split("</ul>")[0]
    assert "跳闸前闻到焦味" in additions and "补充了 1 张照片" in additions
    assert "柜门.jpg" in page.split('id="photos"')[1].split("</ul>")[0]
    assert "客户补充信息：说明：跳闸前闻到焦味；照片：柜门.jpg" in page.split('id="timeline"')[1]


def test_an_empty_addition_comes_back_with_the_problem_and_a_closed_ticket_takes_none(client):
    number, token = reported(client)
    empty = add(client, token, note="  ")
    assert empty.status_code == 400 and "请填写补充说明或添加照片。" in empty.body.decode()

    wiring.services().desk.move(number, Action.CANCEL, actor=SystemActor("supervisor"), summary="cancelled: duplicate")
    closed = add(client, token, key="add-2", note="还有一个问题")
    assert closed.status_code == 409 and "服务单已结束" in closed.body.decode()
    assert '<form id="add-information"' not in client.http.get(f"/t/{token}").body.decode()


def test_over_the_limit_the_page_keeps_what_was_typed(client, monkeypatch):
    _, token = reported(client)
    for i in range(10):
        assert add(client, token, key=f"add-{i}", note=f"第 {i} 条").status_code == 303
    limited = add(client, token, key="add-10", note="还想补充一句")
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    body = limited.body.decode()
    assert "还想补充一句" in body and "一小时内的补充已达上限" in body


def test_an_unknown_link_is_a_404(client):
    assert add(client, "no-such-token", note="x").status_code == 404


