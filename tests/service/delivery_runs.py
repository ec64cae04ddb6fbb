"""What the invariant machines share about delivery runs: a run starts with what is due then, sends its
messages one at a time, and may die holding one (its claim stays until the lease runs out)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st

from chalicelib.adapters.memory import MemoryOutbox
from chalicelib.domain.notification import OutboxMessage, claim
from tests.fakes import FakeWorld

PAUSES = st.sampled_from([timedelta(0), timedelta(minutes=2), timedelta(minutes=11), timedelta(hours=1)])


def run_starts(world: FakeWorld, runs: list[list[OutboxMessage]], pause: timedelta) -> None:
    world.clock.advance(pause)
    runs.append(world.tickets.due(world.clock.now()))


def next_message(runs: list[list[OutboxMessage]], which: int) -> OutboxMessage:
    """The next message of one of the runs started and not yet done."""
    started = [run for run in runs if run]
    return started[which % len(started)].pop(0)


def dies_holding(world: FakeWorld, message: OutboxMessage) -> None:
    now = world.clock.now()
    MemoryOutbox(world.tickets).claim(message, claim(message, now), now)
