"""Opening a ticket from a report: stored once, numbered, linked, and announced to customer and desk."""

from datetime import UTC

import pytest

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel
from chalicelib.domain.ticket import Action, Status
from chalicelib.domain.uploads import UploadProblem
from chalicelib.services.intake import PhotoRejected
from tests.fakes import JPEG, PNG, fake_world, valid_report


def submit(world, **overrides):
    return world.services.intake.submit(ServiceRequestInput.model_validate(valid_report(**overrides)), language="zh-CN")


def test_a_report_becomes_a_new_ticket_with_a_readable_number_and_a_tracking_link():
    world = fake_world()
    receipt = submit(world)
    assert receipt.number == "SD-2026-000001"
    assert receipt.tracking_url == f"https://desk.example.com/t/{receipt.tracking_token}"
    ticket = world.tickets.get(receipt.number)
    assert ticket.status == Status.NEW
    assert ticket.reporter.phone == "+8613800138000"
    assert [e.action for e in world.tickets.events(receipt.number)][0] == Action.SUBMIT


def test_numbers_count_up_and_are_never_reused():
    world = fake_world()
    assert [submit(world).number for _ in range(3)] == ["SD-2026-000001", "SD-2026-000002", "SD-2026-000003"]


def test_the_year_in_the_number_is_chinas_year_not_utc():
    from datetime import datetime

    world = fake_world()
    world.clock.at = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 January in Beijing
    assert submit(world).number == "SD-2027-000001"


def test_tracking_tokens_are_unguessable_and_differ_per_ticket():
    world = fake_world()
    tokens = {submit(world).tracking_token for _ in range(5)}
    assert len(tokens) == 5
    assert all(len(token) >= 32 for token in tokens)


def test_customer_gets_email_and_sms_and_the_desk_gets_email_and_topic():
    world = fake_world()
    receipt = submit(world)
    sent = {(m.purpose, m.channel, m.recipient) for m in world.notifier.sent}
    assert sent == {
        ("customer_confirmation", MessageChannel.EMAIL, "wang@example.cn"),
        ("customer_confirmation", MessageChannel.SMS, "+8613800138000"),
        ("desk_new_ticket", MessageChannel.EMAIL, "desk@example.com"),
        ("desk_new_ticket", MessageChannel.STAFF_TOPIC, "arn:aws:sns:us-east-1:123456789012:desk"),
    }
    sms = next(m for m in world.notifier.sent if m.channel == MessageChannel.SMS)
    assert receipt.number in sms.text and receipt.tracking_url in sms.text


def test_a_landline_gets_no_sms_and_no_email_means_no_email():
    world = fake_world(desk_topic_arn=None)
    submit(world, phone="0512-68881234", email="")
    assert [(m.purpose, m.channel) for m in world.notifier.sent] == [("desk_new_ticket", MessageChannel.EMAIL)]


def test_an_english_report_gets_english_messages():
    world = fake_world()
    world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="en")
    customer_email = next(m for m in world.notifier.sent if m.purpose == "customer_confirmation" and m.subject)
    assert customer_email.subject.startswith("We received your service request")


def test_a_provider_outage_delays_the_confirmation_but_never_loses_the_ticket():
    world = fake_world()
    world.notifier.failures = 99
    receipt = submit(world)
    assert world.tickets.get(receipt.number) is not None
    pending = [m for m in world.tickets.messages.values() if m.state == DeliveryState.PENDING]
    assert len(pending) == 4 and all(m.attempts == 1 for m in pending)
    failures = [e for e in world.tickets.events(receipt.number) if e.action == Action.NOTIFY]
    assert len(failures) == 4 and all(not e.public for e in failures)


def test_photos_that_landed_and_are_images_are_attached():
    world = fake_world()
    keys = []
    for name, data in (("a.png", PNG), ("b.jpg", JPEG)):
        upload = world.services.intake.start_photo_upload(name, "image/png")
        world.files.objects[upload.key] = data
        keys.append(upload.key)
    receipt = submit(world, photos=keys)
    assert world.tickets.get(receipt.number).photo_keys == tuple(keys)


def test_a_non_image_is_refused_deleted_and_no_ticket_is_opened():
    world = fake_world()
    upload = world.services.intake.start_photo_upload("x.png", "image/png")
    world.files.objects[upload.key] = b"MZ\x90\x00 this is an executable"
    with pytest.raises(PhotoRejected) as caught:
        submit(world, photos=[upload.key])
    assert caught.value.problems[0][2] == UploadProblem.NOT_IMAGE
    assert upload.key not in world.files.objects
    assert world.tickets.tickets == {}


def test_an_oversized_photo_is_refused():
    world = fake_world()
    upload = world.services.intake.start_photo_upload("big.png", "image/png")
    world.files.objects[upload.key] = PNG + b"\x00" * 2048
    assert world.services.intake.check_photo(upload.key) == UploadProblem.TOO_LARGE
    assert upload.key not in world.files.objects


def test_a_photo_key_we_did_not_hand_out_is_refused():
    world = fake_world()
    world.files.objects["forms/SD-2026-000001/acceptance.pdf"] = PNG
    assert world.services.intake.check_photo("forms/SD-2026-000001/acceptance.pdf") == UploadProblem.BAD_KEY
    assert "forms/SD-2026-000001/acceptance.pdf" in world.files.objects, "someone else's file is never deleted"


def test_uploads_are_only_offered_for_image_types():
    world = fake_world()
    with pytest.raises(PhotoRejected):
        world.services.intake.start_photo_upload("run.exe", "application/octet-stream")
