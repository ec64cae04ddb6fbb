"""The outbox sweep retries what failed and leaves alone what was sent."""

from datetime import timedelta

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState
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
    summaries = [e.summary for e in world.tickets.events(receipt.number)]
    assert any("failed for good" in s for s in summaries)
