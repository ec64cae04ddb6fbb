"""The monthly report's rules (001 §5.4, 000 §4.6): what counts in which month, and how each figure is
derived from the tickets and their timelines."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.aftercare import SurveyAnswer
from chalicelib.domain.closure import Acceptance, Costs, FormSource, WorkReport
from chalicelib.domain.complaints import CapaAction, CapaStatus, Complaint, ComplaintDetails
from chalicelib.domain.events import (
    AcceptanceFiled,
    Callback,
    CallbackRecorded,
    Classification,
    Classified,
    ComplaintMoved,
    Dispatched,
    SurveyAnswered,
)
from chalicelib.domain.plans import Milestone, PlanRegistry
from chalicelib.domain.reports import (
    BadMonth,
    Interval,
    ReportBuilder,
    ReportMonth,
    ReportPart,
    build_report,
    percentile,
    report_month_due,
)
from chalicelib.domain.sla import compute_schedule
from chalicelib.domain.ticket import (
    Action,
    Channel,
    Kind,
    Priority,
    Product,
    Reporter,
    Ticket,
    TicketEvent,
    open_ticket,
)
from chalicelib.domain.ticket_clock import clock_facts

MARCH = ReportMonth.parse("2026-03")
# 2026-03-05 10:00 Shanghai
T0 = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
END_OF_MARCH = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 2026-04-01 00:00 Shanghai


def new_ticket(number: str = "SD-2026-000001", *, at: datetime = T0, kind: Kind = Kind.FAULT,
               model: str = "KYN28-12", province: str = "CN-JS") -> tuple[Ticket, list[TicketEvent]]:
    ticket, event = open_ticket(
        number=number,
        reporter=Reporter(customer_name="苏州精密机械", phone="+8613800138000", province=province, address="星湖街"),
        product=Product(model=model), description="跳闸", kind=kind, channel=Channel.WEB, at=at, actor="web",
    )
    return ticket, [event]


def move(story: tuple[Ticket, list[TicketEvent]], action: Action, after: timedelta, *,
         priority: Priority | None = None, assignees: tuple[str, ...] | None = None, **kwargs) -> tuple[
    Ticket, list[TicketEvent]
]:
    """``priority``, ``assignees``: what a classification or a dispatch sets, recorded as its payload."""
    ticket, events = story
    if priority is not None:
        kwargs["details"] = Classified.setting(action, Classification(priority=priority), ticket)
    if assignees is not None:
        kwargs["details"] = Dispatched(assignees=assignees, previous=ticket.assignees)
    ticket, event = ticket.apply(action, actor="staff", at=ticket.created_at + after, summary=action.value, **kwargs)
    return ticket, [*events, event]


COMPLAINT = Complaint(details=ComplaintDetails(order_number="PO-1", part_number="P-1", ship_date=date(2026, 3, 1),
                                                quantity=1, defective_quantity=1, customer_request="换货"),
                      recorded_by="desk", recorded_at=T0)
# Each after-care fact as the event its feature records (a survey's scores unchecked: the report checks them).
FACTS = {
    "survey": lambda v: SurveyAnswered.model_construct(survey=SurveyAnswer.model_construct(**v)),
    "callback": lambda v: CallbackRecorded(callback=Callback(**v)),
    "complaint_cause": lambda v: ComplaintMoved(action=Action.ANALYSE_COMPLAINT, complaint=COMPLAINT, cause=v),
    "capa": lambda v: ComplaintMoved.model_construct(action=Action.UPDATE_CAPA, complaint=COMPLAINT.model_construct(
        capa=(CapaAction.model_construct(status=CapaStatus(v["status"])),))),
    "costs": lambda v: AcceptanceFiled(acceptance=Acceptance(
        form_key="forms/x.pdf", form_type="application/pdf", source=FormSource.UPLOADED, filed_at=T0,
        filed_by="tech-li", work=WorkReport(work_done="换断路器", costs=Costs(**v)))),
}


def note(story, after: timedelta, **facts) -> tuple[Ticket, list[TicketEvent]]:
    """After-care facts as the after-care features record them, one event each."""
    ticket, events = story
    noted = [FACTS[name](value) for name, value in facts.items()]
    return ticket, [*events, *(TicketEvent(at=ticket.created_at + after, actor="desk", action=p.action, payload=p)
                               for p in noted)]


def schedule(story, now):
    ticket, events = story
    return compute_schedule(clock_facts(ticket, events), PlanRegistry([]).get(ticket.plan), now)


def report(*stories, now=END_OF_MARCH, threshold=3):
    return build_report(MARCH, now, [(t, e, schedule((t, e), now)) for t, e in stories],
                        recurring_threshold=threshold)


# -- months ----------------------------------------------------------------------------------------


def test_a_month_starts_at_midnight_shanghai_which_is_16_00_utc_the_day_before():
    assert MARCH.start() == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert MARCH.end() == END_OF_MARCH


def test_a_ticket_received_at_00_00_on_the_1st_shanghai_belongs_to_that_month_not_the_one_before():
    first_instant = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert MARCH.contains(first_instant)
    assert not MARCH.previous().contains(first_instant)
    assert not MARCH.contains(first_instant - timedelta(microseconds=1))
    assert not MARCH.contains(END_OF_MARCH)


def test_the_builder_refuses_a_ticket_of_another_month():
    builder = ReportBuilder(MARCH, END_OF_MARCH)
    ticket, events = new_ticket(at=END_OF_MARCH)  # 1 April 00:00 Shanghai
    with pytest.raises(ValueError):
        builder.add(ticket, events, None)


def test_the_run_on_the_1st_at_01_00_shanghai_reports_the_month_before():
    assert report_month_due(datetime(2026, 3, 31, 17, 0, tzinfo=UTC)).label == "2026-03"
    assert report_month_due(datetime(2026, 1, 1, 1, 0, tzinfo=UTC)).label == "2025-12"


@pytest.mark.parametrize("text", ["2026-13", "26-03", "2026-3", "march", ""])
def test_a_month_is_written_yyyy_mm(text):
    with pytest.raises(BadMonth):
        ReportMonth.parse(text)


# -- statistics ------------------------------------------------------------------------------------


def test_median_and_90th_percentile_interpolate_between_closest_ranks():
    assert percentile([4, 1, 3, 2], 0.5) == 2.5
    assert percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


def test_times_run_from_receipt_to_the_first_contact_dispatch_arrival_and_resolution():
    story = new_ticket()
    story = move(story, Action.RECORD_CONTACT, timedelta(minutes=30))
    story = move(story, Action.RECORD_CONTACT, timedelta(hours=5))  # a second call does not count
    story = move(story, Action.CLASSIFY, timedelta(hours=1), priority=Priority.URGENT)
    story = move(story, Action.DISPATCH, timedelta(hours=2), assignees=("tech-li",))
    story = move(story, Action.CHECK_IN, timedelta(hours=10))
    story = move(story, Action.RESOLVE, timedelta(hours=20))
    other = move(new_ticket("SD-2026-000002"), Action.RECORD_CONTACT, timedelta(hours=1, minutes=30))
    result = report(story, other)
    assert result.times[Interval.CONTACT].count == 2
    assert result.times[Interval.CONTACT].median_hours == 1.0
    assert result.times[Interval.DISPATCH].median_hours == 2.0
    assert result.times[Interval.ARRIVAL].p90_hours == 10.0
    assert result.times[Interval.RESOLUTION].median_hours == 20.0
    assert result.rows[0].hours_to_contact == 0.5


# -- deadlines -------------------------------------------------------------------------------------


def test_deadlines_count_per_rule_as_met_met_late_or_missed():
    on_time = move(new_ticket("SD-2026-000001"), Action.RECORD_CONTACT, timedelta(minutes=30))
    late = move(new_ticket("SD-2026-000002"), Action.RECORD_CONTACT, timedelta(hours=2))
    never = new_ticket("SD-2026-000003")
    result = report(on_time, late, never)
    (contact,) = [d for d in result.deadlines if d.milestone == Milestone.CONTACTED]
    assert (contact.met, contact.met_late, contact.missed) == (1, 1, 1)
    assert result.deadlines_met == 1 and result.deadlines_missed == 2
    assert [r.deadlines_missed for r in result.rows] == [0, 0, 1]


def test_a_deadline_still_running_when_the_report_is_made_is_not_judged():
    fresh = new_ticket(at=END_OF_MARCH - timedelta(minutes=10))
    result = report(fresh)
    (contact,) = result.deadlines
    assert (contact.met, contact.met_late, contact.missed, contact.pending) == (0, 0, 0, 1)


# -- counts ----------------------------------------------------------------------------------------


def test_tickets_are_counted_by_kind_priority_model_and_province():
    a = move(new_ticket("SD-2026-000001", model="GCS", province="CN-SH"), Action.CLASSIFY, timedelta(minutes=5),
             priority=Priority.CRITICAL)
    b = new_ticket("SD-2026-000002", kind=Kind.MAINTENANCE)
    result = report(a, b)
    assert result.tickets == 2
    assert result.by_kind["fault"] == 1 and result.by_kind["maintenance"] == 1 and result.by_kind["complaint"] == 0
    assert result.by_priority == {"A": 1, "B": 0, "C": 0, "none": 1}
    assert result.by_model == {"GCS": 1, "KYN28-12": 1}
    assert result.by_province == {"CN-SH": 1, "CN-JS": 1}


# -- dispatches ------------------------------------------------------------------------------------


def test_person_times_count_each_technician_sent_and_days_on_site_run_from_check_in_to_leaving():
    story = move(new_ticket(), Action.CLASSIFY, timedelta(minutes=5), priority=Priority.URGENT)
    story = move(story, Action.DISPATCH, timedelta(hours=1), assignees=("tech-li", "tech-wang"))
    story = move(story, Action.DISPATCH, timedelta(hours=2), assignees=("tech-li", "tech-wang", "tech-xu"))
    story = move(story, Action.CHECK_IN, timedelta(days=1))
    story = move(story, Action.REPORT_DEPARTURE, timedelta(days=3))
    result = report(story)
    assert result.dispatches == 2
    assert result.person_times == 3
    assert result.days_on_site == 2.0
    assert result.person_days == 6.0


# -- costs and money -------------------------------------------------------------------------------


def test_costs_come_from_the_work_report_on_the_acceptance_form_else_from_a_costs_event():
    ticket, events = new_ticket("SD-2026-000001")
    work = WorkReport(work_done="换断路器", costs=Costs(materials=Decimal("1200.50"), labour=Decimal(800),
                                                    travel=Decimal(300), transport=Decimal(0)))
    ticket = ticket.model_copy(update={"acceptance": Acceptance(
        form_key="forms/x.pdf", form_type="application/pdf", source=FormSource.UPLOADED, work=work,
        filed_at=T0, filed_by="tech-li")})
    from_event = note(new_ticket("SD-2026-000002"), timedelta(days=2),
                      costs={"materials": "100", "labour": 50, "travel": 0, "transport": "25.5"})
    none = new_ticket("SD-2026-000003")
    result = report((ticket, events), from_event, none)
    assert result.costs.jobs == 2
    assert result.costs.materials == Decimal("1300.50")
    assert result.costs.transport == Decimal("25.50")
    assert result.costs.total == Decimal("2476.00")
    assert result.rows[2].costs is None


def test_without_billing_records_paid_service_shows_no_paid_jobs():
    assert report(new_ticket()).money.paid_jobs == 0


# -- after care: surveys, callbacks, complaints, CAPA ------------------------------------------------


def test_after_care_sections_say_no_data_until_the_after_care_work_writes_its_facts():
    result = report(new_ticket())
    assert result.satisfaction is None
    assert result.callbacks is None
    assert result.capa_recorded is False
    assert result.complaints.count == 0


def test_survey_answers_callbacks_complaint_causes_and_capa_status_are_read_from_event_facts():
    answered = note(new_ticket("SD-2026-000001"), timedelta(days=3),
                    survey={"overall": 4, "timeliness": 5, "attitude": 5, "quality": 3})
    answered = note(answered, timedelta(days=4), survey={"overall": 5})  # the latest answer counts
    answered = note(answered, timedelta(days=6), callback={"outcome": "satisfied"})
    complaint = new_ticket("SD-2026-000002", kind=Kind.COMPLAINT)
    complaint = note(complaint, timedelta(days=1), complaint_cause="quality")
    complaint = note(complaint, timedelta(days=2), capa={"status": "open"})
    complaint = note(complaint, timedelta(days=9), capa={"status": "verified"})
    ignored = note(new_ticket("SD-2026-000003"), timedelta(days=1), survey={"overall": 9})  # not a 1–5 score
    result = report(answered, complaint, ignored)
    assert result.satisfaction.answers == 1
    assert result.satisfaction.averages == {"overall": 5.0}
    assert result.callbacks == {"satisfied": 1, "problem": 0, "unreachable": 0}
    assert result.complaints.count == 1
    assert result.complaints.by_cause == {"quality": 1}
    assert result.complaints.capa == {"open": 0, "in_progress": 0, "implemented": 0, "verified": 1}
    assert result.rows[1].capa_status == "verified"


# -- recurring quality problems ---------------------------------------------------------------------


def test_a_model_with_n_or_more_faults_in_the_month_is_a_recurring_problem():
    stories = [new_ticket(f"SD-2026-00000{i}", model="KYN28-12") for i in range(1, 4)]
    stories += [new_ticket("SD-2026-000010", model="GCS"), new_ticket("SD-2026-000011", model="GCS",
                                                                       kind=Kind.MAINTENANCE)]
    result = report(*stories, threshold=3)
    assert [(p.model, p.faults) for p in result.recurring] == [("KYN28-12", 3)]
    assert [p.model for p in report(*stories, threshold=1).recurring] == ["KYN28-12", "GCS"]


def test_a_complaint_caused_by_quality_counts_toward_recurring_problems():
    faults = [new_ticket(f"SD-2026-00000{i}", model="MNS") for i in range(1, 3)]
    complaint = note(new_ticket("SD-2026-000009", model="MNS", kind=Kind.COMPLAINT), timedelta(days=1),
                     complaint_cause="quality")
    assert [p.faults for p in report(*faults, complaint, threshold=3).recurring] == [3]


def test_paid_service_revenue_is_the_amount_due_and_the_unpaid_balance_what_is_not_yet_collected():
    from datetime import date

    from chalicelib.domain.billing import Account, LineCategory, Payment, PaymentMethod, Quote, QuoteLine, QuoteState

    ticket, events = new_ticket()
    quote = Quote(state=QuoteState.APPROVED, lines=(QuoteLine(category=LineCategory.LABOUR, description="维修",
                                                              quantity=Decimal(1), unit_price=Decimal("1000")),),
                  valid_until=date(2026, 4, 1), drafted_by="sup", drafted_at=T0)
    account = Account(payments=(Payment(received_on=date(2026, 3, 20), amount=Decimal("400"),
                                        method=PaymentMethod.CASH, recorded_by="desk", recorded_at=T0),))
    paid = ticket.model_copy(update={"quote": quote, "account": account})
    result = report((paid, events), new_ticket("SD-2026-000002"))
    assert result.money.paid_jobs == 1
    assert (result.money.revenue, result.money.collected, result.money.unpaid) == (
        Decimal("1000.00"), Decimal("400.00"), Decimal("600.00"))
    assert result.money.unpaid_jobs == 1


# -- building in parts ------------------------------------------------------------------------------


def test_a_month_is_built_in_parts_one_per_day_on_shanghai_clocks():
    days = MARCH.days()
    assert len(days) == 31
    assert days[0] == (datetime(2026, 2, 28, 16, 0, tzinfo=UTC), datetime(2026, 3, 1, 16, 0, tzinfo=UTC))
    assert days[-1][1] == MARCH.end()
    assert all(end == following for (_, end), (following, _) in zip(days, days[1:], strict=False))
    assert len(ReportMonth.parse("2028-02").days()) == 29


def month_of_stories():
    """A month with every section filled: deadlines met and missed, field work, costs, surveys,
    callbacks, a complaint with CAPA, and a recurring model."""
    contacted = move(new_ticket("SD-2026-000001"), Action.RECORD_CONTACT, timedelta(minutes=30))
    contacted = move(contacted, Action.CLASSIFY, timedelta(hours=1), priority=Priority.URGENT)
    contacted = move(contacted, Action.DISPATCH, timedelta(hours=2), assignees=("tech-li",))
    contacted = move(contacted, Action.CHECK_IN, timedelta(days=1))
    contacted = note(contacted, timedelta(days=2), survey={"overall": 4, "quality": 3},
                     costs={"materials": "100", "labour": 50, "travel": 0, "transport": "25.5"})
    late = move(new_ticket("SD-2026-000002", at=T0 + timedelta(days=9), model="GCS"), Action.RECORD_CONTACT,
                timedelta(hours=3))
    late = note(late, timedelta(days=6), callback={"outcome": "problem"})
    complaint = note(new_ticket("SD-2026-000003", at=T0 + timedelta(days=15), kind=Kind.COMPLAINT),
                     timedelta(days=1), complaint_cause="quality", capa={"status": "open"})
    others = [new_ticket(f"SD-2026-00001{i}", at=T0 + timedelta(days=2 * i)) for i in range(4)]
    return [contacted, late, complaint, *others]


def test_a_month_built_in_parts_and_merged_is_the_same_report_as_built_in_one_go():
    stories = month_of_stories()
    whole = report(*stories, threshold=2)
    builders = {}
    for ticket, events in stories:
        day = next(i for i, (start, end) in enumerate(MARCH.days()) if start <= ticket.created_at < end)
        builder = builders.setdefault(day, ReportBuilder(MARCH, END_OF_MARCH, recurring_threshold=2))
        builder.add(ticket, events, schedule((ticket, events), END_OF_MARCH))
    merged = ReportBuilder(MARCH, END_OF_MARCH, recurring_threshold=2)
    for day in sorted(builders, reverse=True):  # the order parts come back in does not matter
        stored = builders[day].part().model_dump_json()  # parts travel as JSON (S3)
        merged.absorb(ReportPart.model_validate_json(stored))
    assert merged.finish() == whole
    assert whole.satisfaction and whole.callbacks and whole.complaints.count == 1 and whole.recurring


def test_a_part_of_another_month_or_as_of_another_moment_cannot_be_merged():
    builder = ReportBuilder(MARCH, END_OF_MARCH)
    with pytest.raises(ValueError):
        builder.absorb(ReportBuilder(MARCH.next(), END_OF_MARCH).part())
    with pytest.raises(ValueError):
        builder.absorb(ReportBuilder(MARCH, END_OF_MARCH - timedelta(hours=1)).part())
