"""The sweep benchmark at small size: what it proves (items read follow the due tickets, not the
table; no Scan) and that its short cuts — cloned tickets, moto speed-ups — change no figure."""

import os
import random
from contextlib import nullcontext
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bench.sweep import ITEMS_PER_DUE_TICKET, NOW, Story, clone, items_of, run, story
from chalicelib import wiring
from chalicelib.adapters import schema
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.ticket import Status
from local.moto_speedups import faster_moto


@pytest.fixture(scope="module", autouse=True)
def one_sweep_worker():
    # moto in-process is not thread-safe: a parallel sweep over it now and then meets a moto error that
    # botocore retries, one call more than the sweep made. The figures compared here are the sweep's own.
    with mock.patch.dict(os.environ, {"SWEEP_WORKERS": "1"}):
        yield


@pytest.fixture(scope="module")
def two_thousand(one_sweep_worker):
    return run(2_000, 5)


def test_a_sweep_reads_about_as_many_items_as_are_due_not_the_table(two_thousand):
    result = two_thousand

    assert result.problems == []
    assert result.report.tickets_read == 5
    assert result.report.steps_taken >= 5, "every due ticket had a step to take"
    assert "Scan" not in result.calls
    assert result.items_read <= ITEMS_PER_DUE_TICKET * 5
    assert result.items_in_table > 10_000 > 100 * result.items_read


def test_a_bigger_table_with_as_many_due_tickets_costs_the_sweep_no_more_reads(two_thousand):
    small, big = run(200, 5), two_thousand

    assert big.items_in_table > 5 * small.items_in_table
    assert big.report.tickets_read == small.report.tickets_read == 5
    # The same seed builds the same due tickets at any size: they cost the same reads and calls.
    assert big.items_read == small.items_read
    assert big.calls == small.calls


@pytest.mark.parametrize("status", [Status.ON_SITE, Status.NEW, Status.CLOSED, Status.WAITING_ON_CUSTOMER])
def test_a_cloned_ticket_is_what_the_adapter_writes_for_it(status):
    with mock_aws():
        sla = wiring.services().sla  # next_wake reads the plans from the table
        boto3.client("dynamodb").create_table(**schema.create_table_kwargs("service-desk"))
        repo = DynamoTickets("service-desk", due_shards=4)
        profile = story(sla, "PROFILE-X-NUMBER", status, random.Random(7), due=False)

        for number in ("SD-2026-000001", "SD-2026-000002", "SD-2025-099999"):
            ticket = profile.ticket.model_copy(update={"number": number})
            expected = items_of(repo, Story(ticket, profile.events, profile.wake))
            assert clone(items_of(repo, profile), "PROFILE-X-NUMBER", number, 4) == expected


def test_due_tickets_are_due_and_the_others_are_not():
    with mock_aws():
        sla = wiring.services().sla
        boto3.client("dynamodb").create_table(**schema.create_table_kwargs("service-desk"))
        rng = random.Random(3)
        for status in (Status.NEW, Status.TRIAGED, Status.DISPATCHED):
            wake = story(sla, "SD-2026-000001", status, rng, due=True).wake
            assert wake is not None and wake <= NOW
        for status in (Status.ON_SITE, Status.CLOSED):
            wake = story(sla, "SD-2026-000002", status, rng, due=False).wake
            assert wake is None or wake > NOW


def test_the_moto_speedups_and_the_direct_writer_change_no_figure():
    # Plain moto copies the whole table for every item of every transaction: keep this table tiny.
    plain = run(40, 1, writer="boto3", fast_moto=False)
    fast = run(40, 1, writer="moto", fast_moto=True)

    assert plain.problems == fast.problems == []
    assert (plain.items_in_table, plain.items_read, plain.calls) == (fast.items_in_table, fast.items_read, fast.calls)
    assert (plain.report.tickets_read, plain.report.steps_taken, plain.report.steps) == (
        fast.report.tickets_read, fast.report.steps_taken, fast.report.steps,
    )


def _table_with_two_items():
    ddb = boto3.client("dynamodb")
    ddb.create_table(**schema.create_table_kwargs("t"))
    ddb.put_item(TableName="t", Item={"pk": {"S": "A"}, "sk": {"S": "1"}, "v": {"N": "1"}})
    ddb.put_item(TableName="t", Item={"pk": {"S": "C"}, "sk": {"S": "1"}})
    return ddb


@pytest.mark.parametrize("speedups", [False, True])
def test_a_failed_transaction_leaves_the_table_as_it_was(speedups):
    with mock_aws():
        ddb = _table_with_two_items()
        with faster_moto() if speedups else nullcontext():
            with pytest.raises(ClientError, match="TransactionCanceled"):
                ddb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": "t", "Item": {"pk": {"S": "B"}, "sk": {"S": "1"}}}},
                    {"Update": {"TableName": "t", "Key": {"pk": {"S": "A"}, "sk": {"S": "1"}},
                                "UpdateExpression": "SET v = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
                    {"Put": {"TableName": "t", "Item": {"pk": {"S": "A"}, "sk": {"S": "2"}}}},
                    {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "C"}, "sk": {"S": "1"}},
                                        "ConditionExpression": "attribute_not_exists(pk)"}},
                ])
            assert ddb.query(TableName="t", KeyConditionExpression="pk = :a",
                             ExpressionAttributeValues={":a": {"S": "A"}})["Items"] == [
                {"pk": {"S": "A"}, "sk": {"S": "1"}, "v": {"N": "1"}}
            ]
            assert "Item" not in ddb.get_item(TableName="t", Key={"pk": {"S": "B"}, "sk": {"S": "1"}})


