"""Complaints over in-memory adapters (002 §4.3, 003 §3): recorded, reply time as a deadline on the SLA
clock, cause, approvals (supervisor then general manager; compensation needs the GM), CAPA until
verified, closure. And the monthly report reads what they write."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.aftercare import CallbackInput, SurveyInput
from chalicelib.domain.complaints import (
    Approver,
    CapaKind,
    CapaStatus,
    Cause,
    ComplaintDetails,
    ComplaintRuleBroken,
    ResolutionState,
    Severity,
    StepNotAllowed,
)
from chalicelib.domain.events import CapaRecord
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.plans import Milestone
from chalicelib.domain.reports import ReportBuilder, ReportMonth
from chalicelib.domain.sla import DeadlineState
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Kind, Status
from chalicelib.services.complaints import NotAComplaint
from tests.fakes import fake_world, valid_report
from tests.service.test_aftercare import after_care_items, closed_job, survey_token, surveys_sent

DETAILS = ComplaintDetails(order_number="PO-1", part_number="P-88", ship_date=date(2026, 11, 1), quantity=100,
                           defective_quantity=7, customer_request="退换不良品")


@pytest.fixture
def world():
    return fake_world()


def complaint(world, **details):
    request = ServiceRequestInput.model_validate(valid_report(description="批次不良", channel="phone"))
    return world.services.complaints.open(request, DETAILS.model_copy(update=details), actor=SystemActor("desk"),
                                          language="zh-CN")


def test_a_complaint_is_recorded_with_its_goods(world):
    number = complaint(world)
    ticket = world.tickets.get(number)
    assert ticket.kind == Kind.COMPLAINT and ticket.complaint.details.defective_quantity == 7
    assert Action.RECORD_COMPLAINT in [e.action for e in world.tickets.events(number)]


def test_more_defective_than_delivered_is_refused(world):
    with pytest.raises(ComplaintRuleBroken, match="defective_more_than_quantity"):
        complaint(world, defective_quantity=101)


def test_the_committed_reply_time_is_a_deadline_on_the_sla_clock(world):
    number = complaint(world)
    reply_by = world.clock.now() + timedelta(days=2)
    world.services.complaints.commit_reply(number, reply_by, actor=SystemActor("desk"))

    view = world.services.complaints.view(number)
    assert view.ticket.status == Status.TRIAGED and view.ticket.plan == "complaint"
    resolved = next(d for d in view.schedule.deadlines if d.milestone == Milestone.RESOLVED)
    assert resolved.due_at == reply_by and resolved.state == DeadlineState.PENDING
    contacted = next(d for d in view.schedule.deadlines if d.milestone == Milestone.CONTACTED)
    assert contacted.state == DeadlineState.MET


def test_a_reply_time_in_the_past_is_refused(world):
    number = complaint(world)
    with pytest.raises(ComplaintRuleBroken, match="reply_in_past"):
        world.services.complaints.commit_reply(number, world.clock.now() - timedelta(hours=1), actor=SystemActor("desk"))


def test_agreeing_the_resolution_meets_the_reply_deadline(world):
    number = complaint(world)
    complaints = world.services.complaints
    complaints.commit_reply(number, world.clock.now() + timedelta(days=1), actor=SystemActor("desk"))
    complaints.analyse(number, Cause.PEOPLE, "物流部", "包装不当", actor=SystemActor("sup"))
    complaints.propose(number, "补发 7 件", None, actor=SystemActor("desk"))  # minor, no money: no approval needed
    complaints.agree(number, actor=SystemActor("desk"))
    resolved = next(d for d in complaints.view(number).schedule.deadlines if d.milestone == Milestone.RESOLVED)
    assert resolved.state == DeadlineState.MET


def test_a_severe_complaint_needs_the_supervisor_then_the_general_manager(world):
    number = complaint(world, severity=Severity.SEVERE)
    complaints = world.services.complaints
    complaints.analyse(number, Cause.QUALITY, "质管部", None, actor=SystemActor("quality"))
    complaints.propose(number, "退换并整改", None, actor=SystemActor("desk"))
    with pytest.raises(ComplaintRuleBroken, match="not_your_turn"):
        complaints.decide(number, Approver.GENERAL_MANAGER, True, actor=SystemActor("gm"))
    with pytest.raises(ComplaintRuleBroken, match="not_approved"):
        complaints.agree(number, actor=SystemActor("desk"))
    complaints.decide(number, Approver.SUPERVISOR, True, actor=SystemActor("sup"))
    assert world.tickets.get(number).complaint.next_approval() == Approver.GENERAL_MANAGER
    complaints.decide(number, Approver.GENERAL_MANAGER, True, actor=SystemActor("gm"))
    assert world.tickets.get(number).complaint.resolution.state == ResolutionState.APPROVED


def test_compensation_needs_the_general_managers_approval_even_for_a_minor_complaint(world):
    number = complaint(world)
    complaints = world.services.complaints
    complaints.analyse(number, Cause.QUALITY, "生产部", None, actor=SystemActor("quality"))
    complaints.propose(number, "赔偿", Decimal("5000"), actor=SystemActor("desk"))
    assert world.tickets.get(number).complaint.approvals_needed() == (Approver.GENERAL_MANAGER,)
    complaints.decide(number, Approver.GENERAL_MANAGER, False, actor=SystemActor("gm"), note="金额过高")
    assert world.tickets.get(number).complaint.resolution.state == ResolutionState.REJECTED
    complaints.propose(number, "赔偿", Decimal("2000"), actor=SystemActor("desk"))  # a new proposal starts over
    complaints.decide(number, Approver.GENERAL_MANAGER, True, actor=SystemActor("gm"))
    complaints.agree(number, actor=SystemActor("desk"))


def test_capa_runs_open_to_verified_and_only_quality_verifies(world):
    number = complaint(world)
    complaints = world.services.complaints
    complaints.analyse(number, Cause.QUALITY, "生产部", None, actor=SystemActor("quality"))
    complaints.plan_capa(number, CapaKind.CORRECTIVE, "返工", "li", date(2026, 12, 10), actor=SystemActor("quality"))
    complaints.plan_capa(number, CapaKind.PREVENTIVE, "改进检验", "zhao", date(2026, 12, 20), actor=SystemActor("quality"))
    with pytest.raises(ComplaintRuleBroken, match="capa_step"):
        complaints.update_capa(number, "1", CapaStatus.IMPLEMENTED, actor=SystemActor("quality"), verifier=True)
    complaints.update_capa(number, "1", CapaStatus.IN_PROGRESS, actor=SystemActor("li"), verifier=False)
    complaints.update_capa(number, "1", CapaStatus.IMPLEMENTED, actor=SystemActor("li"), verifier=False)
    with pytest.raises(ComplaintRuleBroken, match="quality_verifies"):
        complaints.update_capa(number, "1", CapaStatus.VERIFIED, actor=SystemActor("li"), verifier=False)
    complaints.update_capa(number, "1", CapaStatus.VERIFIED, actor=SystemActor("quality"), verifier=True)
    ticket = world.tickets.get(number)
    assert [a.status for a in ticket.complaint.capa] == [CapaStatus.VERIFIED, CapaStatus.OPEN]
    assert ticket.complaint.capa_status == CapaStatus.OPEN
    last = [e for e in world.tickets.events(number) if e.action == Action.UPDATE_CAPA][-1]
    assert last.payload.capa == CapaRecord(action="1", action_status="verified")
    assert last.payload.complaint.capa_status == CapaStatus.OPEN


def test_a_complaint_closes_only_when_agreed_and_every_action_verified(world):
    number = complaint(world)
    complaints = world.services.complaints
    with pytest.raises(ComplaintRuleBroken, match="not_agreed"):
        complaints.close(number, actor=SystemActor("desk"))
    complaints.analyse(number, Cause.OTHER, "销售部", None, actor=SystemActor("sup"))
    complaints.propose(number, "解释说明", None, actor=SystemActor("desk"))
    complaints.agree(number, actor=SystemActor("desk"))
    complaints.plan_capa(number, CapaKind.PREVENTIVE, "培训", "wu", date(2026, 12, 1), actor=SystemActor("quality"))
    with pytest.raises(ComplaintRuleBroken, match="capa_not_verified"):
        complaints.close(number, actor=SystemActor("desk"))
    for status in (CapaStatus.IN_PROGRESS, CapaStatus.IMPLEMENTED, CapaStatus.VERIFIED):
        complaints.update_capa(number, "1", status, actor=SystemActor("quality"), verifier=True)
    assert complaints.close(number, actor=SystemActor("desk")).status == Status.CLOSED
    assert number not in [t.number for t in complaints.open_complaints()]


def test_complaint_steps_refuse_other_tickets(world):
    number = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    with pytest.raises(NotAComplaint):
        world.services.complaints.analyse(number, Cause.OTHER, "x", None, actor=SystemActor("sup"))


def test_the_service_itself_refuses_a_step_the_staff_members_roles_do_not_take(world):
    number = complaint(world, severity=Severity.SEVERE)
    complaints = world.services.complaints
    desk, quality = staff("desk", StaffRole.DESK), staff("qa", StaffRole.QUALITY)
    with pytest.raises(StepNotAllowed):
        complaints.analyse(number, Cause.QUALITY, "QA", None, actor=desk)
    complaints.analyse(number, Cause.QUALITY, "QA", None, actor=quality)
    complaints.propose(number, "换货", None, actor=desk)
    # A severe complaint's resolution waits for the supervisor first: the general manager may not jump in.
    with pytest.raises(StepNotAllowed):
        complaints.decide(number, Approver.SUPERVISOR, True, actor=staff("gm", StaffRole.GENERAL_MANAGER))
    complaints.decide(number, Approver.SUPERVISOR, True, actor=staff("sup", StaffRole.SUPERVISOR))


def staff(name, *roles):
    return StaffUser(username=name, roles=frozenset(roles))


def test_a_complaint_gets_no_after_care_even_when_approved_on_site(world):
    number = complaint(world)
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE):
        world.services.desk.move(number, action, actor=SystemActor("sup"), summary=action.value)
    assert world.services.field_work.approve(number, actor=SystemActor("sup")).status == Status.CLOSED
    assert after_care_items(world, number) == []
    assert world.services.aftercare.job_closed(number) is None
    assert world.aftercare_store.tasks_ever == set() and surveys_sent(world, number) == []


def test_the_monthly_report_reads_surveys_callbacks_complaints_and_capa(world):
    job = closed_job(world)
    aftercare, complaints = world.services.aftercare, world.services.complaints
    number = complaint(world)  # both created in November
    aftercare.job_closed(job)
    aftercare.answer(survey_token(world, job), SurveyInput(overall=4, timeliness=5, attitude=4, quality=3))
    world.clock.advance(timedelta(days=6))
    [task] = aftercare.due_callbacks()
    aftercare.record_callback(task.id, CallbackInput(reached=True, satisfied=True), actor=SystemActor("desk"))
    complaints.analyse(number, Cause.QUALITY, "生产部", None, actor=SystemActor("quality"))
    complaints.plan_capa(number, CapaKind.CORRECTIVE, "返工", "li", date(2026, 12, 10), actor=SystemActor("quality"))

    builder = ReportBuilder(ReportMonth(year=2026, month=11), world.clock.now())
    for n in (job, number):
        builder.add(world.tickets.get(n), world.tickets.events(n), None)
    report = builder.finish()

    assert report.satisfaction.answers == 1 and report.satisfaction.averages["overall"] == 4
    assert report.callbacks["satisfied"] == 1
    assert report.complaints.count == 1 and report.complaints.by_cause.get("quality") == 1
    assert report.complaints.capa.get("open") == 1
