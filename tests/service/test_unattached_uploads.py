"""Uploads that never reach a ticket expire (the bucket's lifecycle rules): so every place that attaches
an upload must tell storage to keep it, and nothing else may."""

from __future__ import annotations

import pytest

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Priority
from chalicelib.services.field_work import NotYourJob, ProgressPhotosRejected
from chalicelib.services.intake import PhotoRejected
from tests.fakes import JPEG, PNG, fake_world, valid_report
from tests.service.test_field_work import PDF, WORK

WANG = StaffUser(username="tech-wang", roles=frozenset({StaffRole.TECHNICIAN}))
LI = StaffUser(username="tech-li", roles=frozenset({StaffRole.TECHNICIAN}))


@pytest.fixture
def world():
    return fake_world()


def photo(world, name="site.jpg", data=JPEG) -> str:
    key = world.services.intake.start_photo_upload(name, "image/jpeg").key
    world.files.objects[key] = data
    return key


def on_site(world) -> str:
    request = ServiceRequestInput.model_validate(valid_report())
    number = world.services.intake.submit(request, language="zh-CN").number
    world.services.desk.record_contact(number, actor=SystemActor("sup"))
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT)
    world.services.desk.dispatch(number, actor=SystemActor("sup"), technicians=["tech-wang"])
    world.services.field_work.check_in(number, WANG)
    return number


def test_a_reports_photos_are_kept_and_an_upload_never_sent_is_not(world):
    sent, forgotten = photo(world, "a.jpg"), photo(world, "b.png", PNG)
    world.services.intake.submit(ServiceRequestInput.model_validate(valid_report(photos=[sent])), language="zh-CN")
    assert world.files.attached == {sent}
    assert forgotten not in world.files.attached


def test_a_refused_report_keeps_none_of_its_photos(world):
    good, bad = photo(world, "a.jpg"), photo(world, "x.jpg", b"MZ\x90\x00 not a picture")
    with pytest.raises(PhotoRejected):
        world.services.intake.submit(ServiceRequestInput.model_validate(valid_report(photos=[good, bad])),
                                     language="zh-CN")
    assert world.files.attached == set()


def test_progress_photos_are_kept_once_reported_and_only_by_the_jobs_technician(world):
    number = on_site(world)
    mine, theirs, text = photo(world, "site.jpg"), photo(world, "other.jpg"), photo(world, "n.jpg", b"plain text")
    with pytest.raises(NotYourJob):
        world.services.field_work.report_progress(number, LI, "x", [theirs])
    with pytest.raises(ProgressPhotosRejected):
        world.services.field_work.report_progress(number, WANG, "x", [text])
    world.services.field_work.report_progress(number, WANG, "拆下旧断路器", [mine])
    assert world.files.attached == {mine}


def test_an_uploaded_acceptance_form_is_kept_once_filed(world):
    number = on_site(world)
    key = world.services.field_work.start_form_upload(number, WANG, "scan.pdf", "application/pdf").key
    world.files.objects[key] = PDF
    world.services.field_work.file_uploaded_form(number, WANG, WORK, key)
    assert key in world.files.attached
