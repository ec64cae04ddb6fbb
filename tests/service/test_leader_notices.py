"""What leaders are told of a job reads as what happened: its priority in words (an urgent job is not
called critical), the customer's province by name, and the fault as the customer described it."""

from datetime import timedelta

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.ticket import Priority
from tests.fakes import fake_world, valid_report


def notices_after_classifying(priority: Priority, hours: float = 0):
    world = fake_world()
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.services.desk.classify(receipt.number, actor="supervisor", priority=priority)
    world.clock.advance(timedelta(hours=hours))
    world.services.sla.sweep()
    world.services.notifications.deliver_due()
    return [m for m in world.notifier.sent if m.purpose.startswith("escalation:notice:")]


def test_an_urgent_jobs_notice_to_the_chief_engineer_is_worded_as_urgent_not_critical():
    [email, sms] = sorted(notices_after_classifying(Priority.URGENT, hours=1), key=lambda m: m.channel)
    for message in (email, sms):
        assert "B 紧急" in message.subject + message.text
        assert "特急" not in message.subject + message.text
    assert email.subject.startswith("【B 紧急服务单通报】")


def test_a_notice_names_the_province_and_says_what_the_fault_is():
    emails = [m for m in notices_after_classifying(Priority.CRITICAL) if m.subject]
    assert {m.recipient for m in emails} == {"chief.engineer@service-desk.local", "gm@service-desk.local"}
    for email in emails:
        assert "江苏" in email.subject and "CN-JS" not in email.text
        assert "故障：开关柜合闸后跳闸，车间停产。" in email.text
        assert email.subject.startswith("【A 特急服务单通报】")
