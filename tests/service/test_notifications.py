"""The outbox sweep retries what failed and leaves alone what was sent."""

from datetime import timedelta

from chalicelib.adapters.memory import MemoryOutbox
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import LEASE, DeliveryState, claim
from chalicelib.domain.ticket import Action
from tests.fakes import fake_world, valid_report


def test_the_sweep_resends_failed_messages_once_their_backoff_has_passed():
    world = fake_world()
    world.notifier.failures = 4
    world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    assert world.services.notifications.deliver_due() == [], "nothing is due before the backoff"
    world.clock.advance(timedelta(minutes=1))
    delivered = world.services.notifications.deliver_due()
    assert [m.state for m in delivered] == [DeliveryState.SENT] * 4
    assert world.services.notifications.deliver_due() == []


def test_a_message_that_keeps_failing_is_marked_failed_and_shown_on_the_timeline():
    world = fake_world()
    world.notifier.failures = 99
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    for _ in range(5):
        world.clock.advance(timedelta(hours=1))
        world.services.notifications.deliver_due()
    assert {m.state for m in world.tickets.messages.values()} == {DeliveryState.FAILED}
    assert any(e.payload.outcome == "failed" for e in world.tickets.events(receipt.number) if e.action == Action.NOTIFY)


def submitted(world):
    world.notifier.failures = 99  # the in-request delivery fails: the messages wait for the scheduled run
    world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.notifier.failures = 0
    world.clock.advance(timedelta(minutes=1))
    return world.tickets.due(world.clock.now())


def test_two_overlapping_delivery_runs_send_each_message_once():
    world = fake_world()
    first_run = submitted(world)
    second_run = world.tickets.due(world.clock.now())
    assert {m.id for m in first_run} == {m.id for m in second_run}
    world.services.notifications.deliver(first_run)
    assert world.services.notifications.deliver(second_run) == [], "each was claimed by the first run"
    assert sorted(m.id for m in world.notifier.sent) == sorted(m.id for m in first_run)


def test_a_sender_that_dies_holding_a_message_delays_it_by_its_lease_not_for_ever():
    world = fake_world()
    [message, *_] = submitted(world)
    outbox = MemoryOutbox(world.tickets)
    assert outbox.claim(message, claim(message, world.clock.now()), world.clock.now())  # ... and dies
    world.services.notifications.deliver_due()
    assert message.id not in {m.id for m in world.notifier.sent}, "its sender may still be at it"
    world.clock.advance(LEASE)
    world.services.notifications.deliver_due()
    assert [m.id for m in world.notifier.sent].count(message.id) == 1
    stored = world.tickets.messages[message.id]
    assert (stored.state, stored.attempts) == (DeliveryState.SENT, 3), "the failed try, the dead one, this one"


def test_the_providers_message_id_is_kept_with_the_message_and_on_the_timeline():
    world = fake_world()
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    sent = [m for m in world.tickets.messages.values() if m.state == DeliveryState.SENT]
    assert sorted(m.provider_id for m in sent) == ["msg-1", "msg-2", "msg-3", "msg-4"]
    notices = [e.payload for e in world.tickets.events(receipt.number) if getattr(e.payload, "provider_id", None)]
    assert sorted(n.provider_id for n in notices) == ["msg-1", "msg-2", "msg-3", "msg-4"]


def test_a_message_whose_senders_keep_dying_is_given_up_on_and_shown():
    world = fake_world()
    [message, *_] = submitted(world)
    outbox = MemoryOutbox(world.tickets)
    for _ in range(2):  # the fake world allows 3 attempts; the failed in-request one was the first
        seen = world.tickets.messages[message.id]
        assert outbox.claim(seen, claim(seen, world.clock.now()), world.clock.now())
        world.clock.advance(LEASE)
    world.services.notifications.deliver_due()
    assert world.tickets.messages[message.id].state == DeliveryState.FAILED
    assert message.id not in {m.id for m in world.notifier.sent}
    assert [m.id for m in world.dead_letters.parked] == [message.id]
