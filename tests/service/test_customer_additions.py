"""A customer adds a note or photos to their open ticket from its tracking link: recorded as an event
staff read, photos checked and kept like a report's, limited like a report, never on a finished ticket."""

import pytest
from pydantic import ValidationError

from chalicelib.domain.intake import CustomerAdditionInput, ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action, IllegalTransition, Status
from chalicelib.domain.uploads import UploadProblem
from chalicelib.i18n.events import describe
from chalicelib.services.intake import PhotoRejected, PublicOrigin, TooManyReports
from chalicelib.services.tracking import Milestone
from tests.fakes import JPEG, fake_world, valid_report


def uploaded(world, name="柜门.jpg"):
    key = world.services.intake.start_photo_upload(name, "image/jpeg").key
    world.files.put(key, JPEG, "image/jpeg")
    return key


def reported(world):
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    return receipt.number, receipt.tracking_token


def add(world, token, submission="add-1", ip="203.0.113.9", **fields):
    return world.services.tracking.add_information(
        token, CustomerAdditionInput.model_validate(fields), origin=PublicOrigin(ip=ip), submission=submission)


def test_a_note_and_a_photo_become_an_event_on_the_ticket_and_its_photos_and_the_status_stays():
    world = fake_world()
    number, token = reported(world)
    photo = uploaded(world)

    ticket = add(world, token, note="跳闸前闻到焦味", photos=[photo])

    assert ticket.status == Status.NEW and ticket.photo_keys == (photo,)
    event = world.tickets.events(number)[-1]
    assert (event.action, event.actor, event.payload.note, event.payload.photos) == (
        Action.ADD_INFORMATION, "customer", "跳闸前闻到焦味", (photo,))
    assert describe("zh-CN", event, timezone="Asia/Shanghai").text == "客户补充信息：说明：跳闸前闻到焦味；照片：柜门.jpg"
    assert photo in world.files.attached
    # The customer sees that it was recorded, never the words of the office's timeline.
    assert world.services.tracking.find(token).steps[-1].milestone == Milestone.INFORMATION_ADDED


def test_a_finished_ticket_takes_no_addition():
    world = fake_world()
    number, token = reported(world)
    world.services.desk.move(number, Action.CANCEL, actor=SystemActor("supervisor"), summary="cancelled: duplicate")
    with pytest.raises(IllegalTransition):
        add(world, token, note="还有一个问题")
    assert world.tickets.events(number)[-1].action == Action.CANCEL


def test_an_addition_needs_a_note_or_a_photo():
    with pytest.raises(ValidationError):
        CustomerAdditionInput.model_validate({"note": "   "})


def test_a_photo_already_on_a_ticket_is_refused():
    world = fake_world()
    _, token = reported(world)
    photo = uploaded(world)
    add(world, token, photos=[photo])
    with pytest.raises(PhotoRejected) as refused:
        add(world, token, submission="add-2", photos=[photo])
    assert refused.value.problems[0][2] == UploadProblem.IN_USE


def test_additions_are_limited_per_ticket_and_per_address():
    world = fake_world()
    _, token = reported(world)
    for i in range(10):
        add(world, token, submission=f"add-{i}", ip=f"203.0.113.{i}", note=f"第 {i} 条")
    with pytest.raises(TooManyReports) as limited:
        add(world, token, submission="add-11", ip="198.51.100.1", note="再补充")
    assert limited.value.scope == "ticket"

    # Twenty from one address, on two tickets: the next, on a third, is refused for the address.
    others = [reported(world)[1], reported(world)[1]]
    for i in range(20):
        add(world, others[i // 10], submission=f"o-{i}", ip="198.51.100.2", note="x")
    _, third = reported(world)
    with pytest.raises(TooManyReports) as limited:
        add(world, third, submission="t-1", ip="198.51.100.2", note="x")
    assert limited.value.scope == "ip"
