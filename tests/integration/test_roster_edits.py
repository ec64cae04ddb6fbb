"""Two supervisors change who is on call at the same moment, each for another level: both changes are
kept, whether the roster is in memory or in the table (through the configuration every function reads,
which keeps rosters for a while)."""

from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.adapters.memory import MemoryConfig
from chalicelib.domain.escalation import Person
from chalicelib.domain.plans import Role
from chalicelib.services.sla import set_on_call
from ops.config import DEMO_ROSTER

DUTY_SUPERVISOR = Person(name="孙值班", phone="+8613900000031")
DUTY_MANAGER = Person(name="周值班", email="duty-gm@example.com")


@pytest.fixture(params=["memory", "dynamodb"])
def store(request):
    if request.param == "memory":
        return MemoryConfig()
    request.getfixturevalue("aws")
    return wiring.services().config


def test_two_supervisors_editing_different_levels_at_once_keep_both_changes(store):
    store.put_roster(DEMO_ROSTER)
    store.rosters()  # read once before: an instance keeps what it read
    read = store.rosters
    interleaved = []

    def the_other_supervisor_saves_after_this_read():
        rosters = read()
        if not interleaved:
            interleaved.append(Role.GENERAL_MANAGER)
            set_on_call(store, "default", Role.GENERAL_MANAGER, DUTY_MANAGER)
        return rosters

    store.rosters = the_other_supervisor_saves_after_this_read
    try:
        set_on_call(store, "default", Role.SUPERVISOR, DUTY_SUPERVISOR)
    finally:
        del store.rosters
    assert interleaved, "the other edit came between this one's read and its write"
    roster = next(r for r in store.rosters() if r.scope == "default")
    assert roster.on_call[Role.SUPERVISOR] == (DUTY_SUPERVISOR,)
    assert roster.on_call[Role.GENERAL_MANAGER] == (DUTY_MANAGER,)
    assert roster.on_call[Role.CHIEF_ENGINEER] == DEMO_ROSTER.on_call[Role.CHIEF_ENGINEER], "the rest is kept"
    assert roster.version == 2
