"""After the job the customer's tracking page gives them what they still want: the survey link while
it may be answered, and a copy of the acceptance form they signed — nothing before the job is done."""

import re

import pytest

from chalicelib.domain.aftercare import SurveyInput
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.permissions import SystemActor
from tests.fakes import fake_world
from tests.service.test_field_work import WANG, WORK, form_key, on_site


@pytest.fixture
def world():
    return fake_world()


def tracking_token(world, number):
    [sms] = [m for m in world.tickets.messages.values()
             if m.ticket_number == number and m.purpose == "customer_confirmation" and m.channel == MessageChannel.SMS]
    return re.search(r"/t/([\w.\-]+)", sms.text).group(1)


def test_before_the_form_is_filed_there_is_no_copy_and_no_survey(world):
    number = on_site(world)
    token = tracking_token(world, number)
    view = world.services.tracking.find(token)
    assert not view.acceptance_form and view.survey_open_until is None
    assert world.services.tracking.acceptance_form_link(token) is None


def test_the_customer_gets_a_copy_of_the_signed_form_and_the_survey_until_they_answer(world):
    number = on_site(world)
    key = form_key(world, number)
    world.services.field_work.file_uploaded_form(number, WANG, WORK, key)
    world.services.field_work.approve(number, actor=SystemActor("supervisor"))
    world.services.aftercare.job_closed(number)
    token = tracking_token(world, number)

    view = world.services.tracking.find(token)
    assert view.acceptance_form and view.survey_open_until is not None
    assert world.services.tracking.acceptance_form_link(token) == f"memory://{key}"
    link = world.services.aftercare.open_survey_link(number)
    survey_token = link.rsplit("/s/", 1)[1]
    assert world.services.aftercare.survey(survey_token).ticket.number == number

    world.services.aftercare.answer(survey_token, SurveyInput(overall=5, timeliness=5, attitude=5, quality=5))
    assert world.services.tracking.find(token).survey_open_until is None
    assert world.services.aftercare.open_survey_link(number) is None
    assert world.services.tracking.acceptance_form_link("not-a-token") is None
