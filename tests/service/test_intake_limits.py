"""The anonymous front door has limits: reports per phone number and per address, confirmation SMS per
number; the desk's entries and the staff's escalations are never held back by them."""

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Priority
from chalicelib.domain.uploads import UploadProblem
from chalicelib.i18n.events import describe
from chalicelib.services.intake import PhotoRejected, PublicOrigin, TooManyReports
from tests.fakes import fake_world, valid_report

WEB = PublicOrigin(ip="198.51.100.7")


def report(world, origin=WEB, **overrides):
    request = ServiceRequestInput.model_validate(valid_report(**overrides))
    return world.services.intake.submit(request, language="zh-CN", origin=origin)


def customer_sms(world, phone="+8613800138000"):
    return [m for m in world.notifier.sent
            if m.purpose == "customer_confirmation" and m.channel == MessageChannel.SMS and m.recipient == phone]


def test_a_phone_number_may_report_five_times_an_hour_then_is_told_when_to_come_back():
    world = fake_world()
    for _ in range(5):
        report(world)
    with pytest.raises(TooManyReports) as refused:
        report(world)
    assert refused.value.scope == "phone" and refused.value.most == 5
    assert refused.value.retry_after == 30 * 60, "the clock reads 02:30: the hour's window ends at 03:00"
    assert len(world.tickets.tickets) == 5, "the sixth report stored nothing"


def test_another_phone_number_is_still_accepted_and_the_next_hour_opens_again():
    world = fake_world()
    for _ in range(5):
        report(world)
    assert report(world, phone="13900139000").number == "SD-2026-000006"
    world.clock.advance(timedelta(minutes=30))
    assert report(world).number == "SD-2026-000007"


def test_one_address_may_send_twenty_reports_an_hour_whatever_the_numbers():
    world = fake_world()
    for n in range(20):
        report(world, phone=f"1390013{n:04d}")
    with pytest.raises(TooManyReports) as refused:
        report(world, phone="13700137000")
    assert refused.value.scope == "ip"
    assert report(world, origin=PublicOrigin(ip="203.0.113.9"), phone="13700137000").number == "SD-2026-000021"


def test_the_desk_typing_in_reports_is_never_limited():
    world = fake_world()
    for _ in range(8):
        report(world, origin=None)
    assert len(world.tickets.tickets) == 8
    assert len(customer_sms(world)) == 8, "a person at the desk decides; the SMS limit is the public door's"


def test_a_report_refused_for_its_photo_spends_nothing():
    world = fake_world()
    for _ in range(5):
        with pytest.raises(PhotoRejected) as rejected:
            report(world, photos=["uploads/photos/" + "0" * 32 + "/p.jpg"])
        assert rejected.value.problems[0][2] == UploadProblem.MISSING
    assert report(world).number == "SD-2026-000001"


def test_a_number_gets_three_confirmation_sms_a_day_and_later_reports_are_accepted_with_email_only():
    world = fake_world()
    receipts = [report(world) for _ in range(4)]
    assert len(customer_sms(world)) == 3
    fourth = receipts[3].number
    to_customer = {m.channel for m in world.notifier.sent
                   if m.ticket_number == fourth and m.purpose == "customer_confirmation"}
    assert to_customer == {MessageChannel.EMAIL}
    submitted = world.tickets.events(fourth)[0]
    assert submitted.payload.sms_withheld == "limit", "the timeline says why no SMS went"
    line = describe("zh-CN", submitted, timezone="Asia/Shanghai").text
    assert "未发确认短信：该号码今天的确认短信已达上限" in line
    assert "today's confirmation SMS" in describe("en", submitted, timezone="Asia/Shanghai").text
    assert "短信" not in describe("zh-CN", submitted, timezone="Asia/Shanghai", customer=True).text
    assert world.tickets.events(receipts[0].number)[0].payload.sms_withheld is None


def test_escalation_sms_still_go_while_the_customers_sms_are_throttled():
    world = fake_world()
    receipts = [report(world) for _ in range(4)]
    assert len(customer_sms(world)) == 3, "the customer's budget is spent"
    world.notifier.sent.clear()
    world.services.desk.classify(receipts[3].number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    staff_sms = [m for m in world.notifier.sent if m.channel == MessageChannel.SMS]
    assert staff_sms and all(m.purpose.startswith("escalation:") for m in staff_sms)
    world.notifier.sent.clear()
    world.clock.advance(timedelta(hours=3))
    world.services.sla.sweep()
    assert [m for m in world.notifier.sent if m.channel == MessageChannel.SMS], "the ladder climbs by SMS too"


def test_an_international_number_gets_no_sms_unless_the_stage_allows_it_and_email_goes_anyway():
    world = fake_world()
    receipt = report(world, phone="+85291234567")
    sent = {(m.purpose, m.channel) for m in world.notifier.sent if m.ticket_number == receipt.number}
    assert ("customer_confirmation", MessageChannel.EMAIL) in sent
    assert ("customer_confirmation", MessageChannel.SMS) not in sent
    assert world.tickets.events(receipt.number)[0].payload.sms_withheld == "international"

    allowed = fake_world()
    intake = allowed.services.intake
    intake._config = replace(intake._config, limits=replace(intake._config.limits, international_sms=True))
    report(allowed, phone="+85291234567")
    assert customer_sms(allowed, "+85291234567")
