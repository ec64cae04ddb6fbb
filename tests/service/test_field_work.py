"""The technician's phone and the closure, over fakes: each rule of 000 §4.5 and SPEC "Closure"."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.closure import (
    BadSignature,
    Costs,
    FormProblem,
    FormSource,
    Location,
    Satisfaction,
    WorkReport,
)
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.plans import Milestone
from chalicelib.domain.sla import DeadlineState
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, IllegalTransition, Priority, Status
from chalicelib.domain.uploads import UploadProblem
from chalicelib.services.field_work import FormRejected, NotYourJob, ProgressPhotosRejected
from chalicelib.services.label_sheet import Label, label_sheet_pdf
from tests.fakes import JPEG, PNG, fake_world, valid_report
from tests.pdf_page import Page
from tests.pngs import data_url, signature_png

WANG = StaffUser(username="tech-wang", roles=frozenset({StaffRole.TECHNICIAN}))
LI = StaffUser(username="tech-li", roles=frozenset({StaffRole.TECHNICIAN}))
PDF = b"%PDF-1.7\n" + b"0" * 200
WORK = WorkReport(work_done="更换断路器，试运行正常", parts_used="断路器 ×1", hours=Decimal("3.5"),
                  travel_hours=Decimal(2), costs=Costs(materials=Decimal(1200), labour=Decimal(300),
                                                       travel=Decimal(150), transport=Decimal(50)))


@pytest.fixture
def world():
    return fake_world()


def dispatched(world, *, to=("tech-wang",), priority=Priority.URGENT, language="zh-CN", **overrides) -> str:
    request = ServiceRequestInput.model_validate(valid_report(**overrides))
    number = world.services.intake.submit(request, language=language).number
    world.services.desk.record_contact(number, actor=SystemActor("sup"))
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=priority)
    world.services.desk.dispatch(number, actor=SystemActor("sup"), technicians=to)
    return number


def on_site(world, **kwargs) -> str:
    number = dispatched(world, **kwargs)
    world.services.field_work.check_in(number, WANG)
    return number


def deadline(world, number, milestone):
    return world.services.field_work.job(number, WANG).schedule.get(milestone)


def last(world, number, action):
    return [e for e in world.tickets.events(number) if e.action == action][-1]


def landed(world, key, data):
    world.files.objects[key] = data
    return key


# ---- my jobs -----------------------------------------------------------------------------------------

def test_a_technician_sees_only_open_jobs_assigned_to_them_the_one_due_first_on_top(world):
    later = dispatched(world, priority=Priority.GENERAL)
    sooner = dispatched(world, priority=Priority.URGENT)
    dispatched(world, to=("tech-li",))
    jobs = world.services.field_work.my_jobs(WANG)
    assert [j.ticket.number for j in jobs] == [sooner, later]
    assert jobs[0].next_deadline.milestone == Milestone.ON_SITE
    assert world.services.field_work.my_jobs(LI)[0].ticket.number not in (sooner, later)


def test_a_technician_may_not_open_or_move_someone_elses_job(world):
    number = dispatched(world)
    with pytest.raises(NotYourJob):
        world.services.field_work.job(number, LI)
    with pytest.raises(NotYourJob):
        world.services.field_work.check_in(number, LI)
    assert world.tickets.get(number).status == Status.DISPATCHED


def test_an_office_role_is_no_technician_for_field_work(world):
    number = dispatched(world)
    supervisor = StaffUser(username="tech-wang", roles=frozenset({StaffRole.SUPERVISOR}))
    with pytest.raises(NotYourJob):
        world.services.field_work.check_in(number, supervisor)


# ---- on site -----------------------------------------------------------------------------------------

def test_check_in_stops_the_on_site_clock_and_starts_the_one_hour_arrival_report(world):
    number = dispatched(world)
    world.clock.advance(timedelta(hours=3))
    world.services.field_work.check_in(number, WANG, Location(lat=31.3, lon=120.6, accuracy_m=12))
    assert deadline(world, number, Milestone.ON_SITE).state == DeadlineState.MET
    arrival = deadline(world, number, Milestone.ARRIVAL_REPORTED)
    assert arrival.state == DeadlineState.PENDING and arrival.due_at == world.clock.now() + timedelta(hours=1)
    event = last(world, number, Action.CHECK_IN)
    assert event.payload.location == Location(lat=31.3, lon=120.6, accuracy_m=12.0)


def test_the_arrival_report_meets_its_rule_and_stays_off_the_customer_timeline(world):
    from chalicelib.domain.closure import ArrivalReport

    number = on_site(world)
    world.clock.advance(timedelta(minutes=40))
    world.services.field_work.report_arrival(number, WANG, ArrivalReport(situation="柜体烧蚀", lodging="如家酒店"))
    assert deadline(world, number, Milestone.ARRIVAL_REPORTED).state == DeadlineState.MET
    event = last(world, number, Action.REPORT_ARRIVAL)
    assert not event.public and event.payload.report.lodging == "如家酒店"


def test_a_progress_report_attaches_photos_only_after_checking_their_bytes(world):
    number = on_site(world)
    good = landed(world, "uploads/photos/" + "a" * 32 + "/site.jpg", JPEG)
    world.services.field_work.report_progress(number, WANG, "拆下旧断路器", [good])
    assert last(world, number, Action.REPORT_PROGRESS).payload.photos == (good,)
    assert deadline(world, number, Milestone.PROGRESS_REPORTED).met_at == world.clock.now()

    bad = landed(world, "uploads/photos/" + "b" * 32 + "/notes.txt", b"just some text, not a picture")
    with pytest.raises(ProgressPhotosRejected) as refused:
        world.services.field_work.report_progress(number, WANG, "x", [bad])
    assert refused.value.problems == [("notes.txt", UploadProblem.NOT_IMAGE)]
    assert bad not in world.files.objects  # refused files are deleted


def test_a_missed_daily_report_escalates_through_the_sweep(world):
    number = on_site(world)
    world.clock.advance(timedelta(hours=25))
    report = world.services.sla.sweep()
    assert any(step.startswith(f"{number} breach:progress_reported") for step in report.steps), report.steps


def test_a_daily_report_on_time_keeps_the_sweep_quiet_about_it(world):
    number = on_site(world)
    world.clock.advance(timedelta(hours=20))
    world.services.field_work.report_progress(number, WANG, "进展顺利", [])
    world.clock.advance(timedelta(hours=5))
    report = world.services.sla.sweep()
    assert not any("progress_reported" in step and "breach" in step for step in report.steps)


def test_start_of_repair_and_resolution_are_clock_facts(world):
    number = on_site(world)
    world.services.field_work.start_repair(number, WANG)
    world.services.field_work.resolve(number, WANG)
    view = world.services.field_work.job(number, WANG)
    assert view.done(Action.START_REPAIR) and view.done(Action.RESOLVE)
    assert view.schedule.get(Milestone.ACCEPTANCE_FILED).state == DeadlineState.PENDING  # starts at resolved


def test_checking_in_twice_is_an_illegal_move(world):
    number = on_site(world)
    with pytest.raises(IllegalTransition):
        world.services.field_work.check_in(number, WANG)


def test_the_departure_report_carries_the_planned_return_date(world):
    from chalicelib.domain.closure import Departure

    number = on_site(world)
    world.services.field_work.report_departure(number, WANG, Departure(planned_return=date(2026, 11, 30)))
    event = last(world, number, Action.REPORT_DEPARTURE)
    assert event.payload.departure.planned_return == date(2026, 11, 30)
    assert world.tickets.get(number).status == Status.ON_SITE


# ---- closure -----------------------------------------------------------------------------------------

def form_key(world, number, name="scan.pdf", data=PDF):
    upload = world.services.field_work.start_form_upload(number, WANG, name, "application/pdf")
    return landed(world, upload.key, data)


def test_an_uploaded_signed_form_files_the_work_and_awaits_approval(world):
    number = on_site(world)
    key = form_key(world, number)
    ticket = world.services.field_work.file_uploaded_form(number, WANG, WORK, key)
    assert ticket.status == Status.AWAITING_APPROVAL
    assert ticket.acceptance.form_key == key and ticket.acceptance.form_type == "application/pdf"
    assert ticket.acceptance.source == FormSource.UPLOADED and ticket.acceptance.work.costs.total == Decimal(1700)
    actions = [e.action for e in world.tickets.events(number) if e.action != Action.NOTIFY]
    assert actions[-2:] == [Action.RESOLVE, Action.UPLOAD_ACCEPTANCE]  # resolved is recorded if not yet
    assert deadline(world, number, Milestone.ACCEPTANCE_FILED).state == DeadlineState.MET


@pytest.mark.parametrize("data, problem", [
    (b"GIF89a" + b"\x00" * 100, FormProblem.WRONG_TYPE),
    (b"%PDF" + b"\x00" * (10 * 1024 * 1024), FormProblem.TOO_LARGE),
])
def test_a_form_of_the_wrong_type_or_too_large_is_refused_and_deleted(world, data, problem):
    number = on_site(world)
    key = form_key(world, number, data=data)
    with pytest.raises(FormRejected) as refused:
        world.services.field_work.file_uploaded_form(number, WANG, WORK, key)
    assert refused.value.problem == problem
    assert key not in world.files.objects
    assert world.tickets.get(number).status == Status.ON_SITE


def test_a_form_type_not_allowed_gets_no_upload_and_another_jobs_form_is_not_accepted(world):
    number, other = on_site(world), on_site(world)
    with pytest.raises(FormRejected):
        world.services.field_work.start_form_upload(number, WANG, "x.gif", "image/gif")
    with pytest.raises(FormRejected) as refused:
        world.services.field_work.file_uploaded_form(number, WANG, WORK, form_key(world, other))
    assert refused.value.problem == FormProblem.BAD_KEY


def test_a_signature_drawn_on_the_phone_is_rendered_into_a_pdf_form_and_filed(world):
    number = on_site(world)
    ticket = world.services.field_work.file_drawn_signature(
        number, WANG, WORK, data_url(signature_png(600, 240)), "王工")
    assert ticket.status == Status.AWAITING_APPROVAL
    assert ticket.acceptance.source == FormSource.DRAWN and ticket.acceptance.signer == "王工"
    pdf = world.files.objects[ticket.acceptance.form_key]
    assert ticket.acceptance.form_key.startswith(f"forms/{number}/") and pdf.startswith(b"%PDF")
    assert b"/Subtype /Image /Width 600 /Height 240" in pdf
    assert world.files.objects[ticket.acceptance.form_key.replace("acceptance.pdf", "signature.png")].startswith(
        b"\x89PNG")


def test_the_drawn_form_names_the_technician_as_the_customer_knows_him(world):
    number = on_site(world)
    named = world.services.field_work.file_drawn_signature(
        number, WANG, WORK, data_url(signature_png(600, 240)), "张经理", technician="王工").acceptance
    page = Page(world.files.objects[named.form_key])
    technician = page.box_right_of(page.box_around(page.text("服务人员")))
    assert [t.text for t in page.texts if technician.holds(t.x, t.y)] == ["王工"]
    unnamed = world.services.field_work.file_drawn_signature(
        on_site(world), WANG, WORK, data_url(signature_png(600, 240)), "张经理").acceptance
    assert "tech-wang" in [t.text for t in Page(world.files.objects[unnamed.form_key]).texts]


@pytest.mark.parametrize(("language", "labels", "ticked"), [
    ("zh-CN", ["客户", "故障描述", "完成工作", "客户意见", "单位盖章"], "基本满意"),
    ("en", ["Customer", "Fault", "Work done", "Customer's opinion", "Company seal"], "Fairly satisfied"),
])
def test_the_drawn_form_is_in_the_tickets_language_with_the_customers_answer_ticked(world, language, labels,
                                                                                     ticked):
    number = on_site(world, language=language, description="主轴异响。" * 400)
    ticket = world.services.field_work.file_drawn_signature(
        number, WANG, WORK, data_url(signature_png(600, 240)), "王工", opinion="处理及时",
        satisfaction=Satisfaction.FAIR)
    page = Page(world.files.objects[ticket.acceptance.form_key])
    shown = [text.text for text in page.texts]
    assert set(labels) <= set(shown) and "处理及时" in shown and "王工" in shown
    assert not [text for text in page.texts if text.size == 9 and text.text.endswith("…")]  # labels whole
    [tick] = page.ticks
    option = page.text(ticked)
    assert all(0 < option.x - x < 20 and abs(option.y - y) < 12 for x, y in tick)
    assert min(box.y for box in page.boxes) > 40 and all(text.y >= 0 for text in page.texts)
    assert world.tickets.get(number).description == "主轴异响。" * 400  # the record keeps it whole
    assert ticket.acceptance.opinion == "处理及时" and ticket.acceptance.satisfaction == Satisfaction.FAIR


def test_a_drawing_that_is_not_a_png_files_nothing(world):
    number = on_site(world)
    with pytest.raises(BadSignature):
        world.services.field_work.file_drawn_signature(number, WANG, WORK, data_url(PNG[:20]), "王工")
    assert not world.files.objects.keys() - {k for k in world.files.objects if k.startswith("uploads/")}
    assert world.tickets.get(number).status == Status.ON_SITE


def test_a_refusal_to_sign_keeps_the_job_open_with_a_reason_report_for_the_supervisor(world):
    number = on_site(world)
    ticket = world.services.field_work.refuse_signature(number, WANG, "客户认为试运行时间不足，要求再观察三天")
    assert ticket.status == Status.ON_SITE and ticket.is_open
    assert ticket.refusal.reason.startswith("客户认为") and ticket.refusal.by == "tech-wang"
    assert [t.number for t in world.services.field_work.refusals()] == [number]
    assert not last(world, number, Action.REFUSE_SIGNATURE).public
    # Signed later: the refusal is settled.
    filed = world.services.field_work.file_uploaded_form(number, WANG, WORK, form_key(world, number))
    assert filed.refusal is None and world.services.field_work.refusals() == []


def test_the_supervisor_sees_filed_forms_by_a_short_lived_link_and_approval_completes_the_job(world):
    number = on_site(world)
    world.services.field_work.file_uploaded_form(number, WANG, WORK, form_key(world, number))
    (item,) = world.services.field_work.awaiting_approval()
    assert item.ticket.number == number and item.form_url.startswith("memory://forms/")
    closed = world.services.field_work.approve(number, actor=SystemActor("supervisor"))
    assert closed.status == Status.CLOSED
    assert world.services.field_work.awaiting_approval() == []
    assert number not in world.tickets.wake  # nothing more is owed


def test_each_filed_form_is_shown_by_a_picture_of_it_where_one_can_be_made(world):
    """A drawn form and an uploaded PDF get a picture of their first page; a photo is its own picture; a
    PDF no reader can open is offered by its link alone."""
    drawn = world.services.field_work.file_drawn_signature(
        on_site(world), WANG, WORK, data_url(signature_png(600, 240)), "王工").acceptance
    scanned = label_sheet_pdf([Label("https://desk.example.com/q/1", ("KYN28-12", "签字 盖章"))])
    uploaded_pdf = world.services.field_work.file_uploaded_form(
        (number := on_site(world)), WANG, WORK, form_key(world, number, data=scanned)).acceptance
    photo = world.services.field_work.file_uploaded_form(
        (number := on_site(world)), WANG, WORK, form_key(world, number, "form.jpg", JPEG)).acceptance
    broken = world.services.field_work.file_uploaded_form(
        (number := on_site(world)), WANG, WORK, form_key(world, number)).acceptance

    for pdf_form in (drawn, uploaded_pdf):
        assert pdf_form.preview_key == pdf_form.form_key.rsplit("/", 1)[0] + "/preview.png"
        picture = world.files.objects[pdf_form.preview_key]
        assert picture.startswith(b"\x89PNG") and pdf_form.shown_inline() == pdf_form.preview_key
    assert photo.preview_key is None and photo.shown_inline() == photo.form_key
    assert broken.preview_key is None and broken.shown_inline() is None
    previews = {item.ticket.acceptance.form_key: item.preview_url for item in world.services.field_work.awaiting_approval()}
    assert previews[broken.form_key] is None and previews[drawn.form_key] == f"memory://{drawn.preview_key}"


def test_a_rejected_closure_goes_back_on_site_with_the_reason(world):
    number = on_site(world)
    world.services.field_work.file_uploaded_form(number, WANG, WORK, form_key(world, number))
    ticket = world.services.field_work.reject(number, actor=SystemActor("supervisor"), reason="验收单缺少公章")
    assert ticket.status == Status.ON_SITE and ticket.acceptance is None
    event = last(world, number, Action.REJECT_CLOSURE)
    assert event.payload.reason == "验收单缺少公章"


def test_approving_a_job_still_on_site_is_illegal(world):
    number = on_site(world)
    with pytest.raises(IllegalTransition):
        world.services.field_work.approve(number, actor=SystemActor("supervisor"))


def test_a_paid_job_may_not_start_before_the_customer_approves_the_quote(world):
    from chalicelib.domain.billing import BillingReason
    from chalicelib.domain.paid_work import PaidWorkNotApproved
    from chalicelib.domain.ticket import Billing
    from tests.service.test_billing import LINES

    number = dispatched(world)
    billing = world.services.billing
    billing.decide_billing(number, actor=SystemActor("sup"), billing_kind=Billing.PAID, reason=BillingReason.MISUSE)
    with pytest.raises(PaidWorkNotApproved):
        world.services.field_work.check_in(number, WANG)

    billing.draft_quote(number, actor=SystemActor("sup"), lines=LINES, valid_until=date(2026, 12, 31))
    billing.send_quote(number, actor=SystemActor("sup"))
    token = [t for t, n in world.tickets.tracking.items() if n == number][-1]  # the quote message's link
    billing.answer_quote(token, approve=True, revision=1)
    assert world.services.field_work.check_in(number, WANG).status == Status.ON_SITE
