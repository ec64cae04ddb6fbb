"""A photo handed out for one form is attached to one ticket only."""

import pytest

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.uploads import UploadProblem
from chalicelib.services.intake import PhotoRejected
from tests.fakes import JPEG, fake_world, valid_report


def uploaded(world, name="a.jpg"):
    key = world.services.intake.start_photo_upload(name, "image/jpeg").key
    world.files.put(key, JPEG, "image/jpeg")
    return key


def submit(world, photos, submission):
    request = ServiceRequestInput.model_validate(valid_report(photos=photos))
    return world.services.intake.submit(request, language="zh-CN", submission=submission)


def test_a_photo_on_one_ticket_is_refused_on_another_and_nothing_is_stored():
    world = fake_world()
    photo, other = uploaded(world), uploaded(world, "b.jpg")
    first = submit(world, [photo], "form-1")
    with pytest.raises(PhotoRejected) as refused:
        submit(world, [other, photo], "form-2")
    assert refused.value.problems == [(1, "a.jpg", UploadProblem.IN_USE)]
    assert list(world.tickets.tickets) == [first.number]
    assert submit(world, [other], "form-3").number != first.number, "the refused form claimed nothing"


def test_a_retry_of_the_same_form_keeps_its_photos_until_its_ticket_is_stored():
    world = fake_world()
    photo = uploaded(world)
    world.tickets.create = fail_once(world.tickets.create)  # the first attempt's write is lost
    with pytest.raises(ConnectionError):
        submit(world, [photo], "form-1")
    receipt = submit(world, [photo], "form-1")
    assert world.tickets.get(receipt.number).photo_keys == (photo,)
    with pytest.raises(PhotoRejected):
        submit(world, [photo], "form-1")  # the same key once more, long after: the photo is taken


def fail_once(create):
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the table did not answer")
        return create(*args, **kwargs)

    return flaky
