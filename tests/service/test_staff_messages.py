"""What staff are told reads as what happened: a leader's notice gives the job's priority in words (an
urgent job is not called critical), the customer's province by name, and the fault as described; the
desk's new-ticket email carries every field the customer gave and a link to the ticket; no page or
message quotes our policy files' section numbers at people."""

from datetime import timedelta

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Priority
from tests.fakes import fake_world, valid_report


def notices_after_classifying(priority: Priority, hours: float = 0):
    world = fake_world()
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.services.desk.classify(receipt.number, actor=SystemActor("supervisor"), priority=priority)
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


def test_the_desks_new_ticket_email_has_every_field_and_a_link_to_the_ticket():
    world = fake_world()
    report = valid_report(project_name="二期扩建", suspected_cause="线圈烧毁", preferred_time="周三上午")
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(report), language="en")
    [desk] = [m for m in world.notifier.sent if m.purpose == "desk_new_ticket" and m.recipient == "desk@example.com"]
    for line in ("项目：二期扩建", "可能原因：线圈烧毁", "希望上门时间：周三上午", "江苏"):
        assert line in desk.text
    assert f"https://desk.example.com/staff/tickets/{receipt.number}" in desk.text


def test_no_words_shown_to_people_quote_a_policy_section():
    from chalicelib.i18n import CATALOG

    for lang, catalog in CATALOG.items():
        quoting = [key for key, text in catalog.items() if "§" in text]
        assert not quoting, f"{lang}: {quoting}"
