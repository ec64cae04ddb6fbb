"""The breach → message benchmark at small size: on its simulated clock a sweep that looks a minute ahead
tells each step's people at its moment, and one that does not makes them wait for the next run."""

from bench.breach import run


def test_a_burst_just_after_a_sweep_starts_is_told_at_its_moment_with_the_look_ahead():
    looking_ahead = run("burst", 3, lookahead=60, workers=2)

    assert looking_ahead.told == looking_ahead.tickets == 3
    assert looking_ahead.percentile(0.99) < 5


def test_without_the_look_ahead_the_same_burst_waits_for_the_next_run():
    waiting = run("burst", 3, lookahead=0, workers=2)

    assert waiting.told == 3
    assert 55 < waiting.percentile(0.5) < 65
