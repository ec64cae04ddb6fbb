"""A technician is told of each job dispatched to him, over fakes: an SMS with the job's link, and an
email when his address is on file, sent through the outbox like every other message."""

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Priority
from tests.fakes import fake_world, valid_report

LINK = "https://desk.example.com/staff/jobs/"


def dispatched(world, technicians):
    request = ServiceRequestInput.model_validate(valid_report())
    number = world.services.intake.submit(request, language="en").number
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT)
    world.notifier.sent.clear()
    world.services.queue.dispatch(number, actor=SystemActor("sup"), technicians=technicians)
    return number


def notices(world):
    return [m for m in world.notifier.sent if m.purpose == "dispatch_notice"]


def test_each_technician_gets_an_sms_with_the_jobs_link_and_an_email_when_known():
    world = fake_world()
    number = dispatched(world, ["tech-wang", "tech-li"])

    sent = {(m.channel, m.recipient): m for m in notices(world)}
    assert set(sent) == {(MessageChannel.SMS, "+8613900000002"), (MessageChannel.EMAIL, "wang@desk.example.com"),
                         (MessageChannel.SMS, "+8613900000003")}
    sms = sent[(MessageChannel.SMS, "+8613900000002")]
    # Staff read Chinese, whatever language the customer reported in.
    assert sms.text.startswith(f"【售后服务】新派工（B 紧急）{number}，苏州")
    assert sms.text.endswith(LINK + number)
    email = sent[(MessageChannel.EMAIL, "wang@desk.example.com")]
    assert number in email.subject and LINK + number in email.text
    assert "工业园区星湖街 328 号" in email.text and "13800138000" in email.text


def test_the_notices_are_written_with_the_dispatch_and_sent_once():
    world = fake_world()
    number = dispatched(world, ["tech-li"])

    stored = [m for m in world.tickets.messages.values() if m.purpose == "dispatch_notice"]
    assert [(m.ticket_number, m.state) for m in stored] == [(number, DeliveryState.SENT)]
    world.services.notifications.deliver_due()
    assert [m.recipient for m in notices(world)] == ["+8613900000003"]


def test_a_technician_without_contact_details_is_dispatched_all_the_same():
    world = fake_world()
    world.services.queue._staff.contacts.clear()  # the directory the fakes share
    number = dispatched(world, ["tech-wang"])
    assert world.tickets.get(number).assignees == ("tech-wang",)
    assert notices(world) == []


def test_a_re_dispatch_tells_only_the_technician_newly_chosen():
    world = fake_world()
    number = dispatched(world, ["tech-wang"])
    world.notifier.sent.clear()

    world.services.queue.dispatch(number, actor=SystemActor("sup"), technicians=["tech-wang", "tech-li"])  # a second pair of hands

    assert [m.recipient for m in notices(world)] == ["+8613900000003"], "王工 already has the job's link"
    assert world.tickets.get(number).assignees == ("tech-wang", "tech-li")
    world.notifier.sent.clear()
    world.services.queue.dispatch(number, actor=SystemActor("sup"), technicians=["tech-li"])  # 王工 taken off the job
    assert notices(world) == []
