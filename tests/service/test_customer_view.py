"""The customer sees public facts only. Every field the office types gets a marker, through the
services over fakes; no tracking page, tracking API answer, SMS or email to the customer carries one."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.domain.billing import BillingReason, LineCategory, PaymentMethod, QuoteLine
from chalicelib.domain.closure import ArrivalReport, Costs, Departure, Location, WorkReport
from chalicelib.domain.complaints import (
    Approver,
    CapaKind,
    CapaStatus,
    Cause,
    ComplaintDetails,
    Severity,
)
from chalicelib.domain.events import PauseReason
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.loaners import Condition
from chalicelib.domain.parts import PartLine, Shipment
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Billing, Priority
from tests.fakes import fake_world, valid_report
from tests.pngs import data_url, signature_png

MARK = "ZQX"  # no word of the product's catalogs contains it


def mark(field: str) -> str:
    return f"{MARK}{field}"


TECH = StaffUser(username=mark("tech"), roles=frozenset({StaffRole.TECHNICIAN}))
SUPERVISOR = SystemActor(mark("sup"))
# The quote is written for the customer to answer: its lines and note are theirs to read.
LINES = [QuoteLine(category=LineCategory.MATERIALS, description="真空断路器", quantity=Decimal(1),
                   unit_price=Decimal("1200.00"))]


def paid_job_through_every_office_step(world) -> tuple[str, str]:
    services = world.services
    desk, billing, field = services.desk, services.billing, services.field_work
    request = ServiceRequestInput.model_validate(valid_report())
    receipt = services.intake.submit(request, language="zh-CN")
    number = receipt.number
    today = world.clock.now().date()
    desk.record_contact(number, actor=SUPERVISOR, note=mark("contact-note"))
    desk.classify(number, actor=SUPERVISOR, priority=Priority.URGENT, plan="premium", billing=Billing.PAID,
                  billing_reason=BillingReason.OUT_OF_WARRANTY, warranty=False,
                  agreed_date=world.clock.now() + timedelta(days=2))
    billing.draft_quote(number, actor=SUPERVISOR, lines=LINES, valid_until=today + timedelta(days=30), note="含税")
    billing.send_quote(number, actor=SUPERVISOR)
    billing.answer_quote(receipt.tracking_token, approve=True, revision=1)
    desk.dispatch(number, actor=SUPERVISOR, technicians=(TECH.username,))
    field.check_in(number, TECH, Location(lat=31.3, lon=120.6, accuracy_m=12))
    field.report_arrival(number, TECH, ArrivalReport(situation=mark("situation"), lodging=mark("lodging"),
                                                     contact_phone="13900001111"))
    field.report_progress(number, TECH, mark("progress"), [])
    desk.pause(number, actor=SUPERVISOR, reason=PauseReason.SITE_NOT_READY, note=mark("pause-note"))
    desk.resume(number, actor=SUPERVISOR)
    billing.request_parts(number, actor=TECH, note=mark("parts-note"),
                          items=[PartLine(part_number=mark("part"), name=mark("part-name"), quantity=1)])
    billing.review_parts(number, "R1", actor=SystemActor(mark("chief")), approve=True, note=mark("review-note"))
    billing.parts_lead_time(number, "R1", actor=SystemActor(mark("chief")), expected_on=today + timedelta(days=3))
    billing.ship_parts(number, "R1", actor=SUPERVISOR, shipment=Shipment(
        carrier=mark("carrier"), tracking_number=mark("waybill"), shipped_on=today))
    billing.receive_parts(number, "R1", actor=TECH, received_on=today)
    billing.issue_loaner(number, actor=SUPERVISOR, model=mark("loaner-model"), serial_number=mark("loaner-sn"),
                         issued_to=mark("issued-to"), issued_on=today)
    billing.return_loaner(number, "L1", actor=SUPERVISOR, returned_on=today, condition=Condition.GOOD,
                          note=mark("return-note"))
    field.start_repair(number, TECH)
    field.resolve(number, TECH)
    field.report_departure(number, TECH, Departure(planned_return=today + timedelta(days=5), note=mark("departure")))
    field.refuse_signature(number, TECH, mark("refusal"))
    work = WorkReport(work_done=mark("work-done"), parts_used=mark("parts-used"), hours=Decimal(3),
                      costs=Costs(materials=Decimal(1200)))
    field.file_drawn_signature(number, TECH, work, data_url(signature_png(300, 120)), mark("signer"))
    field.reject(number, actor=SUPERVISOR, reason=mark("rejected"))
    field.file_drawn_signature(number, TECH, work, data_url(signature_png(300, 120)), mark("signer"))
    field.approve(number, actor=SUPERVISOR)
    billing.invoice(number, actor=SUPERVISOR, amount=Decimal("1200.00"), invoice_number=mark("invoice"),
                    on=today)
    billing.record_payment(number, actor=SUPERVISOR, received_on=today, amount=Decimal("1200.00"),
                           method=PaymentMethod.BANK_TRANSFER, reference=mark("payment-ref"))
    return number, receipt.tracking_token


def complaint_through_every_office_step(world) -> str:
    services = world.services
    complaints = services.complaints
    request = ServiceRequestInput.model_validate(valid_report(description="批次不良", channel="phone"))
    details = ComplaintDetails(order_number="PO-1", part_number="P-88", ship_date=date(2026, 11, 1), quantity=100,
                               defective_quantity=7, customer_request="退换不良品", severity=Severity.SEVERE)
    number = complaints.open(request, details, actor=SystemActor(mark("desk")), language="zh-CN")
    complaints.commit_reply(number, world.clock.now() + timedelta(days=3), actor=SystemActor(mark("desk")))
    complaints.analyse(number, Cause.QUALITY, mark("department"), mark("analysis"), actor=SystemActor(mark("quality")))
    complaints.propose(number, mark("resolution"), Decimal(100), actor=SystemActor(mark("desk")))
    complaints.decide(number, Approver.SUPERVISOR, True, actor=SUPERVISOR, note=mark("approval-note"))
    complaints.decide(number, Approver.GENERAL_MANAGER, True, actor=SystemActor(mark("gm")), note=mark("gm-note"))
    complaints.agree(number, actor=SystemActor(mark("desk")))
    complaints.plan_capa(number, CapaKind.CORRECTIVE, mark("capa"), mark("owner"), date(2026, 12, 10),
                         actor=SystemActor(mark("quality")))
    complaints.update_capa(number, "1", CapaStatus.IN_PROGRESS, actor=SystemActor(mark("owner")), verifier=False,
                           note=mark("capa-note"))
    return number


def cancelled(world) -> str:
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="en")
    world.services.desk.cancel(receipt.number, actor=SUPERVISOR, reason=mark("cancel-reason"))
    return receipt.tracking_token


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setenv("LOCAL_MODE", "true")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example.com")
    built = fake_world()
    wiring.use(built.services)
    return built


def test_nothing_the_office_typed_reaches_the_customer(world):
    number, token = paid_job_through_every_office_step(world)
    complaint = complaint_through_every_office_step(world)
    complaint_token = next(t for t, n in world.tickets.tracking.items() if n == complaint)
    tokens = [token, complaint_token, cancelled(world)]
    staff_events = [e for e in world.tickets.events(number) if MARK in repr(e)]
    assert len(staff_events) > 10, "the office's words are on record, for the office"

    from app import app

    seen: dict[str, str] = {}
    with Client(app) as client:
        for tracking in tokens:
            for lang in ("zh-CN", "en"):
                page = client.http.get(f"/t/{tracking}?lang={lang}")
                assert page.status_code == 200
                seen[f"page {tracking} {lang}"] = page.body.decode()
                answer = client.http.get(f"/api/track/{tracking}?lang={lang}")
                assert answer.status_code == 200
                seen[f"api {tracking} {lang}"] = answer.body.decode()
    customer = {"+8613800138000", "13800138000", "wang@example.cn"}
    to_customer = [m for m in world.notifier.sent if m.recipient in customer]
    assert {m.purpose for m in to_customer} >= {"quote", "survey"}, "the customer was written to"
    for message in to_customer:
        seen[f"{message.channel} {message.purpose}"] = f"{message.subject}\n{message.text}\n{message.html or ''}"

    leaks = {where: text[text.index(MARK) - 40: text.index(MARK) + 40] for where, text in seen.items()
             if MARK in text}
    assert leaks == {}
    internal = ("premium", "B 紧急", "B urgent", "保修期外", "out of warranty", "13900001111", "31.3")
    assert {where: word for where, text in seen.items() for word in internal if word in text} == {}
