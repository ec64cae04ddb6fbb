"""The technician's phone and the closure approvals over HTTP, under moto: who may do what, uploads
checked by their bytes, and bad input answered next to the field."""

from __future__ import annotations

import json
import re
import struct
from urllib.parse import quote, urlencode

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Priority, Status
from chalicelib.services.label_sheet import Label, label_sheet_pdf
from chalicelib.settings import get_settings
from tests.fakes import valid_report
from tests.pdf_page import Page
from tests.pngs import data_url, signature_png

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
WORK = {"work_done": "更换断路器，试运行正常", "parts_used": "断路器 ×1", "hours": "3.5", "travel_hours": "2",
        "materials": "1200", "labour": "300", "travel": "150", "transport": "50"}


@pytest.fixture
def job(aws):
    """A ticket dispatched to tech-wang, and its tracking token."""
    request = ServiceRequestInput.model_validate(valid_report())
    receipt = wiring.services().intake.submit(request, language="zh-CN")
    desk = wiring.services().desk
    desk.record_contact(receipt.number, actor=SystemActor("supervisor"))
    desk.classify(receipt.number, actor=SystemActor("supervisor"), priority=Priority.URGENT)
    desk.dispatch(receipt.number, actor=SystemActor("supervisor"), technicians=("tech-wang",))
    return receipt


@pytest.fixture
def wang(staff_token):
    return staff_token("tech-wang", StaffRole.TECHNICIAN)


def get(client, path, token=None, bearer=False):
    headers = {}
    if token:
        headers = {"Authorization": f"Bearer {token}"} if bearer else {"Cookie": f"sd_staff={token}"}
    return client.http.get(path, headers=headers)


def post(client, path, data=None, token=None):
    headers = dict(FORM, **({"Cookie": f"sd_staff={token}"} if token else {}))
    return client.http.post(path, body=urlencode(data or {}, doseq=True), headers=headers)


def post_json(client, path, data, token):
    return client.http.post(path, body=json.dumps(data), headers=dict(JSON, Cookie=f"sd_staff={token}"))


def html(response):
    return response.body.decode()


def put_object(key, data):
    boto3.client("s3").put_object(Bucket=get_settings().bucket_name, Key=key, Body=data)


def ticket(number):
    return DynamoTickets(get_settings().table_name).get(number)


def check_in(client, job, wang):
    assert post(client, f"/staff/jobs/{job.number}/check-in", {"lat": "31.3", "lon": "120.6"}, wang).status_code == 303


# ---- who may do what -------------------------------------------------------------------------------

def test_without_a_token_every_page_and_step_sends_you_to_sign_in(client, job):
    for response in (get(client, "/staff/jobs"), get(client, f"/staff/jobs/{job.number}"),
                     post(client, f"/staff/jobs/{job.number}/check-in"), get(client, "/staff/approvals"),
                     post(client, f"/staff/approvals/{job.number}/approve")):
        assert response.status_code == 303 and "/staff/sign-in" in response.headers["Location"]


def test_a_customers_tracking_token_never_grants_a_staff_action(client, job):
    for bearer in (False, True):
        assert get(client, f"/staff/jobs/{job.number}", job.tracking_token, bearer).status_code == 303
    response = post(client, f"/staff/jobs/{job.number}/check-in", token=job.tracking_token)
    assert response.status_code == 303
    assert post(client, f"/staff/approvals/{job.number}/approve", token=job.tracking_token).status_code == 303
    assert ticket(job.number).status == Status.DISPATCHED


@pytest.mark.parametrize("role", [StaffRole.DESK, StaffRole.QUALITY, StaffRole.SUPERVISOR])
def test_office_roles_are_refused_the_technicians_pages_and_steps(client, job, staff_token, role):
    token = staff_token(f"someone-{role.value}", role)
    assert get(client, "/staff/jobs", token).status_code == 403
    assert get(client, f"/staff/jobs/{job.number}", token).status_code == 403
    assert post(client, f"/staff/jobs/{job.number}/check-in", token=token).status_code == 403
    assert ticket(job.number).status == Status.DISPATCHED


def test_a_technician_cannot_touch_another_technicians_job(client, job, staff_token):
    li = staff_token("tech-li", StaffRole.TECHNICIAN)
    assert job.number not in html(get(client, "/staff/jobs", li))
    assert get(client, f"/staff/jobs/{job.number}", li).status_code == 403
    for step in ("check-in", "arrival", "progress", "acceptance", "refusal", "departure"):
        assert post(client, f"/staff/jobs/{job.number}/{step}", {"reason": "x"}, li).status_code == 403, step
    upload = post_json(client, f"/staff/jobs/{job.number}/uploads/form",
                       {"filename": "a.pdf", "content_type": "application/pdf"}, li)
    assert upload.status_code == 403
    assert ticket(job.number).status == Status.DISPATCHED


@pytest.mark.parametrize("role", [StaffRole.TECHNICIAN, StaffRole.DESK, StaffRole.QUALITY])
def test_only_supervisors_and_admins_approve_closures(client, job, staff_token, role):
    token = staff_token(f"x-{role.value}", role)
    assert get(client, "/staff/approvals", token).status_code == 403
    assert post(client, f"/staff/approvals/{job.number}/approve", token=token).status_code == 403


# ---- the job, from check-in to approval --------------------------------------------------------------

def test_my_jobs_lists_the_job_with_a_tap_to_call_phone_and_its_deadline(client, job, wang):
    page = html(get(client, "/staff/jobs?lang=en", wang))
    assert job.number in page and 'href="tel:+8613800138000"' in page and "on site" in page


def test_check_in_then_upload_a_signed_form_then_the_supervisor_approves(client, job, wang, staff_token):
    check_in(client, job, wang)
    page = html(get(client, f"/staff/jobs/{job.number}?done=check-in", wang))
    assert "服务人员在现场" in page
    assert "tech-wang: 到达现场签到：位置：31.30000, 120.60000" in page, "the timeline in the page's language"

    upload = post_json(client, f"/staff/jobs/{job.number}/uploads/form",
                       {"filename": "验收单.pdf", "content_type": "application/pdf"}, wang)
    assert upload.status_code == 201
    key = upload.json_body["key"]
    assert key.startswith(f"forms/{job.number}/") and upload.json_body["fields"]["key"] == key
    # Any real one-page PDF: what the phone's browser does with the presigned POST.
    put_object(key, label_sheet_pdf([Label("https://desk.example.com/q/1", ("KYN28-12",))]))
    assert post_json(client, f"/staff/jobs/{job.number}/uploads/form-check", {"key": key}, wang).status_code == 200

    filed = post(client, f"/staff/jobs/{job.number}/acceptance", dict(WORK, form_key=key), wang)
    assert filed.status_code == 303
    assert ticket(job.number).status == Status.AWAITING_APPROVAL

    supervisor = staff_token("supervisor")
    page = html(get(client, "/staff/approvals?lang=en", supervisor))
    assert job.number in page and "total 1700" in page
    assert f'<a class="ticket-link" href="/staff/tickets/{job.number}">' in page
    # A picture of its first page shows it in the page; the link opens the PDF itself.
    preview = re.search(rf'<img src="([^"]+)" id="preview-{job.number}" alt="Page 1 of the acceptance form">', page)
    assert preview and quote(key.rsplit("/", 1)[0] + "/preview.png", safe="/") in preview.group(1).replace("&amp;", "&")
    link = re.search(r'class="form-link" href="([^"]+)"', page).group(1)
    assert link == f"/staff/approvals/{job.number}/form"
    opened = get(client, link, supervisor)  # a presigned link made at the tap: never a stale one
    assert opened.status_code == 303 and quote(key, safe="/") in opened.headers["Location"]
    assert "X-Amz-Expires=300&" in opened.headers["Location"]
    assert get(client, "/staff/approvals/SD-1999-000001/form", supervisor).status_code == 404

    assert post(client, f"/staff/approvals/{job.number}/approve", token=supervisor).status_code == 303
    assert ticket(job.number).status == Status.CLOSED
    tracking = client.http.get(f"/t/{job.tracking_token}")
    assert "已完成" in html(tracking)


def test_a_signature_drawn_on_the_screen_files_a_rendered_form(client, job, wang):
    check_in(client, job, wang)
    page = html(get(client, f"/staff/jobs/{job.number}", wang))
    assert 'name="opinion"' in page and page.count('name="satisfaction"') == 3
    data = dict(WORK, signature=data_url(signature_png(600, 240)), signer="王工", opinion="处理及时",
                satisfaction="satisfied")
    assert post(client, f"/staff/jobs/{job.number}/acceptance", data, wang).status_code == 303
    acceptance = ticket(job.number).acceptance
    stored = boto3.client("s3").get_object(Bucket=get_settings().bucket_name, Key=acceptance.form_key)
    form = Page(stored["Body"].read())
    assert acceptance.signer == "王工" and "处理及时" in [text.text for text in form.texts]
    assert acceptance.satisfaction == "satisfied" and acceptance.opinion == "处理及时"  # kept in the record too
    [tick] = form.ticks
    assert all(0 < form.text("满意").x - x < 20 for x, _ in tick)


def test_an_unknown_satisfaction_answer_is_refused_in_the_pages_language(client, job, wang):
    check_in(client, job, wang)
    data = dict(WORK, signature=data_url(signature_png(600, 240)), signer="王工", satisfaction="ecstatic")
    refused = post(client, f"/staff/jobs/{job.number}/acceptance?lang=en", data, wang)
    assert refused.status_code == 400 and 'id="satisfaction-error"' in html(refused)
    assert ticket(job.number).status == Status.ON_SITE


def test_the_supervisor_sees_the_form_signed_on_the_screen_in_the_approvals_and_on_the_ticket(client, job, wang,
                                                                                              staff_token):
    check_in(client, job, wang)
    data = dict(WORK, signature=data_url(signature_png(600, 240)), signer="王工")
    assert post(client, f"/staff/jobs/{job.number}/acceptance", data, wang).status_code == 303
    supervisor = staff_token("supervisor")
    folder = ticket(job.number).acceptance.form_key.rsplit("/", 1)[0]
    picture = quote(f"{folder}/preview.png", safe="/")  # the form's first page, drawn when it was filed

    approvals = html(get(client, "/staff/approvals", supervisor))
    preview = re.search(rf'<img src="([^"]+)" id="preview-{job.number}" alt="验收单第 1 页">', approvals)
    assert preview and picture in preview.group(1).replace("&amp;", "&")
    page = html(get(client, f"/staff/tickets/{job.number}", supervisor))
    shown = re.search(r'<img src="([^"]+)" id="acceptance-preview" alt="验收单第 1 页">', page)
    assert shown and picture in shown.group(1).replace("&amp;", "&")
    assert f'id="acceptance-link" href="/staff/approvals/{job.number}/form"' in page

    stored = boto3.client("s3").get_object(Bucket=get_settings().bucket_name, Key=f"{folder}/preview.png")
    png = stored["Body"].read()
    assert stored["ContentType"] == "image/png" and png.startswith(b"\x89PNG")
    assert struct.unpack(">II", png[16:24])[0] == 900  # wide enough to read on a desk, zoomable on a phone


def test_the_refusal_path_keeps_the_job_open_and_the_supervisor_reads_the_reason(client, job, wang, staff_token):
    check_in(client, job, wang)
    empty = post(client, f"/staff/jobs/{job.number}/refusal?lang=en", {"reason": "  "}, wang)
    assert empty.status_code == 400 and 'id="reason-error"' in html(empty)
    assert post(client, f"/staff/jobs/{job.number}/refusal", {"reason": "客户要求再观察三天"}, wang).status_code == 303
    assert ticket(job.number).status == Status.ON_SITE
    page = html(get(client, "/staff/approvals", staff_token("supervisor")))
    assert "客户要求再观察三天" in page


def test_a_rejected_closure_needs_a_reason_and_goes_back_on_site(client, job, wang, staff_token):
    check_in(client, job, wang)
    post(client, f"/staff/jobs/{job.number}/acceptance", dict(WORK, signature=data_url(signature_png()), signer="王工"),
         wang)
    supervisor = staff_token("supervisor")
    missing = post(client, f"/staff/approvals/{job.number}/reject?lang=en", {"reason": ""}, supervisor)
    assert missing.status_code == 400 and "This field is required" in html(missing)
    assert post(client, f"/staff/approvals/{job.number}/reject", {"reason": "缺公章"}, supervisor).status_code == 303
    assert ticket(job.number).status == Status.ON_SITE


# ---- bad input ---------------------------------------------------------------------------------------

def test_a_form_upload_of_a_type_not_allowed_is_refused_before_any_upload(client, job, wang):
    check_in(client, job, wang)
    response = post_json(client, f"/staff/jobs/{job.number}/uploads/form?lang=en",
                         {"filename": "a.gif", "content_type": "image/gif"}, wang)
    assert response.status_code == 400 and "photo (JPG, PNG, HEIC) or a PDF" in response.json_body["message"]


@pytest.mark.parametrize("data, message", [
    (b"just text pretending to be a PDF", "photo (JPG, PNG, HEIC) or a PDF"),
    (b"%PDF" + b"0" * (10 * 1024 * 1024), "larger than 10 MB"),
])
def test_a_landed_form_of_the_wrong_type_or_too_large_is_refused_and_deleted(client, job, wang, data, message):
    check_in(client, job, wang)
    key = post_json(client, f"/staff/jobs/{job.number}/uploads/form",
                    {"filename": "a.pdf", "content_type": "application/pdf"}, wang).json_body["key"]
    put_object(key, data)
    response = post_json(client, f"/staff/jobs/{job.number}/uploads/form-check?lang=en", {"key": key}, wang)
    assert response.status_code == 400 and message in response.json_body["message"]
    listed = boto3.client("s3").list_objects_v2(Bucket=get_settings().bucket_name, Prefix=key)
    assert listed.get("KeyCount", 0) == 0


def test_a_signature_that_is_not_a_png_is_answered_next_to_the_field_with_the_input_kept(client, job, wang):
    check_in(client, job, wang)
    data = dict(WORK, signature="data:image/jpeg;base64,/9j/4AAQ", signer="王工")
    response = post(client, f"/staff/jobs/{job.number}/acceptance?lang=en", data, wang)
    assert response.status_code == 400
    page = html(response)
    assert 'id="signature-error"' in page and "not valid; please sign again" in page
    assert "更换断路器，试运行正常" in page  # kept
    assert ticket(job.number).status == Status.ON_SITE


def test_closure_without_a_form_or_signature_and_bad_numbers_are_refused(client, job, wang):
    check_in(client, job, wang)
    none = post(client, f"/staff/jobs/{job.number}/acceptance?lang=en", WORK, wang)
    assert none.status_code == 400 and "Upload the signed form" in html(none)
    negative = post(client, f"/staff/jobs/{job.number}/acceptance?lang=en", dict(WORK, labour="-5", form_key="x"), wang)
    assert negative.status_code == 400 and 'id="labour-error"' in html(negative)


def test_a_step_the_status_does_not_allow_is_a_conflict_not_an_error(client, job, wang):
    response = post(client, f"/staff/jobs/{job.number}/refusal?lang=en", {"reason": "x"}, wang)  # not on site yet
    assert response.status_code == 409 and "does not allow" in html(response)


def test_an_unknown_job_is_not_found(client, wang):
    assert get(client, "/staff/jobs/SD-2026-999999", wang).status_code == 404


def test_a_signature_larger_than_the_pad_is_a_400_in_the_pages_language_with_the_input_kept(client, job, wang):
    check_in(client, job, wang)
    data = dict(WORK, signature=data_url(signature_png(1200, 480)), signer="王工")
    english = post(client, f"/staff/jobs/{job.number}/acceptance?lang=en", data, wang)
    assert english.status_code == 400
    page = html(english)
    assert 'id="signature-error"' in page and "larger than the signature pad (at most 600×240 pixels)" in page
    assert "更换断路器，试运行正常" in page  # kept
    chinese = post(client, f"/staff/jobs/{job.number}/acceptance?lang=zh-CN", data, wang)
    assert chinese.status_code == 400 and "签字图像超出签字板大小" in html(chinese)
    assert ticket(job.number).status == Status.ON_SITE
