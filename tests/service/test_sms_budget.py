"""Customers' and staff's SMS are counted apart, so each has its own alarm; when the provider refuses
SMS (the account's spend limit reached, or throttled), escalations still reach staff by email and team
chat (where its level has one), and the refused staff SMS are what the alarm counts."""

from collections import Counter
from datetime import timedelta

from chalicelib.adapters.memory import MemoryOutbox
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel, OutboxMessage
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.sms_budget import DISPATCH_NOTICE_PURPOSE, SmsAudience, sms_audience
from chalicelib.domain.ticket import Priority
from chalicelib.services.intake import PublicOrigin
from chalicelib.services.notifications import NotificationService, RoutingNotifier
from chalicelib.services.ports import DeliveryError
from tests.fakes import fake_world, valid_report


class SmsCounts:
    """What the stack's alarms see: SMS sent and refused, by audience."""

    def __init__(self) -> None:
        self.figures: Counter[tuple[str, SmsAudience]] = Counter()

    def sent(self, audience: SmsAudience) -> None:
        self.figures["sent", audience] += 1

    def failed(self, audience: SmsAudience) -> None:
        self.figures["failed", audience] += 1


class SmsRefused:
    """The SMS provider once the account's monthly SMS spend limit is reached."""

    def __init__(self, others) -> None:
        self.others = others

    def send(self, message: OutboxMessage) -> str:
        if message.channel == MessageChannel.SMS:
            raise DeliveryError("SNS Throttling: monthly SMS spend limit reached")
        return self.others.send(message)


def waiting_world():
    """A report and its escalation to the supervisor's level, their messages all still in the outbox."""
    world = fake_world()
    world.notifier.failures = 10**6  # every provider down for now: nothing leaves the outbox
    request = ServiceRequestInput.model_validate(valid_report())
    receipt = world.services.intake.submit(request, language="zh-CN", origin=PublicOrigin(ip="198.51.100.7"))
    world.services.desk.classify(receipt.number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    world.notifier.failures = 0
    world.clock.advance(timedelta(minutes=5))
    return world


def delivery_job(world, notifier, counts):
    return NotificationService(
        MemoryOutbox(world.tickets),
        RoutingNotifier({channel: notifier for channel in MessageChannel}),
        world.clock,
        sms_counter=counts,
    )


def test_an_escalation_or_a_technicians_dispatch_notice_is_staffs_sms_and_everything_else_a_customers():
    assert sms_audience("escalation:contact@20260105T0315Z:1") == SmsAudience.STAFF
    assert sms_audience(DISPATCH_NOTICE_PURPOSE) == SmsAudience.STAFF
    assert sms_audience("customer_confirmation") == SmsAudience.CUSTOMER
    assert sms_audience("a_purpose_added_later") == SmsAudience.CUSTOMER, "unknown ones spend the public budget"


def test_customer_and_staff_sms_are_counted_apart():
    world, counts = waiting_world(), SmsCounts()
    delivered = delivery_job(world, world.notifier, counts).deliver_due()
    sms = [m for m in delivered if m.channel == MessageChannel.SMS]
    assert counts.figures["sent", SmsAudience.CUSTOMER] == 1, "the confirmation"
    assert counts.figures["sent", SmsAudience.STAFF] == len(sms) - 1 > 0, "the escalation, one per person"
    assert not counts.figures["failed", SmsAudience.STAFF]


def test_with_sms_refused_the_escalation_still_reaches_staff_by_email():
    world, counts = waiting_world(), SmsCounts()
    delivered = delivery_job(world, SmsRefused(world.notifier), counts).deliver_due()
    escalation = [m for m in delivered if m.purpose.startswith("escalation:")]
    refused = [m for m in escalation if m.channel == MessageChannel.SMS]
    emailed = [m for m in escalation if m.channel == MessageChannel.EMAIL and m.state == DeliveryState.SENT]
    assert len(emailed) == len(refused) > 0, "everyone the SMS was for is told by email"
    assert refused and all(m.state == DeliveryState.PENDING for m in refused), "tried again later"
    assert counts.figures["failed", SmsAudience.STAFF] == len(refused), "what the staff SMS alarm sees"
    assert counts.figures["failed", SmsAudience.CUSTOMER] == 1
    assert not counts.figures["sent", SmsAudience.STAFF]
