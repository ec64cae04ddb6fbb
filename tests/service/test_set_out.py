"""The technician taps "On my way" (出发) before he reaches the site: it is on the ticket's timeline, the
customer's tracking page says the engineer is on the way, and only the assigned technician of a
dispatched job may do it."""

import re

import pytest

from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.ticket import Action, IllegalTransition, Status
from chalicelib.i18n import events
from chalicelib.services.field_work import NotYourJob
from chalicelib.services.tracking import Milestone
from tests.fakes import fake_world
from tests.service.test_field_work import LI, WANG, dispatched


@pytest.fixture
def world():
    return fake_world()


def tracking_token(world, number):
    [sms] = [
        m
        for m in world.tickets.messages.values()
        if m.ticket_number == number and m.purpose == "customer_confirmation" and m.channel == MessageChannel.SMS
    ]
    return re.search(r"/t/([\w.\-]+)", sms.text).group(1)


def test_setting_out_is_on_the_timeline_and_the_customer_sees_the_engineer_on_the_way(world):
    number = dispatched(world)
    ticket = world.services.field_work.set_out(number, WANG)

    assert ticket.status == Status.DISPATCHED  # still to check in on arrival
    [event] = [e for e in world.tickets.events(number) if e.action == Action.SET_OUT]
    assert event.actor == "tech-wang" and event.public
    assert events.describe("zh-CN", event, timezone="Asia/Shanghai").label == "出发前往现场"
    assert events.describe("en", event, timezone="Asia/Shanghai").label == "Set out for the site"
    view = world.services.tracking.find(tracking_token(world, number))
    assert [s.milestone for s in view.steps][-2:] == [Milestone.DISPATCHED, Milestone.ON_THE_WAY]
    assert world.services.field_work.job(number, WANG).last(Action.SET_OUT) == event


def test_only_the_assigned_technician_of_a_dispatched_job_sets_out(world):
    number = dispatched(world)
    with pytest.raises(NotYourJob):
        world.services.field_work.set_out(number, LI)
    world.services.field_work.check_in(number, WANG)
    with pytest.raises(IllegalTransition):
        world.services.field_work.set_out(number, WANG)  # already there
