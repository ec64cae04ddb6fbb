"""Several limits counted in one write: all or none, and the answers say which limit was reached."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.dynamodb_limits import DynamoRateCounters
from chalicelib.adapters.memory_limits import MemoryRateCounters
from chalicelib.domain.limits import Limit

NOW = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)
REPORTS = Limit("intake_phone", 5, timedelta(hours=1))
SMS = Limit("confirmation_sms", 1, timedelta(days=1))


@pytest.fixture(params=["memory", "dynamodb"])
def counters(request):
    if request.param == "memory":
        return MemoryRateCounters()
    request.getfixturevalue("aws")
    return DynamoRateCounters("service-desk")


def test_a_reached_limit_counts_none_of_the_uses_and_is_named(counters):
    assert [a.allowed for a in counters.take_all([(REPORTS, "+8613800138000"), (SMS, "+8613800138000")], NOW)] == [
        True, True]
    refused = counters.take_all([(REPORTS, "+8613800138000"), (SMS, "+8613800138000")], NOW)

    assert [a.allowed for a in refused] == [True, False], "the SMS limit was reached, the reports' was not"
    # Nothing was counted by the refused write: four reports are left in the hour, then the fifth is refused.
    answers = [counters.take(REPORTS, "+8613800138000", NOW).allowed for _ in range(5)]
    assert answers == [True, True, True, True, False]
