"""After the job, over in-memory adapters with a controllable clock: the survey, callbacks, maintenance
reminders (SPEC "After closure"; 001 §3.5, 003 §2, §4.1, §5)."""

import re
from datetime import date, timedelta

import pytest

from chalicelib.domain.aftercare import CallbackInput, MaintenanceInput, SurveyInput, SurveyState
from chalicelib.domain.archive import CustomerInput, ProductInput
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel, OutboxMessage
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action, Kind, Status
from chalicelib.services.aftercare import (
    InvalidCallback,
    InvalidSchedule,
    SurveyClosed,
    UnknownCallback,
    UnknownProduct,
    UnknownSurvey,
)
from tests.fakes import fake_world, valid_report

ANSWER = SurveyInput(overall=5, timeliness=4, attitude=5, quality=3, comment="很好")


def closed_job(world, **report):
    services = world.services
    number = services.intake.submit(ServiceRequestInput.model_validate(valid_report(**report)), language="zh-CN").number
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE, Action.APPROVE):
        services.desk.move(number, action, actor=SystemActor("sup"), summary=action.value)
    return number


def survey_token(world, number):
    [sms] = [m for m in world.tickets.messages.values() if m.purpose == "survey" and m.channel == MessageChannel.SMS]
    return re.search(r"/s/([\w.\-]+)", sms.text).group(1)


@pytest.fixture
def world():
    return fake_world()


def test_an_approved_job_sends_the_survey_link_by_email_and_sms_once(world):
    number = closed_job(world)
    world.services.aftercare.job_closed(number)
    world.services.aftercare.job_closed(number)  # a repeat (e.g. a retried request) sends nothing more
    survey = [m for m in world.tickets.messages.values() if m.purpose == "survey"]
    assert sorted(m.channel for m in survey) == [MessageChannel.EMAIL, MessageChannel.SMS]
    assert all("https://desk.example.com/s/" in m.text for m in survey)
    assert {m.recipient for m in world.notifier.sent if m.purpose == "survey"} == {"wang@example.cn", "+8613800138000"}
    ticket = world.tickets.get(number)
    assert ticket.survey_until == ticket.survey_sent_at + timedelta(days=30)
    assert [e.action for e in world.tickets.events(number)].count(Action.SEND_SURVEY) == 1


def test_an_open_job_gets_no_survey(world):
    number = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    assert world.services.aftercare.job_closed(number) is None
    assert not [m for m in world.tickets.messages.values() if m.purpose == "survey"]


def test_the_customer_answers_once_and_the_answer_is_on_the_timeline(world):
    number = closed_job(world)
    world.services.aftercare.job_closed(number)
    token = survey_token(world, number)
    assert world.services.aftercare.survey(token).state == SurveyState.OPEN

    world.services.aftercare.answer(token, ANSWER)

    assert world.tickets.get(number).survey.overall == 5
    [event] = [e for e in world.tickets.events(number) if e.action == Action.ANSWER_SURVEY]
    assert {k: getattr(event.payload.survey, k) for k in ("overall", "timeliness", "attitude", "quality")} == {
        "overall": 5, "timeliness": 4, "attitude": 5, "quality": 3}
    with pytest.raises(SurveyClosed) as closed:
        world.services.aftercare.answer(token, ANSWER)
    assert closed.value.state == SurveyState.ANSWERED
    assert world.services.aftercare.survey(token).state == SurveyState.ANSWERED


def test_the_survey_link_expires_after_the_configured_days(world):
    number = closed_job(world)
    world.services.aftercare.job_closed(number)
    token = survey_token(world, number)
    world.clock.advance(timedelta(days=30))
    assert world.services.aftercare.survey(token).state == SurveyState.EXPIRED
    with pytest.raises(SurveyClosed) as closed:
        world.services.aftercare.answer(token, ANSWER)
    assert closed.value.state == SurveyState.EXPIRED
    assert world.tickets.get(number).survey is None


def test_a_tampered_survey_link_is_unknown(world):
    number = closed_job(world)
    world.services.aftercare.job_closed(number)
    with pytest.raises(UnknownSurvey):
        world.services.aftercare.survey(survey_token(world, number)[:-2] + "xx")


# -- the approval's after-care item (a transactional outbox) ---------------------------------------


def awaiting_approval(world, **report):
    services = world.services
    number = services.intake.submit(ServiceRequestInput.model_validate(valid_report(**report)), language="zh-CN").number
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE):
        services.desk.move(number, action, actor=SystemActor("sup"), summary=action.value)
    return number


def after_care_items(world, number):
    return [m for m in world.tickets.messages.values()
            if m.ticket_number == number and m.channel == MessageChannel.JOB and m.purpose == "after_care"]


def surveys_sent(world, number):
    return sorted(m.channel for m in world.notifier.sent if m.purpose == "survey" and m.ticket_number == number)


class Died(BaseException):
    """The process ends (a timeout, a kill): nothing after this point runs, no ``except Exception`` sees it."""


def test_the_approval_saves_its_after_care_item_with_itself_so_a_crash_right_after_loses_nothing(world, monkeypatch):
    number = awaiting_approval(world)
    saves = []
    save = world.tickets.save

    def recording_save(ticket, events, next_wake=None, outbox=()):
        saves.append(([e.action for e in events], [m.channel for m in outbox]))
        save(ticket, events, next_wake, outbox)

    def die(messages):
        raise Died()

    monkeypatch.setattr(world.tickets, "save", recording_save)
    monkeypatch.setattr(world.services.notifications, "deliver", die)
    with pytest.raises(Died):
        world.services.field_work.approve(number, actor=SystemActor("sup"))

    assert saves == [([Action.APPROVE], [MessageChannel.JOB])], "one save: the approval and its item"
    assert world.tickets.get(number).status == Status.CLOSED
    [item] = after_care_items(world, number)
    assert (item.state, item.attempts, item.recipient, item.purpose) == (
        DeliveryState.PENDING, 0, "app", "after_care")
    assert world.aftercare_store.open == {} and surveys_sent(world, number) == []

    monkeypatch.undo()  # a fresh process: the every-minute delivery job
    world.clock.advance(timedelta(minutes=1))
    assert [m.id for m in world.services.notifications.deliver_due()] == [item.id]

    [done] = after_care_items(world, number)
    assert done.state == DeliveryState.SENT
    [task] = world.aftercare_store.open.values()
    assert task.ticket_number == number
    assert surveys_sent(world, number) == [MessageChannel.EMAIL, MessageChannel.SMS]
    assert not [m for m in world.notifier.sent if m.channel == MessageChannel.JOB], "nobody is sent it"


def test_an_after_care_item_stored_before_jobs_had_their_own_kind_still_books_and_sends_once(world):
    number = closed_job(world)  # approved by hand: no job of its own
    now = world.clock.now()
    world.tickets.messages["old"] = OutboxMessage(
        id="old", ticket_number=number, purpose="after_care", channel=MessageChannel.AFTER_CARE,
        recipient="after-care", text=f"after-care due for {number}", created_at=now, next_attempt_at=now)

    [done] = world.services.notifications.deliver_due()

    assert (done.id, done.state) == ("old", DeliveryState.SENT)
    assert [task.ticket_number for task in world.aftercare_store.open.values()] == [number]
    assert surveys_sent(world, number) == [MessageChannel.EMAIL, MessageChannel.SMS]


def test_an_after_care_that_fails_at_approval_is_booked_by_the_delivery_job_after_its_backoff(world, monkeypatch):
    number = awaiting_approval(world)
    book, tries = world.aftercare_store.add_callback, []

    def throttled_once(task):
        tries.append(task.id)
        if len(tries) == 1:
            raise RuntimeError("ProvisionedThroughputExceededException")
        return book(task)

    monkeypatch.setattr(world.aftercare_store, "add_callback", throttled_once)

    closed = world.services.field_work.approve(number, actor=SystemActor("sup"))  # the supervisor sees no error

    assert closed.status == Status.CLOSED
    [item] = after_care_items(world, number)
    assert item.state == DeliveryState.PENDING and item.attempts == 1
    assert "ProvisionedThroughputExceededException" in item.last_error
    assert world.aftercare_store.open == {} and surveys_sent(world, number) == []
    [failure] = [e for e in world.tickets.events(number) if getattr(e.payload, "message_id", None) == item.id]
    assert failure.payload.outcome == "retry" and not failure.public  # staff see it; the customer does not
    assert world.services.notifications.deliver_due() == [], "not before its backoff"

    world.clock.advance(timedelta(minutes=1))
    [delivered] = world.services.notifications.deliver_due()

    assert delivered.id == item.id and delivered.state == DeliveryState.SENT
    [task] = world.aftercare_store.open.values()
    assert task.ticket_number == number and task.due_from == world.services.aftercare.today() + timedelta(days=5)
    assert surveys_sent(world, number) == [MessageChannel.EMAIL, MessageChannel.SMS]
    assert [e.action for e in world.tickets.events(number)].count(Action.SEND_SURVEY) == 1


def test_after_care_run_again_even_days_later_books_one_callback_and_sends_one_survey(world):
    number = awaiting_approval(world)
    approved_on = world.services.aftercare.today()
    world.services.field_work.approve(number, actor=SystemActor("sup"))
    [item] = after_care_items(world, number)

    world.clock.advance(timedelta(days=1, hours=1))  # e.g. a duplicate delivery after an outage, the next day
    world.services.notifications.deliver([item.model_copy(update={"state": DeliveryState.PENDING})])
    world.services.aftercare.job_closed(number)

    assert len(world.aftercare_store.tasks_ever) == 1
    [task] = world.aftercare_store.open.values()
    assert task.due_from == approved_on + timedelta(days=5), "the window counts from the approval"
    assert surveys_sent(world, number) == [MessageChannel.EMAIL, MessageChannel.SMS]
    assert [e.action for e in world.tickets.events(number)].count(Action.SEND_SURVEY) == 1


def test_an_after_care_that_keeps_failing_is_given_up_and_parked_for_the_operators(world, monkeypatch):
    number = awaiting_approval(world)

    def table_down(task):
        raise RuntimeError("ServiceUnavailable")

    monkeypatch.setattr(world.aftercare_store, "add_callback", table_down)
    world.services.field_work.approve(number, actor=SystemActor("sup"))
    for _ in range(3):
        world.clock.advance(timedelta(hours=1))
        world.services.notifications.deliver_due()

    [item] = after_care_items(world, number)
    assert item.state == DeliveryState.FAILED and item.attempts == 3  # the fake world gives up after 3
    assert [m.id for m in world.dead_letters.parked] == [item.id]
    assert any(e.payload.outcome == "failed" for e in world.tickets.events(number) if e.action == Action.NOTIFY)
    assert world.aftercare_store.open == {} and surveys_sent(world, number) == []


# -- callbacks --------------------------------------------------------------------------------------


def test_a_repair_callback_is_due_5_to_7_days_after_closure(world):
    number = closed_job(world)
    aftercare = world.services.aftercare
    aftercare.job_closed(number)
    assert aftercare.due_callbacks() == []
    world.clock.advance(timedelta(days=5))
    [task] = aftercare.due_callbacks()
    assert task.ticket_number == number and task.due_by - task.due_from == timedelta(days=2)
    assert not task.overdue(aftercare.today())
    world.clock.advance(timedelta(days=3))
    assert aftercare.due_callbacks()[0].overdue(aftercare.today())


def test_a_recorded_callback_leaves_the_list_and_lands_on_the_timeline(world):
    number = closed_job(world)
    aftercare = world.services.aftercare
    aftercare.job_closed(number)
    world.clock.advance(timedelta(days=6))
    [task] = aftercare.due_callbacks()

    result = aftercare.record_callback(task.id, CallbackInput(reached=True, satisfied=True), actor=SystemActor("desk"))

    assert result.outcome == "satisfied" and result.follow_up is None
    assert aftercare.due_callbacks() == []
    [event] = [e for e in world.tickets.events(number) if e.action == Action.RECORD_CALLBACK]
    assert event.payload.callback.outcome == "satisfied" and not event.public
    with pytest.raises(UnknownCallback):
        aftercare.record_callback(task.id, CallbackInput(reached=False), actor=SystemActor("desk"))


def test_an_unreached_customer_is_recorded_as_unreachable(world):
    number = closed_job(world)
    aftercare = world.services.aftercare
    aftercare.job_closed(number)
    world.clock.advance(timedelta(days=6))
    [task] = aftercare.due_callbacks()
    assert aftercare.record_callback(task.id, CallbackInput(reached=False), actor=SystemActor("desk")).outcome == "unreachable"


@pytest.mark.parametrize("problem, kind", [("follow_up", Kind.FAULT), ("complaint", Kind.COMPLAINT)])
def test_a_problem_raised_opens_a_linked_follow_up_or_complaint(world, problem, kind):
    number = closed_job(world)
    aftercare = world.services.aftercare
    aftercare.job_closed(number)
    world.clock.advance(timedelta(days=6))
    [task] = aftercare.due_callbacks()

    result = aftercare.record_callback(
        task.id, CallbackInput(reached=True, satisfied=False, problem=problem, notes="又跳闸了"), actor=SystemActor("desk"))

    follow_up = world.tickets.get(result.follow_up)
    assert follow_up.kind == kind and follow_up.status == Status.NEW
    assert number in follow_up.description and follow_up.reporter == world.tickets.get(number).reporter
    [event] = [e for e in world.tickets.events(number) if e.action == Action.RECORD_CALLBACK]
    assert event.payload.callback.follow_up == result.follow_up
    assert event.payload.callback.outcome == "problem"


@pytest.mark.parametrize("data, field", [
    ({"reached": True}, "satisfied"),
    ({"reached": False, "problem": "complaint", "notes": "x"}, "problem"),
    ({"reached": True, "satisfied": False, "problem": "follow_up"}, "notes"),
])
def test_an_incomplete_callback_is_refused_and_the_task_stays(world, data, field):
    number = closed_job(world)
    aftercare = world.services.aftercare
    aftercare.job_closed(number)
    world.clock.advance(timedelta(days=6))
    [task] = aftercare.due_callbacks()
    with pytest.raises(InvalidCallback) as invalid:
        aftercare.record_callback(task.id, CallbackInput.model_validate(data), actor=SystemActor("desk"))
    assert field in invalid.value.problems
    assert aftercare.due_callbacks() == [task]


# -- the archive: delivery callbacks and maintenance -----------------------------------------------


def archived_product(world, *, delivered=None, phones="13900139000", email="ops@example.cn"):
    archive = world.services.archive
    archive.save_customer(CustomerInput.model_validate(
        {"customer_id": "C-1", "name": "苏州精密", "phones": phones, "email": email, "province": "CN-JS"}),
        actor=SystemActor("desk"))
    return archive.save_product(ProductInput.model_validate(
        {"serial_number": "SN-9", "model": "KYN28", "warranty_months": 12, "delivery_date": delivered}),
        customer_id="C-1", actor=SystemActor("desk"))


def test_a_delivered_product_saved_in_the_archive_gets_a_callback_5_to_7_days_later(world):
    today = world.services.aftercare.today()
    product = archived_product(world, delivered=today.isoformat())  # the archive tells after-care
    assert not world.services.aftercare.product_delivered(product), "booked once, when it was saved"
    world.clock.advance(timedelta(days=5))
    [task] = world.services.aftercare.due_callbacks()
    assert task.serial_number == "SN-9" and task.reason.value == "delivery"


def test_a_delivery_callback_problem_opens_a_ticket_for_the_archived_customer(world):
    today = world.services.aftercare.today()
    archived_product(world, delivered=today.isoformat())
    world.clock.advance(timedelta(days=5))
    [task] = world.services.aftercare.due_callbacks()
    result = world.services.aftercare.record_callback(
        task.id, CallbackInput(reached=True, satisfied=False, problem="follow_up", notes="安装后异响"), actor=SystemActor("desk"))
    assert world.tickets.get(result.follow_up).reporter.customer_name == "苏州精密"


def test_an_old_delivery_needs_no_callback(world):
    today = world.services.aftercare.today()
    product = archived_product(world, delivered=(today - timedelta(days=30)).isoformat())
    assert not world.services.aftercare.product_delivered(product)


def schedule(world, **form):
    return world.services.aftercare.set_schedule(MaintenanceInput.model_validate({"serial_number": "SN-9", **form}),
                                                 actor=SystemActor("desk"))


def test_the_customer_is_reminded_one_week_before_a_visit_once(world):
    archived_product(world)
    aftercare = world.services.aftercare
    visit = aftercare.today() + timedelta(days=10)
    schedule(world, dates=visit.isoformat())
    assert aftercare.remind_maintenance() == 0  # 10 days ahead: not yet
    world.clock.advance(timedelta(days=3))
    assert aftercare.remind_maintenance() == 1
    assert aftercare.remind_maintenance() == 0  # the same day again: no second reminder
    world.clock.advance(timedelta(days=1))
    assert aftercare.remind_maintenance() == 0
    reminders = [m for m in world.notifier.sent if m.purpose == "maintenance_reminder"]
    assert sorted(m.channel for m in reminders) == [MessageChannel.EMAIL, MessageChannel.SMS]
    assert all(visit.isoformat() in m.text for m in reminders)
    [upcoming] = aftercare.upcoming_visits()
    assert upcoming.visit.reminded_at is not None and upcoming.customer.name == "苏州精密"


def test_a_missed_day_is_caught_up(world):
    archived_product(world)
    aftercare = world.services.aftercare
    schedule(world, dates=(aftercare.today() + timedelta(days=8)).isoformat())
    world.clock.advance(timedelta(days=3))  # the job did not run on the day 7 days before
    assert aftercare.remind_maintenance() == 1


def test_an_interval_schedule_lists_its_visits_and_keeps_a_year_ahead(world):
    archived_product(world)
    aftercare = world.services.aftercare
    start = aftercare.today() + timedelta(days=7)
    schedule(world, start=start.isoformat(), every_months=3)
    days = [v.visit.on for v in aftercare.upcoming_visits(400)]
    assert days[0] == start and len(days) == 5
    assert aftercare.remind_maintenance() == 1


def test_a_new_schedule_replaces_the_visits_not_yet_reminded(world):
    archived_product(world)
    aftercare = world.services.aftercare
    schedule(world, dates=(aftercare.today() + timedelta(days=20)).isoformat())
    later = aftercare.today() + timedelta(days=25)
    schedule(world, dates=later.isoformat())
    assert [v.visit.on for v in aftercare.upcoming_visits()] == [later]


def test_a_schedule_needs_an_archived_product_and_an_interval_or_dates(world):
    with pytest.raises(UnknownProduct):
        schedule(world, dates="2027-01-01")
    archived_product(world)
    with pytest.raises(InvalidSchedule):
        schedule(world)
    with pytest.raises(InvalidSchedule):
        schedule(world, every_months=6)


def test_a_customer_without_email_or_mobile_is_not_claimed_as_reminded(world):
    archived_product(world, phones="02588886666", email="")
    aftercare = world.services.aftercare
    schedule(world, dates=(aftercare.today() + timedelta(days=7)).isoformat())
    assert aftercare.remind_maintenance() == 0
    assert aftercare.upcoming_visits()[0].visit.reminded_at is None


def test_visit_days_follow_the_calendar():
    from chalicelib.domain.aftercare import MaintenanceSchedule, add_months

    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    plan = MaintenanceSchedule(serial_number="X", start=date(2027, 1, 31), every_months=1, dates=(date(2027, 2, 5),))
    assert plan.visits(date(2027, 2, 1), date(2027, 3, 31)) == [date(2027, 2, 5), date(2027, 2, 28), date(2027, 3, 31)]
