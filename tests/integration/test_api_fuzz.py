"""The JSON API, driven by its own OpenAPI document (schemathesis): the document's examples, requests it
allows and requests it almost allows are all answered without a server error, and a client that builds
a report from the document alone opens a ticket. Staff operations are sent signed in (every role), so
they are fuzzed past the sign-in check. Few examples per operation, derandomized: the same requests on
every run, in seconds: 15 per operation in ``make test``, the first 8 of them in ``make test-fast``."""

from __future__ import annotations

import os
from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from chalicelib.domain.staff import StaffRole
from tests.integration.chalice_wsgi import ChaliceWsgi

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "15"))
FEW = settings(
    max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def answered(strategies: list[st.SearchStrategy[schemathesis.Case]], statuses: set[int], token: str) -> None:
    """Sends what ``strategies`` make; a server error fails the test with the request that caused it."""

    @FEW
    @given(case=st.one_of(strategies))
    def send(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
        statuses.add(response.status_code)

    send()


# The operations are sent in shards, every SHARDS-th one each, so parallel workers share them.
SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_request_the_document_describes_gets_a_server_error(aws, staff_token, shard):
    from app import app

    token = staff_token("fuzz", *StaffRole)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", ChaliceWsgi(app))
    answers: dict[str, set[int]] = defaultdict(set)
    operations = sorted((found.ok() for found in schema.get_all_operations()), key=lambda op: op.label)
    for operation in operations[shard::SHARDS]:
        strategies = [
            operation.as_strategy(generation_mode=mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        strategies += operation.get_strategies_from_examples()

        answered(strategies, answers[operation.label], token)
    if "POST /api/requests" in answers:
        assert 201 in answers["POST /api/requests"], "a report built from the document opens a ticket"
