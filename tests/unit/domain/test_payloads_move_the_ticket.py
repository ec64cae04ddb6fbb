"""A move's payload is what moves the ticket: each payload sets the ticket fields it names, and nothing
else does (a move made by hand changes only where the job stands)."""

from datetime import date, timedelta

import pytest

from chalicelib.domain import parts
from chalicelib.domain.closure import Acceptance, FormSource, SignatureRefusal, WorkReport
from chalicelib.domain.complaints import COMPLAINT_PLAN_NAME, Cause, Complaint, ComplaintDetails, ComplaintRuleBroken
from chalicelib.domain.events import (
    AcceptanceFiled,
    Classification,
    Classified,
    ComplaintMoved,
    Dispatched,
    PartsMoved,
    Paused,
    Stepped,
)
from chalicelib.domain.parts import PartLine
from chalicelib.domain.ticket import Action, IllegalTransition, Kind, Priority, Status
from tests.unit.domain.test_closure import ticket
from tests.unit.domain.test_ticket import T0, new_ticket

LATER = T0 + timedelta(hours=1)


def test_a_classification_sets_the_fields_it_chose_and_keeps_what_they_were():
    reported, _ = new_ticket()

    moved, event = reported.apply(
        Action.CLASSIFY, actor="sup", at=LATER,
        details=Classified.setting(Action.CLASSIFY, Classification(priority=Priority.URGENT), reported),
    )

    assert (moved.priority, moved.plan, moved.status) == (Priority.URGENT, reported.plan, Status.TRIAGED)
    assert event.changed == ("priority", "status")
    assert event.payload.before.priority is None


def test_a_dispatch_sets_the_technicians_it_names():
    triaged, _ = new_ticket()[0].apply(Action.CLASSIFY, actor="sup", at=LATER)

    moved, event = triaged.apply(Action.DISPATCH, actor="sup", at=LATER, details=Dispatched(assignees=("li",)))

    assert moved.assignees == ("li",) and event.changed == ("assignees", "status")


def test_a_requisitions_step_replaces_the_one_of_its_id_and_a_new_one_comes_last():
    first = parts.raise_requisition((), [PartLine(part_number="P-1", name="断路器", quantity=1)], note="", actor="li",
                                    at=T0)
    job = ticket(Status.ON_SITE).model_copy(update={"requisitions": (first,)})
    second = parts.raise_requisition(job.requisitions, [PartLine(part_number="P-2", name="线圈", quantity=2)],
                                     note="", actor="li", at=T0)

    job, _ = job.apply(Action.REQUEST_PARTS, actor="li", at=LATER,
                       details=PartsMoved(action=Action.REQUEST_PARTS, requisition=second))
    approved = parts.review(first, approve=True, note="", actor="sup", at=LATER)
    job, event = job.apply(Action.REVIEW_PARTS, actor="sup", at=LATER,
                           details=PartsMoved(action=Action.REVIEW_PARTS, requisition=approved))

    assert job.requisitions == (approved, second)
    assert event.changed == ("requisitions",)


def test_filing_the_form_answers_a_refusal_and_is_refused_before_anyone_is_on_site():
    form = AcceptanceFiled(acceptance=Acceptance(
        form_key="forms/SD-2026-000001/a/form.pdf", form_type="application/pdf", source=FormSource.UPLOADED,
        work=WorkReport(work_done="更换断路器"), filed_at=T0, filed_by="tech-wang"))
    refused = ticket(Status.ON_SITE).model_copy(
        update={"refusal": SignatureRefusal(reason="价格", at=T0, by="tech-wang")})

    filed, event = refused.apply(Action.UPLOAD_ACCEPTANCE, actor="tech-wang", at=LATER, details=form)

    assert (filed.acceptance, filed.refusal, filed.status) == (form.acceptance, None, Status.AWAITING_APPROVAL)
    assert event.changed == ("acceptance", "refusal", "status")
    with pytest.raises(IllegalTransition):  # the job's table is asked before the closure's
        ticket(Status.DISPATCHED).apply(Action.UPLOAD_ACCEPTANCE, actor="tech-wang", at=LATER, details=form)


def test_a_fact_beside_the_jobs_fields_sets_none_and_a_move_by_hand_only_moves_the_job():
    reported, _ = new_ticket()

    paused, event = reported.apply(Action.PAUSE, actor="sup", at=LATER, details=Paused(note="等钥匙"))
    resumed, by_hand = paused.apply(Action.RESUME, actor="sup", at=LATER, summary="resumed")

    assert event.changed == ("status", "paused_from")
    assert by_hand.changed == ("status", "paused_from") and resumed.status == Status.NEW


def test_a_complaints_reply_time_is_the_jobs_agreed_date_and_the_customers_agreement_is_dated_by_its_event():
    details = ComplaintDetails(order_number="PO-1", part_number="P-1", ship_date=date(2026, 3, 1), quantity=1,
                               defective_quantity=1, customer_request="换货")
    record = Complaint(details=details, recorded_by="desk", recorded_at=T0)
    complaint = ticket(Status.NEW).model_copy(update={"kind": Kind.COMPLAINT, "complaint": record})
    reply_by = T0 + timedelta(days=2)

    replied, event = complaint.apply(Action.COMMIT_REPLY, actor="desk", at=LATER, details=ComplaintMoved(
        action=Action.COMMIT_REPLY, complaint=record.with_reply_by(reply_by, T0), agreed_date=reply_by))
    assert (replied.agreed_date, replied.plan, replied.complaint.reply_by) == (reply_by, COMPLAINT_PLAN_NAME, reply_by)
    assert event.changed == ("complaint", "agreed_date", "plan", "status")

    analysed = replied.complaint.analysed(Cause.QUALITY, "质管部", None)
    proposed = replied.model_copy(update={"complaint": analysed.proposed("补发", None, by="desk", at=LATER)})
    agreed, _ = proposed.apply(Action.AGREE_RESOLUTION, actor="desk", at=LATER + timedelta(minutes=5),
                               details=Stepped(action=Action.AGREE_RESOLUTION))
    assert agreed.complaint.resolution.agreed_at == LATER + timedelta(minutes=5)
    with pytest.raises(ComplaintRuleBroken):  # nothing approved to agree to
        replied.apply(Action.AGREE_RESOLUTION, actor="desk", at=LATER, details=Stepped(action=Action.AGREE_RESOLUTION))
