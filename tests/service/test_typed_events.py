"""What people typed or chose is recorded as codes and values, never only inside an English sentence:
the timeline and the SLA clock read the same facts whatever the event's summary says."""

from datetime import timedelta

from chalicelib.domain.events import Cancelled, ContactRecorded, Notified, Paused, PauseReason
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action
from chalicelib.domain.ticket_clock import clock_facts_of
from chalicelib.i18n.events import describe
from tests.fakes import fake_world, valid_report


def _without_summary(event):
    return event.model_copy(update={"summary": ""})


def test_a_pause_contact_and_cancellation_keep_their_codes_and_typed_words_in_the_event():
    world = fake_world()
    desk = world.services.desk
    number = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    desk.record_contact(number, actor=SystemActor("sup"), note="明早有人")
    desk.pause(number, actor=SystemActor("sup"), reason=PauseReason.SITE_NOT_READY, note="等钥匙")
    world.clock.advance(timedelta(minutes=5))
    desk.resume(number, actor=SystemActor("sup"))
    desk.cancel(number, actor=SystemActor("sup"), reason="客户已自行解决")

    events = {e.action: _without_summary(e) for e in world.tickets.events(number)}

    assert events[Action.RECORD_CONTACT].payload == ContactRecorded(note="明早有人")
    assert events[Action.PAUSE].payload == Paused(reason=PauseReason.SITE_NOT_READY, note="等钥匙")
    assert events[Action.CANCEL].payload == Cancelled(reason="客户已自行解决")
    [fact] = clock_facts_of(events[Action.PAUSE])
    assert (fact.pause_reason, fact.note) == ("site_not_ready", "等钥匙")
    assert (
        describe("zh-CN", events[Action.PAUSE], timezone="Asia/Shanghai").text
        == "暂停计时：原因：现场不具备条件；说明：等钥匙"
    )


def test_a_pause_said_in_words_of_its_own_is_an_other_reason_with_those_words():
    world = fake_world()
    number = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number

    world.services.desk.pause(number, actor=SystemActor("sup"), reason="waiting for the drawings")

    [pause] = [e for e in world.tickets.events(number) if e.action == Action.PAUSE]
    assert pause.payload == Paused(reason=PauseReason.OTHER, note="waiting for the drawings")


def test_a_delivery_records_its_channel_recipient_and_purpose():
    world = fake_world()
    number = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number

    sent = [_without_summary(e).payload for e in world.tickets.events(number) if e.action == Action.NOTIFY]

    assert sent and all(isinstance(p, Notified) and p.outcome == "sent" and p.recipient and p.purpose for p in sent)
