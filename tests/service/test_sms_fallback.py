"""A technician known only by his phone is not lost when SMS are refused (the account's spend limit
reached, his number opted out): once an SMS to him is given up on, his supervisors (the ticket's region
on the roster) are told by email and team chat what he was not, and the timeline names them. Over fakes."""

from datetime import timedelta

import pytest

from chalicelib.adapters.memory import MemoryOutbox, MemoryStaffDirectory
from chalicelib.domain.escalation import ChatVendor, Person, Roster, TeamChat
from chalicelib.domain.events import Notified
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel, OutboxMessage
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.plans import Role
from chalicelib.domain.sms_budget import DISPATCH_NOTICE_PURPOSE, FALLBACK_PURPOSE, falls_back
from chalicelib.domain.ticket import Priority
from chalicelib.i18n.events import describe
from chalicelib.services.notifications import NotificationService, RoutingNotifier
from chalicelib.services.ports import DeliveryError
from chalicelib.services.sms_fallback import SmsFallback
from tests.fakes import DEMO_ROSTER, TECHNICIAN_CONTACTS, UnreadableDirectory, fake_world, valid_report

LI_PHONE = TECHNICIAN_CONTACTS["tech-li"].phone  # tech-li has no email: SMS is all he has
SUPERVISOR_EMAIL = "supervisor@service-desk.local"  # 张主管, the demo roster's supervisor


class SmsRefused:
    """The SMS provider once SMS are refused for good (SNS: the number opted out; a carrier's hard no)."""

    def __init__(self, others, *, permanent=True) -> None:
        self.others, self.permanent = others, permanent

    def send(self, message: OutboxMessage) -> str:
        if message.channel == MessageChannel.SMS:
            raise DeliveryError("SMS refused: the number opted out", permanent=self.permanent)
        return self.others.send(message)


def dispatched_to(world, technicians, *, province="CN-JS"):
    """A job dispatched while every provider was down: its messages all wait in the outbox."""
    world.notifier.failures = 10**6
    number = world.services.intake.submit(
        ServiceRequestInput.model_validate(valid_report(province=province)), language="zh-CN"
    ).number
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT)
    world.services.queue.dispatch(number, actor=SystemActor("sup"), technicians=technicians)
    world.notifier.failures = 0
    world.clock.advance(timedelta(minutes=5))
    return number


def delivery_job(world, provider):
    """The scheduled delivery with the provider given, passing refused technicians' SMS on as on AWS."""
    staff = MemoryStaffDirectory(contacts=dict(TECHNICIAN_CONTACTS))
    return NotificationService(
        MemoryOutbox(world.tickets),
        RoutingNotifier({channel: provider for channel in MessageChannel}),
        world.clock,
        max_attempts=3,
        fallback=SmsFallback(world.tickets, world.services.config, staff),
    )


def passed_on(world, number):
    return [m for m in world.tickets.messages.values() if m.ticket_number == number and m.purpose == FALLBACK_PURPOSE]


def failures(world, number):
    return [
        e.payload
        for e in world.tickets.timelines[number]
        if isinstance(e.payload, Notified) and e.payload.outcome == "failed"
    ]


def test_a_dispatch_notice_refused_for_good_reaches_the_supervisor_by_email_and_says_so_on_the_timeline():
    world = fake_world()
    number = dispatched_to(world, ["tech-li"])
    job = delivery_job(world, SmsRefused(world.notifier))

    job.deliver_due()  # the refusal: the supervisor's email is written with it
    world.notifier.sent.clear()
    job.deliver_due()  # and goes out with the next run

    [email] = [m for m in world.notifier.sent if m.purpose == FALLBACK_PURPOSE]
    assert (email.channel, email.recipient) == (MessageChannel.EMAIL, SUPERVISOR_EMAIL)
    assert number in email.subject and "tech-li" in email.subject
    [notice] = [
        m for m in world.tickets.messages.values() if m.purpose == DISPATCH_NOTICE_PURPOSE and m.ticket_number == number
    ]
    assert notice.state == DeliveryState.FAILED
    assert notice.text in email.text and LI_PHONE in email.text, "the SMS he did not get, word for word"
    [failed_notice] = [p for p in failures(world, number) if p.recipient == LI_PHONE]
    assert failed_notice.told_instead == ("张主管",)
    event = next(e for e in world.tickets.timelines[number] if e.payload is failed_notice)
    assert describe("zh-CN", event, timezone="Asia/Shanghai").text.endswith("已改为告知 张主管")
    assert describe("en", event, timezone="Asia/Shanghai").text.endswith("told 张主管 instead")


def test_when_the_directory_cannot_say_whose_number_it_was_the_supervisor_is_still_told_by_the_number():
    world = fake_world()
    number = dispatched_to(world, ["tech-li"])
    job = delivery_job(world, SmsRefused(world.notifier))
    job._fallback.staff = UnreadableDirectory()

    job.deliver_due()
    world.notifier.sent.clear()
    job.deliver_due()

    [email] = [m for m in world.notifier.sent if m.purpose == FALLBACK_PURPOSE]
    assert email.recipient == SUPERVISOR_EMAIL and number in email.subject and LI_PHONE in email.subject
    assert [p.told_instead for p in failures(world, number) if p.recipient == LI_PHONE] == [("张主管",)]


def test_the_supervisors_team_chat_of_the_tickets_region_hears_of_it_too():
    world = fake_world()
    chat = TeamChat(name="华南主管群", vendor=ChatVendor.DINGTALK, secret="service-desk/chat/gd-supervisors")
    world.services.config.put_roster(Roster(scope="region:CN-GD", levels={}, chats={Role.SUPERVISOR: (chat,)}))
    number = dispatched_to(world, ["tech-li"], province="CN-GD")
    job = delivery_job(world, SmsRefused(world.notifier))

    job.deliver_due()
    job.deliver_due()

    sent = {(m.channel, m.recipient) for m in world.notifier.sent if m.purpose == FALLBACK_PURPOSE}
    assert sent == {(MessageChannel.EMAIL, SUPERVISOR_EMAIL), (MessageChannel.TEAM_CHAT, chat.address)}
    [failed_notice] = [p for p in failures(world, number) if p.recipient == LI_PHONE]
    assert failed_notice.told_instead == ("张主管", "华南主管群")


def test_an_sms_refused_for_now_is_retried_and_passed_on_only_once_given_up():
    world = fake_world()
    number = dispatched_to(world, ["tech-li"])
    job = delivery_job(world, SmsRefused(world.notifier, permanent=False))

    job.deliver_due()  # the second of three attempts
    assert passed_on(world, number) == []
    world.clock.advance(timedelta(minutes=10))
    job.deliver_due()  # the third: given up

    assert len(passed_on(world, number)) == 1
    for _ in range(3):  # later runs pass nothing on again
        world.clock.advance(timedelta(hours=1))
        job.deliver_due()
    assert len(passed_on(world, number)) == 1
    assert [m.recipient for m in world.notifier.sent if m.purpose == FALLBACK_PURPOSE] == [SUPERVISOR_EMAIL]


def test_a_technician_with_an_email_is_still_passed_on_but_customers_and_leaders_sms_are_not():
    world = fake_world()
    number = dispatched_to(world, ["tech-wang", "tech-li"])
    job = delivery_job(world, SmsRefused(world.notifier))

    job.deliver_due()

    refused = {
        m.recipient: m.purpose
        for m in world.tickets.messages.values()
        if m.ticket_number == number and m.channel == MessageChannel.SMS and m.state == DeliveryState.FAILED
    }
    assert refused["+8613800138000"] == "customer_confirmation"
    told = {p.recipient: p.told_instead for p in failures(world, number)}
    assert told[LI_PHONE] == told[TECHNICIAN_CONTACTS["tech-wang"].phone] == ("张主管",)
    assert told["+8613800138000"] == (), "a customer's SMS is the customer's"
    assert len(passed_on(world, number)) == 2, "one for each technician's notice"


def test_the_supervisor_is_not_told_by_the_number_that_failed():
    """A supervisor who dispatches himself (a small office) is told nothing about his own number."""
    world = fake_world()
    himself = Person(name="张主管", email=SUPERVISOR_EMAIL, phone=LI_PHONE)
    world.services.config.put_roster(DEMO_ROSTER.model_copy(update={"levels": {Role.SUPERVISOR: (himself,)}}))
    number = dispatched_to(world, ["tech-li"])

    delivery_job(world, SmsRefused(world.notifier)).deliver_due()

    assert passed_on(world, number) == []
    assert all(p.told_instead == () for p in failures(world, number))


@pytest.mark.parametrize(
    "purpose, passed",
    [
        (DISPATCH_NOTICE_PURPOSE, True),
        ("escalation:warn:arrival_reported@20260105T031500Z", True),  # his report: he owns it
        ("escalation:prompt:acceptance_filed@20260105T031500Z", True),
        ("escalation:warn:contacted@20260105T031500Z", False),  # the supervisor's own deadline
        ("escalation:breach:arrival_reported@20260105T031500Z:L1", False),  # already the supervisor's level
        ("escalation:notice:escalation_notice:general_manager", False),
        ("customer_confirmation", False),
        ("warn:arrival_reported@20260105T031500Z", False),
    ],
)
def test_which_refused_sms_are_passed_on(purpose, passed):
    assert falls_back(purpose) is passed
