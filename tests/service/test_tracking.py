"""A tracking link shows its own ticket and nothing else."""

import pytest

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.services.tracking import Milestone, UnknownTrackingToken
from tests.fakes import fake_world, valid_report


def test_the_link_shows_the_ticket_and_only_public_milestones():
    world = fake_world()
    world.notifier.failures = 1  # leaves a staff-only "failed" event on the timeline
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    tracked = world.services.tracking.find(receipt.tracking_token)
    assert tracked.number == receipt.number
    assert [step.milestone for step in tracked.steps] == [Milestone.RECEIVED]


@pytest.mark.parametrize("token", ["", "nope", "x" * 500])
def test_a_wrong_token_finds_nothing(token):
    world = fake_world()
    world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    with pytest.raises(UnknownTrackingToken):
        world.services.tracking.find(token)
