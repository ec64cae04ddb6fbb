"""Paid jobs, parts and loaners over HTTP under moto: the pages, the customer's answer, and who may do what."""

from datetime import date, timedelta
from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from chalicelib.domain.billing import BillingReason, QuoteState
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.parts import PartLine
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Billing
from tests.fakes import valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
VALID_UNTIL = (date.today() + timedelta(days=30)).isoformat()
QUOTE = {
    "category_1": "materials", "description_1": "真空断路器", "quantity_1": "1", "unit_1": "台",
    "unit_price_1": "1200", "category_2": "labour", "description_2": "更换调试", "quantity_2": "1.5",
    "unit_2": "小时", "unit_price_2": "300", "valid_until": VALID_UNTIL,
}


def post(client, path, data, token=None, cookie=True):
    headers = dict(FORM)
    if token:
        headers["Cookie"] = f"sd_staff={token}"
    return client.http.post(path, body=urlencode(data), headers=headers)


def get(client, path, token):
    return client.http.get(path, headers={"Cookie": f"sd_staff={token}"})


@pytest.fixture
def job(aws):
    receipt = wiring.services().intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    return receipt


@pytest.fixture
def paid_job(job):
    wiring.services().billing.decide_billing(job.number, actor=SystemActor("sup"), billing_kind=Billing.PAID,
                                             reason=BillingReason.MISUSE)
    return job


def quote_sent(client, paid_job, token):
    assert post(client, f"/staff/tickets/{paid_job.number}/quote", QUOTE, token).status_code == 303
    assert post(client, f"/staff/tickets/{paid_job.number}/quote/send", {}, token).status_code == 303


def test_the_supervisor_decides_paid_drafts_and_sends_a_quote(client, staff_token, job):
    token = staff_token("supervisor")
    decided = post(client, f"/staff/tickets/{job.number}/billing", {"billing": "paid", "reason": "misuse"}, token)
    assert decided.status_code == 303 and decided.headers["Location"].endswith("/quote?saved=1")
    quote_sent(client, job, token)
    page = get(client, f"/staff/tickets/{job.number}/quote", token)
    body = page.body.decode()
    assert page.status_code == 200
    assert "1,650.00" in body and "已发送，等待客户确认" in body
    stored = wiring.services().billing.ticket(job.number)
    assert stored.quote.state == QuoteState.SENT and stored.billing_reason == BillingReason.MISUSE


def test_a_wrong_line_is_answered_next_to_the_field_with_the_input_kept(client, staff_token, paid_job):
    token = staff_token("supervisor")
    response = post(client, f"/staff/tickets/{paid_job.number}/quote?lang=en",
                    {**QUOTE, "quantity_2": "lots"}, token)
    body = response.body.decode()
    assert response.status_code == 400
    assert 'id="quantity_2-error"' in body and 'value="lots"' in body and 'value="真空断路器"' in body


def test_a_broken_rule_is_a_409_with_the_reason_not_a_500(client, staff_token, job):
    token = staff_token("supervisor")
    response = post(client, f"/staff/tickets/{job.number}/quote?lang=en", QUOTE, token)  # billing not decided
    assert response.status_code == 409
    assert "not a paid job" in response.body.decode()
    mismatch = post(client, f"/staff/tickets/{job.number}/billing?lang=en",
                    {"billing": "free", "reason": "misuse"}, token)
    assert mismatch.status_code == 409


def test_the_customer_approves_from_the_tracking_link_once_and_the_staff_page_shows_it(client, staff_token, paid_job):
    token = staff_token("supervisor")
    quote_sent(client, paid_job, token)
    tracking = client.http.get(f"/t/{paid_job.tracking_token}").body.decode()
    assert 'id="approve-quote"' in tracking and "1,650.00" in tracking
    answer = post(client, f"/t/{paid_job.tracking_token}/quote", {"decision": "approve", "revision": "1"})
    assert answer.status_code == 303 and f"/t/{paid_job.tracking_token}" in answer.headers["Location"]
    again = post(client, f"/t/{paid_job.tracking_token}/quote", {"decision": "approve", "revision": "1"})
    assert again.status_code == 303  # idempotent: no second event
    events = [e for e in wiring.services().billing.events(paid_job.number) if e.action.value == "approve_quote"]
    assert len(events) == 1
    staff_page = get(client, f"/staff/tickets/{paid_job.number}/quote", token).body.decode()
    assert "客户已确认（服务协议已签订）" in staff_page and 'id="quote-answered-at"' in staff_page
    assert "客户: 客户确认报价（服务协议已签订）：第 1 版" in staff_page, "the paperwork timeline in Chinese"
    assert "合计：1,650.00 元" in staff_page and "quote sent to the customer" not in staff_page
    assert "id=\"approve-quote\"" not in client.http.get(f"/t/{paid_job.tracking_token}").body.decode()


def test_a_customer_who_declines_can_say_why_and_the_supervisor_reads_it(client, staff_token, paid_job):
    token = staff_token("supervisor")
    quote_sent(client, paid_job, token)
    assert 'id="decline-reason"' in client.http.get(f"/t/{paid_job.tracking_token}").body.decode()
    answer = post(client, f"/t/{paid_job.tracking_token}/quote",
                  {"decision": "decline", "revision": "1", "decline_reason": "差旅费太高，\n我们自己派车接送"})
    assert answer.status_code == 303
    staff_page = get(client, f"/staff/tickets/{paid_job.number}/quote", token).body.decode()
    assert 'id="quote-decline-reason"' in staff_page and "差旅费太高， 我们自己派车接送" in staff_page
    assert wiring.services().billing.ticket(paid_job.number).quote.decline_reason == "差旅费太高， 我们自己派车接送"


def test_a_tracking_token_answers_only_its_own_ticket_and_opens_no_staff_page(client, staff_token, paid_job):
    token = staff_token("supervisor")
    quote_sent(client, paid_job, token)
    other = wiring.services().intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    # The other customer's token: their ticket has no quote, so nothing changes on ours.
    refused = post(client, f"/t/{other.tracking_token}/quote", {"decision": "approve", "revision": "1"})
    assert refused.status_code == 409
    assert post(client, "/t/not-a-token/quote", {"decision": "approve", "revision": "1"}).status_code == 404
    assert wiring.services().billing.ticket(paid_job.number).quote.state == QuoteState.SENT
    for path in (f"/staff/tickets/{paid_job.number}/quote", "/staff/receivables"):
        response = client.http.get(path, headers={"Cookie": f"sd_staff={paid_job.tracking_token}"})
        assert response.status_code == 303 and "/staff/sign-in" in response.headers["Location"]
    sneaky = post(client, f"/staff/tickets/{paid_job.number}/payments",
                  {"received_on": "2026-11-27", "amount": "1", "method": "cash"}, paid_job.tracking_token)
    assert sneaky.status_code == 303 and "/staff/sign-in" in sneaky.headers["Location"]


def test_bad_answers_are_refused_with_4xx(client, paid_job):
    assert post(client, f"/t/{paid_job.tracking_token}/quote", {"decision": "maybe", "revision": "1"}).status_code == 400
    assert post(client, f"/t/{paid_job.tracking_token}/quote", {"decision": "approve", "revision": "x"}).status_code == 400


def test_payments_until_collected_and_the_managers_list(client, staff_token, paid_job):
    token = staff_token("supervisor")
    quote_sent(client, paid_job, token)
    post(client, f"/t/{paid_job.tracking_token}/quote", {"decision": "approve", "revision": "1"})
    gm = staff_token("gm", StaffRole.GENERAL_MANAGER)
    listed = get(client, "/staff/receivables", gm).body.decode()
    assert paid_job.number in listed and "1,650.00" in listed
    paid = post(client, f"/staff/tickets/{paid_job.number}/payments",
                {"received_on": "2026-11-27", "amount": "1650", "method": "bank_transfer"}, token)
    assert paid.status_code == 303
    assert paid_job.number not in get(client, "/staff/receivables", gm).body.decode()
    over = post(client, f"/staff/tickets/{paid_job.number}/payments",
                {"received_on": "2026-11-27", "amount": "1", "method": "cash"}, token)
    assert over.status_code == 409


def test_roles_are_refused_what_they_must_not_do(client, staff_token, paid_job):
    supervisor = staff_token("supervisor")
    quote_sent(client, paid_job, supervisor)
    post(client, f"/t/{paid_job.tracking_token}/quote", {"decision": "approve", "revision": "1"})
    desk = staff_token("desk")
    tech = staff_token("tech-wang", StaffRole.TECHNICIAN)
    chief = staff_token("chief", StaffRole.CHIEF_ENGINEER)
    n = paid_job.number
    payment = {"received_on": "2026-11-27", "amount": "1", "method": "cash"}
    assert post(client, f"/staff/tickets/{n}/payments", payment, desk).status_code == 403
    assert post(client, f"/staff/tickets/{n}/invoice", {"amount": "1", "invoice_number": "X",
                                                         "invoiced_on": "2026-11-27"}, desk).status_code == 403
    assert post(client, f"/staff/tickets/{n}/quote", QUOTE, tech).status_code == 403
    assert post(client, f"/staff/tickets/{n}/quote/send", {}, chief).status_code == 403
    assert get(client, f"/staff/tickets/{n}/quote", tech).status_code == 403
    assert get(client, "/staff/receivables", desk).status_code == 403
    assert get(client, "/staff/receivables", tech).status_code == 403
    # Parts: the technician may not review; the desk may not request; nobody but supervisor/admin ships.
    wiring.services().billing.request_parts(n, actor=SystemActor("sup"), items=[PartLine(part_number="P1", name="x", quantity=1)])
    assert post(client, f"/staff/tickets/{n}/parts/R1/review", {"decision": "approve"}, tech).status_code == 403
    assert post(client, f"/staff/tickets/{n}/parts", {"part_number_1": "P", "name_1": "x", "quantity_1": "1"},
                desk).status_code == 403
    assert post(client, f"/staff/tickets/{n}/parts/R1/ship", {"carrier": "c", "tracking_number": "1",
                                                              "shipped_on": "2026-11-27"}, chief).status_code == 403
    assert post(client, f"/staff/tickets/{n}/loaner", {"model": "m", "serial_number": "s", "issued_to": "x",
                                                       "issued_on": "2026-11-27"}, desk).status_code == 403
    # The chief engineer reviews.
    assert post(client, f"/staff/tickets/{n}/parts/R1/review", {"decision": "approve"}, chief).status_code == 303


def test_a_technician_works_only_on_the_parts_and_loaner_of_jobs_assigned_to_them(client, staff_token, job):
    services = wiring.services()
    services.desk.classify(job.number, actor=SystemActor("sup"), plan="premium")
    services.desk.dispatch(job.number, actor=SystemActor("sup"), technicians=("tech-wang",))
    wang = staff_token("tech-wang", StaffRole.TECHNICIAN)
    li = staff_token("tech-li", StaffRole.TECHNICIAN)
    request = {"part_number_1": "VS1-12", "name_1": "真空断路器", "quantity_1": "1"}
    assert get(client, f"/staff/tickets/{job.number}/parts", li).status_code == 403
    assert post(client, f"/staff/tickets/{job.number}/parts", request, li).status_code == 403
    assert post(client, f"/staff/tickets/{job.number}/parts", request, wang).status_code == 303
    assert "VS1-12" in get(client, f"/staff/tickets/{job.number}/parts", wang).body.decode()
    loaner = {"model": "KYN28-12", "serial_number": "L-01", "issued_to": "王工", "issued_on": date.today().isoformat()}
    assert post(client, f"/staff/tickets/{job.number}/loaner", loaner, li).status_code == 403
    assert post(client, f"/staff/tickets/{job.number}/loaner", loaner, wang).status_code == 303
    page = get(client, f"/staff/tickets/{job.number}/loaner?lang=en", wang).body.decode()
    assert "L-01" in page
    supervisor = staff_token("supervisor")
    assert "VS1-12" in get(client, "/staff/parts", supervisor).body.decode()


def test_unknown_ticket_is_a_404(client, staff_token, aws):
    token = staff_token("supervisor")
    assert get(client, "/staff/tickets/SD-2026-999999/quote", token).status_code == 404
    assert post(client, "/staff/tickets/SD-2026-999999/quote", QUOTE, token).status_code == 404
