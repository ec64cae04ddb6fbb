"""The staff API's resources beyond the ticket's moves, over moto: each does what its staff page does,
through the same service, with the page's roles; lists page with a cursor; a write sent again with the
same Idempotency-Key is done once; the rules' refusals are clear 4xx in the caller's language."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from chalicelib.domain.staff import StaffRole
from tests.fakes import valid_report
from tests.integration.test_staff_api import JSON, machine, report

TODAY = date.today()
CLASSIFY_PAID = {
    "kind": "fault",
    "priority": "B",
    "billing": "paid",
    "billing_reason": "out_of_warranty",
    "warranty": "out",
    "plan": "standard",
    "in_province": "yes",
}
CLASSIFY_FREE = {**CLASSIFY_PAID, "billing": "free", "billing_reason": "", "warranty": "in"}


@pytest.fixture
def supervisor(aws):
    return machine(aws, "service-desk/supervisor")


@pytest.fixture
def wang(staff_token):
    return {**JSON, "Authorization": f"Bearer {staff_token('tech-wang', StaffRole.TECHNICIAN)}"}


def post(client, path, body, headers, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.http.post(path, body=json.dumps(body), headers={**headers, **extra})


def dispatched(client, supervisor, classify=CLASSIFY_FREE) -> str:
    number = report(client)
    assert post(client, f"/api/v1/tickets/{number}/classify", classify, supervisor).status_code == 200
    assert (
        post(client, f"/api/v1/tickets/{number}/dispatch", {"technicians": ["tech-wang"]}, supervisor).json_body[
            "status"
        ]
        == "dispatched"
    )
    return number


# -- billing ---------------------------------------------------------------------------------------


def test_a_paid_job_is_quoted_approved_invoiced_and_paid_once_however_often_the_payment_is_sent(
    client, aws, supervisor
):
    opened = client.http.post("/api/requests", body=json.dumps(valid_report()), headers=JSON).json_body
    number = opened["number"]
    assert post(client, f"/api/v1/tickets/{number}/classify", CLASSIFY_PAID, supervisor).status_code == 200
    quote = {
        "lines": [
            {"category": "materials", "description": "断路器", "quantity": "1", "unit": "台", "unit_price": "1200.00"},
            {"category": "labour", "description": "更换", "quantity": "2", "unit_price": "150"},
        ],
        "valid_until": (TODAY + timedelta(days=10)).isoformat(),
    }
    drafted = post(client, f"/api/v1/tickets/{number}/quote", quote, supervisor)
    assert drafted.status_code == 200, drafted.json_body
    assert drafted.json_body["quote"]["state"] == "draft" and drafted.json_body["quote_total"] == "1500.00"
    early = post(
        client,
        f"/api/v1/tickets/{number}/invoice",
        {"amount": "1500", "invoice_number": "FP-1", "invoiced_on": TODAY.isoformat()},
        {**supervisor, "Accept-Language": "en"},
    )
    assert early.status_code == 409 and early.json_body["error"] == "nothing_to_collect"
    assert "approval" in early.json_body["message"]
    sent = post(client, f"/api/v1/tickets/{number}/quote/send", {}, supervisor).json_body
    assert sent["quote"]["state"] == "sent" and not sent["work_may_start"]

    wiring.services().billing.answer_quote(opened["tracking_token"], approve=True, revision=1)
    payment = {"received_on": TODAY.isoformat(), "amount": "500.00", "method": "bank_transfer", "reference": "T1"}
    first = post(client, f"/api/v1/tickets/{number}/payments", payment, supervisor, key="pay-1")
    again = post(client, f"/api/v1/tickets/{number}/payments", payment, supervisor, key="pay-1")
    assert first.status_code == again.status_code == 200 and first.json_body == again.json_body
    assert first.json_body["balance"] == "1000.00" and len(first.json_body["account"]["payments"]) == 1
    other = post(client, f"/api/v1/tickets/{number}/payments", {**payment, "amount": "1"}, supervisor, key="pay-1")
    assert other.status_code == 422

    owed = client.http.get("/api/v1/receivables", headers=machine(aws, "service-desk/general_manager")).json_body
    assert [(row["number"], row["balance"]) for row in owed["items"]] == [(number, "1000.00")]
    assert owed["cursor"] is None
    desk = machine(aws, "service-desk/desk")
    assert client.http.get(f"/api/v1/tickets/{number}/quote", headers=desk).json_body["balance"] == "1000.00"
    assert post(client, f"/api/v1/tickets/{number}/payments", payment, desk).status_code == 403, "money is the "
    "supervisor's"


def test_bad_quote_lines_are_a_400_by_field_and_an_unknown_ticket_a_404(client, supervisor):
    number = report(client)
    assert (
        post(client, f"/api/v1/tickets/{number}/cancel", {"cancel_reason": "客户撤回"}, supervisor).status_code == 200
    )
    closed = post(
        client,
        f"/api/v1/tickets/{number}/billing",
        {"billing": "paid", "reason": "misuse"},
        {**supervisor, "Accept-Language": "en"},
    )
    assert closed.status_code == 409 and closed.json_body["error"] == "move_illegal", closed.json_body
    assert "not possible" in closed.json_body["message"]
    bad = post(client, f"/api/v1/tickets/{number}/quote", {"lines": [], "valid_until": "soon"}, supervisor)
    assert bad.status_code == 400 and set(bad.json_body["fields"]) == {"lines", "valid_until"}
    missing = client.http.get("/api/v1/tickets/SD-2026-999999/quote", headers=supervisor)
    assert missing.status_code == 404 and missing.json_body["error"] == "ticket_not_found"


def test_parts_go_from_the_technicians_request_to_his_receipt_and_other_technicians_see_nothing(
    client, aws, supervisor, wang, staff_token
):
    number = dispatched(client, supervisor)
    asked = post(
        client,
        f"/api/v1/tickets/{number}/parts",
        {"items": [{"part_number": "VS1-12", "name": "真空断路器", "quantity": 1}], "note": "急"},
        wang,
    )
    assert asked.status_code == 200, asked.json_body
    rid = asked.json_body["requisitions"][0]["id"]
    chief = machine(aws, "service-desk/chief_engineer")
    reviewed = post(client, f"/api/v1/tickets/{number}/parts/{rid}/review", {"decision": "approve"}, chief)
    assert reviewed.json_body["requisitions"][0]["state"] == "approved"
    waiting = client.http.get("/api/v1/parts", headers=machine(aws, "service-desk/desk")).json_body["items"]
    assert [(row["number"], row["requisition"]["id"]) for row in waiting] == [(number, rid)]
    shipment = {"carrier": "顺丰", "tracking_number": "SF123", "shipped_on": TODAY.isoformat()}
    assert post(client, f"/api/v1/tickets/{number}/parts/{rid}/ship", shipment, supervisor).status_code == 200
    received = post(client, f"/api/v1/tickets/{number}/parts/{rid}/receive", {"received_on": TODAY.isoformat()}, wang)
    assert received.json_body["requisitions"][0]["state"] == "received"
    twice = post(client, f"/api/v1/tickets/{number}/parts/{rid}/receive", {"received_on": TODAY.isoformat()}, wang)
    assert twice.status_code == 409 and twice.json_body["error"] == "parts_move"
    assert client.http.get("/api/v1/parts", headers=chief).json_body["items"] == []

    li = {**JSON, "Authorization": f"Bearer {staff_token('tech-li', StaffRole.TECHNICIAN)}"}
    assert client.http.get(f"/api/v1/tickets/{number}/parts", headers=li).status_code == 404
    unknown = post(client, f"/api/v1/tickets/{number}/parts/R9/ship", shipment, supervisor)
    assert unknown.status_code == 404 and unknown.json_body["error"] == "requisition_unknown"


def test_a_loaner_is_issued_and_taken_back_once(client, supervisor, wang):
    number = dispatched(client, supervisor)
    loaner = {"model": "KYN28-12", "serial_number": "LOAN-7", "issued_to": "王工", "issued_on": TODAY.isoformat()}
    issued = post(client, f"/api/v1/tickets/{number}/loaners", loaner, wang)
    assert issued.status_code == 200 and issued.json_body["loaners"][0]["state"] == "out"
    lid = issued.json_body["loaners"][0]["id"]
    back = {"returned_on": TODAY.isoformat(), "condition": "good"}
    assert post(client, f"/api/v1/tickets/{number}/loaners/{lid}/return", back, supervisor).status_code == 200
    again = post(client, f"/api/v1/tickets/{number}/loaners/{lid}/return", back, supervisor)
    assert again.status_code == 409 and again.json_body["error"] == "loaner_move"
    assert (
        client.http.get(f"/api/v1/tickets/{number}/loaners", headers=wang).json_body["loaners"][0]["state"]
        == "returned"
    )


# -- complaints ------------------------------------------------------------------------------------


COMPLAINT = {
    "order_number": "PO-1",
    "part_number": "P-9",
    "ship_date": "2026-10-01",
    "quantity": 10,
    "defective_quantity": 3,
    "customer_request": "换货",
    "severity": "severe",
}


def test_a_severe_complaint_with_compensation_waits_for_the_supervisor_then_the_general_manager(client, aws):
    desk = machine(aws, "service-desk/desk")
    bad = post(
        client,
        "/api/v1/complaints",
        {"report": valid_report(), "details": {**COMPLAINT, "defective_quantity": 11}},
        desk,
    )
    assert bad.status_code == 400 and "defective_quantity" in bad.json_body["fields"]
    opened = post(client, "/api/v1/complaints", {"report": valid_report(), "details": COMPLAINT}, desk, key="c-1")
    assert opened.status_code == 201, opened.json_body
    number = opened.json_body["number"]
    assert opened.json_body["complaint"]["details"]["severity"] == "severe"
    assert (
        post(client, "/api/v1/complaints", {"report": valid_report(), "details": COMPLAINT}, desk, key="c-1").json_body[
            "number"
        ]
        == number
    ), "the same complaint sent again opens no second ticket"

    quality = machine(aws, "service-desk/quality")
    analysed = post(
        client,
        f"/api/v1/complaints/{number}/analyse",
        {"cause": "quality", "department": "质管部", "analysis": "焊点虚焊"},
        quality,
    )
    assert analysed.status_code == 200 and analysed.json_body["complaint"]["cause"] == "quality"
    proposed = post(client, f"/api/v1/complaints/{number}/propose", {"text": "换货并补偿", "compensation": "800"}, desk)
    assert proposed.json_body["next_approval"] == "supervisor"
    manager = machine(aws, "service-desk/general_manager")
    assert post(client, f"/api/v1/complaints/{number}/approve", {}, manager).status_code == 403, "not his turn"
    assert (
        post(client, f"/api/v1/complaints/{number}/approve", {}, machine(aws, "service-desk/supervisor")).json_body[
            "next_approval"
        ]
        == "general_manager"
    )
    done = post(client, f"/api/v1/complaints/{number}/approve", {"note": "同意"}, manager).json_body
    assert done["next_approval"] is None and done["complaint"]["resolution"]["state"] == "approved"

    listed = client.http.get("/api/v1/complaints?limit=1", headers=quality).json_body
    assert [row["number"] for row in listed["items"]] == [number] and listed["cursor"] is None
    assert client.http.get("/api/v1/complaints/SD-2026-999999", headers=quality).status_code == 404
    blank = post(client, f"/api/v1/complaints/{number}/propose", {"text": "换货", "compensation": ""}, desk)
    assert blank.status_code == 200 and blank.json_body["complaint"]["resolution"]["compensation"] is None, (
        "a blank compensation is none offered"
    )


def test_a_phone_complaint_naming_a_photo_never_uploaded_is_a_400_on_its_photos_and_opens_nothing(client, aws):
    desk = machine(aws, "service-desk/desk")
    report_with_photo = {**valid_report(), "photos": ["uploads/photos/2026/never-sent.jpg"]}
    refused = post(client, "/api/v1/complaints?lang=en", {"report": report_with_photo, "details": COMPLAINT}, desk)
    assert refused.status_code == 400, refused.json_body
    assert refused.json_body["error"] == "invalid" and "never-sent.jpg" in refused.json_body["fields"]["photos"]
    assert wiring.services().complaints.open_complaints() == []
    opened = post(client, "/api/v1/complaints", {"report": valid_report(), "details": COMPLAINT}, desk)
    assert opened.json_body["number"].endswith("-000001"), "the refused complaint spent no number"


# -- archive ---------------------------------------------------------------------------------------


CUSTOMER = {
    "customer_id": "C-MINGYUAN",
    "name": "南京明远机电有限公司",
    "phones": ["13800138000"],
    "province": "江苏",
    "city": "南京",
    "plan": "standard",
}
PRODUCT = {"serial_number": "SN-2026-0042", "model": "KYN28-12", "delivery_date": "2026-01-10", "warranty_months": 24}


def test_the_archive_adds_changes_and_finds_customers_and_their_products(client, aws):
    desk = machine(aws, "service-desk/desk")
    created = post(client, "/api/v1/customers", CUSTOMER, desk)
    assert created.status_code == 201, created.json_body
    assert created.json_body["customer"]["province"] == "CN-JS" and created.json_body["customer"]["version"] == 1
    assert post(client, "/api/v1/customers", CUSTOMER, desk).status_code == 409
    refused = post(client, "/api/v1/customers", {**CUSTOMER, "customer_id": "C-2", "phones": ["12"]}, desk)
    assert refused.status_code == 400 and "phones" in refused.json_body["fields"]
    post(client, "/api/v1/customers", {**CUSTOMER, "customer_id": "C-ZHONGDA", "name": "中达电气"}, desk)

    changed = post(client, "/api/v1/customers/C-MINGYUAN", {**CUSTOMER, "city": "江宁", "version": 1}, desk)
    assert changed.status_code == 200 and changed.json_body["customer"]["version"] == 2
    stale = post(client, "/api/v1/customers/C-MINGYUAN", {**CUSTOMER, "version": 1}, desk)
    assert stale.status_code == 409 and stale.json_body["error"] == "stale_record"

    added = post(client, "/api/v1/customers/C-MINGYUAN/products", PRODUCT, desk)
    assert added.status_code == 201 and added.json_body["warranty"]["status"] in ("in", "out")
    assert post(client, "/api/v1/customers/C-ZHONGDA/products", PRODUCT, desk).status_code == 409, "serial taken"
    reader = machine(aws, "service-desk/quality")
    assert (
        client.http.get("/api/v1/products/SN-2026-0042", headers=reader).json_body["product"]["customer_id"]
        == "C-MINGYUAN"
    )
    assert [
        c["id"] for c in client.http.get("/api/v1/customers?q=SN-2026-0042", headers=reader).json_body["items"]
    ] == ["C-MINGYUAN"]
    first = client.http.get("/api/v1/customers?limit=1", headers=reader).json_body
    rest = client.http.get(f"/api/v1/customers?limit=1&cursor={first['cursor']}", headers=reader).json_body
    assert {c["id"] for c in first["items"] + rest["items"]} == {"C-MINGYUAN", "C-ZHONGDA"}
    assert post(client, "/api/v1/customers", CUSTOMER, reader).status_code == 403
    assert client.http.get("/api/v1/customers/NOBODY", headers=reader).status_code == 404


# -- after-care ------------------------------------------------------------------------------------


def test_a_products_maintenance_schedule_lists_its_visits_a_page_at_a_time(client, aws):
    desk = machine(aws, "service-desk/desk")
    post(client, "/api/v1/customers", CUSTOMER, desk)
    post(client, "/api/v1/customers/C-MINGYUAN/products", PRODUCT, desk)
    days = [(TODAY + timedelta(days=n)).isoformat() for n in (3, 10)]
    unknown = post(client, "/api/v1/maintenance", {"serial_number": "NOPE", "dates": days}, desk)
    assert unknown.status_code == 400 and "serial_number" in unknown.json_body["fields"]
    assert post(client, "/api/v1/maintenance", {"serial_number": "SN-2026-0042"}, desk).status_code == 400
    scheduled = post(client, "/api/v1/maintenance", {"serial_number": "SN-2026-0042", "dates": days}, desk)
    assert scheduled.status_code == 200 and scheduled.json_body["dates"] == days
    first = client.http.get("/api/v1/maintenance?limit=1", headers=desk).json_body
    rest = client.http.get(f"/api/v1/maintenance?limit=1&cursor={first['cursor']}", headers=desk).json_body
    assert [v["on"] for v in first["items"] + rest["items"]] == days and rest["cursor"] is None
    assert first["items"][0]["customer_name"] == CUSTOMER["name"]
    assert client.http.get("/api/v1/maintenance?days=0", headers=desk).status_code == 400
    assert client.http.get("/api/v1/maintenance/SN-2026-0042", headers=desk).json_body["dates"] == days
    assert client.http.get("/api/v1/maintenance", headers=machine(aws, "service-desk/technician")).status_code == 403


def test_callbacks_and_the_survey_of_a_job_not_closed(client, aws):
    desk = machine(aws, "service-desk/desk")
    assert client.http.get("/api/v1/callbacks", headers=desk).json_body == {"items": [], "cursor": None}
    gone = post(client, "/api/v1/callbacks/2026-12-01.repair.SD-1", {"reached": "no"}, desk)
    assert gone.status_code == 404 and gone.json_body["error"] == "callback_not_found"
    number = report(client)
    survey = client.http.get(f"/api/v1/tickets/{number}/survey", headers=desk).json_body
    assert survey == {"number": number, "state": None, "sent_at": None, "open_until": None, "answer": None}


# -- reports and uploads ---------------------------------------------------------------------------


def test_the_months_page_back_and_a_month_not_built_has_no_download(client, aws):
    manager = machine(aws, "service-desk/general_manager")
    first = client.http.get("/api/v1/reports?limit=2", headers=manager).json_body
    second = client.http.get(f"/api/v1/reports?limit=2&cursor={first['cursor']}", headers=manager).json_body
    months = [row["month"] for row in first["items"] + second["items"]]
    assert months == sorted(months, reverse=True) and len(set(months)) == 4
    assert first["items"][0]["files"] == {"csv": None, "xlsx": None}
    old = months[-1]
    missing = client.http.get(f"/api/v1/reports/{old}/files/csv", headers=manager)
    assert missing.status_code == 404 and missing.json_body["error"] == "report_not_built"
    assert client.http.get("/api/v1/reports/2026-13/files/csv", headers=manager).status_code == 400
    assert client.http.get(f"/api/v1/reports/{old}/files/pdf", headers=manager).status_code == 400
    assert client.http.get("/api/v1/reports", headers=machine(aws, "service-desk/desk")).status_code == 403


def test_the_technician_gets_an_upload_for_his_own_jobs_form_only(client, supervisor, wang, staff_token):
    number = dispatched(client, supervisor)
    upload = post(
        client,
        f"/api/v1/tickets/{number}/uploads/form",
        {"filename": "验收单.pdf", "content_type": "application/pdf"},
        wang,
    )
    assert upload.status_code == 201 and upload.json_body["key"] and upload.json_body["url"]
    wrong = post(
        client,
        f"/api/v1/tickets/{number}/uploads/form",
        {"filename": "a.exe", "content_type": "application/x-msdownload"},
        wang,
    )
    assert wrong.status_code == 400 and "form_key" in wrong.json_body["fields"]
    not_landed = post(client, f"/api/v1/tickets/{number}/uploads/form-check", {"key": upload.json_body["key"]}, wang)
    assert not_landed.status_code == 400
    li = {**JSON, "Authorization": f"Bearer {staff_token('tech-li', StaffRole.TECHNICIAN)}"}
    assert (
        post(
            client,
            f"/api/v1/tickets/{number}/uploads/form",
            {"filename": "a.pdf", "content_type": "application/pdf"},
            li,
        ).status_code
        == 404
    )
    photo = post(client, "/api/v1/uploads/photos", {"filename": "现场.jpg", "content_type": "image/jpeg"}, wang)
    assert photo.status_code == 201 and photo.json_body["max_bytes"] > 0
    progress = post(
        client, f"/api/v1/tickets/{number}/progress", {"text": "更换断路器", "photos": ["forged/key.jpg"]}, wang
    )
    assert progress.status_code == 400 and "photos" in progress.json_body["fields"]


def test_a_list_refuses_a_forged_cursor_and_a_page_size_out_of_range(client, aws):
    desk = machine(aws, "service-desk/desk")
    for query in ({"cursor": "forged!"}, {"cursor": "eyJhIjoxfQ"}, {"limit": "0"}, {"limit": "²"}):
        refused = client.http.get(f"/api/v1/complaints?{urlencode(query)}", headers=desk)
        assert refused.status_code == 400, query


# -- the office's desk work and approvals ----------------------------------------------------------


def test_the_desk_types_in_a_phone_call_once_however_often_it_is_sent(client, aws, staff_token):
    desk = {**JSON, "Authorization": f"Bearer {staff_token('desk-1', StaffRole.DESK)}"}
    web = post(client, "/api/v1/requests", valid_report(channel="web"), desk)
    assert web.status_code == 400 and "channel" in web.json_body["fields"]
    both = post(client, "/api/v1/requests", valid_report(channel="fax", phone="12"), desk)
    assert both.status_code == 400, "what is wrong is said at once"
    first = post(client, "/api/v1/requests", valid_report(channel="phone"), desk, key="call-1")
    again = post(client, "/api/v1/requests", valid_report(channel="phone"), desk, key="call-1")
    assert first.status_code == again.status_code == 201 and first.json_body["number"] == again.json_body["number"]
    ticket = client.http.get(f"/api/v1/tickets/{first.json_body['number']}", headers=desk).json_body
    assert ticket["timeline"][0]["actor"] == "desk-1"
    assert (
        post(
            client, "/api/v1/requests", valid_report(channel="phone"), machine(aws, "service-desk/quality")
        ).status_code
        == 403
    )


def test_a_key_a_customer_chose_neither_blocks_nor_replays_the_desks_entry(client, staff_token):
    customer = post(client, "/api/requests", valid_report(), JSON, key="shared-key")
    desk = {**JSON, "Authorization": f"Bearer {staff_token('desk-1', StaffRole.DESK)}"}
    typed_in = post(client, "/api/v1/requests", valid_report(channel="phone"), desk, key="shared-key")
    assert customer.status_code == typed_in.status_code == 201
    assert typed_in.json_body["number"] != customer.json_body["number"]
    other_desk = {**JSON, "Authorization": f"Bearer {staff_token('desk-2', StaffRole.DESK)}"}
    second = post(client, "/api/v1/requests", valid_report(channel="phone"), other_desk, key="shared-key")
    assert second.json_body["number"] not in (customer.json_body["number"], typed_in.json_body["number"])


def test_a_visit_outside_working_time_waits_for_the_supervisor_and_is_decided_once(client, supervisor, wang):
    number = dispatched(client, supervisor)
    sunday = TODAY + timedelta(days=(6 - TODAY.weekday()) % 7 or 7)
    visit = {"visit_starts": f"{sunday.isoformat()}T10:00", "visit_ends": f"{sunday.isoformat()}T12:00"}
    asked = post(client, f"/api/v1/tickets/{number}/overtime", visit, wang)
    assert asked.status_code == 200, asked.json_body
    waiting = client.http.get("/api/v1/approvals/overtime", headers=supervisor).json_body["items"]
    assert [(row["number"], row["visit"]["state"]) for row in waiting] == [(number, "requested")]
    visit_id = waiting[0]["visit"]["id"]
    decided = post(client, f"/api/v1/tickets/{number}/overtime/{visit_id}", {"decision": "approve"}, supervisor)
    assert decided.status_code == 200 and decided.json_body["visit"]["state"] == "approved"
    again = post(client, f"/api/v1/tickets/{number}/overtime/{visit_id}", {"decision": "decline"}, supervisor)
    assert again.status_code == 409 and again.json_body["error"] == "overtime_decided"
    unknown = post(client, f"/api/v1/tickets/{number}/overtime/O9", {"decision": "approve"}, supervisor)
    assert unknown.status_code == 404
    assert client.http.get("/api/v1/approvals/overtime", headers=supervisor).json_body["items"] == []


def test_a_refusal_to_sign_reaches_the_supervisors_list(client, supervisor, wang):
    number = dispatched(client, supervisor)
    for step in ("set-out", "check-in", "start-repair", "resolve"):
        assert post(client, f"/api/v1/tickets/{number}/{step}", {}, wang).status_code == 200, step
    assert post(client, f"/api/v1/tickets/{number}/refusal", {"reason": "客户不在现场"}, wang).status_code == 200
    refused = client.http.get("/api/v1/approvals/refusals", headers=supervisor).json_body["items"]
    assert [(row["number"], row["reason"], row["by"]) for row in refused] == [(number, "客户不在现场", "tech-wang")]
    assert client.http.get("/api/v1/approvals/closures", headers=supervisor).json_body["items"] == []


def test_the_supervisor_puts_someone_on_call_and_takes_him_off(client, aws, supervisor):
    first = {"level": "supervisor", "name": "李主管", "phone": "13900139000"}
    put = post(client, "/api/v1/on-call", first, supervisor)
    assert put.status_code == 200, put.json_body
    assert put.json_body["scope"] == "default" and put.json_body["on_call"]["supervisor"][0]["name"] == "李主管"
    listed = client.http.get("/api/v1/on-call", headers=supervisor).json_body["items"]
    assert [(r["scope"], r["on_call"].get("supervisor", [{}])[0].get("name")) for r in listed] == [
        ("default", "李主管")
    ]
    blank = {"level": "supervisor", "name": "", "phone": "", "email": "", "clear": "1"}
    cleared = post(client, "/api/v1/on-call", blank, supervisor).json_body
    assert not cleared["on_call"].get("supervisor")
    assert (
        post(
            client, "/api/v1/on-call", {"level": "technician", "name": "王工", "phone": "13900139000"}, supervisor
        ).status_code
        == 400
    )
    unreachable = post(client, "/api/v1/on-call", {"level": "supervisor", "name": "李主管"}, supervisor)
    assert unreachable.status_code == 400 and "phone" in unreachable.json_body["fields"]
    assert client.http.get("/api/v1/on-call", headers=machine(aws, "service-desk/desk")).status_code == 403


def test_a_products_nameplate_code_is_issued_downloaded_and_withdrawn(client, aws):
    desk = machine(aws, "service-desk/desk")
    post(client, "/api/v1/customers", CUSTOMER, desk)
    post(client, "/api/v1/customers/C-MINGYUAN/products", PRODUCT, desk)
    code = client.http.get("/api/v1/products/SN-2026-0042/code/svg", headers=desk)
    assert code.status_code == 200 and code.json_body["url"] and "/q/" in code.json_body["scan_url"]
    assert client.http.get("/api/v1/customers/C-MINGYUAN/labels", headers=desk).json_body["url"]
    assert client.http.get("/api/v1/customers/C-ZHONGDA/labels", headers=desk).status_code == 404
    assert client.http.get("/api/v1/products/SN-2026-0042/code/pdf", headers=desk).status_code == 400
    assert client.http.get("/api/v1/products/NOPE/code/png", headers=desk).status_code == 404
    quality = machine(aws, "service-desk/quality")
    assert post(client, "/api/v1/products/SN-2026-0042/code/withdraw", {}, quality).status_code == 403
    assert post(client, "/api/v1/products/SN-2026-0042/code/withdraw", {}, desk).json_body["withdrawn"] is True
    assert post(client, "/api/v1/products/SN-2026-0042/code/withdraw", {}, desk).json_body["withdrawn"] is False
