"""The approval's after-care under moto: the approve route leaves a durable "after-care due" item in the
outbox even when booking fails at that moment, and the every-minute delivery job (invoked as EventBridge
would) completes it — the callback task on the desk's list, the survey by email and SMS — once. So does
a follow-up the customer raised on the after-care call: its number at once, its ticket by the job."""

import re
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from chalicelib import wiring
from chalicelib.adapters.dynamodb_aftercare import DynamoAftercare
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action, Kind
from chalicelib.i18n import t
from tests.integration.test_aftercare_routes import approved_job, outbox_texts
from tests.integration.test_supervisor_pages import Tokens, get, new_ticket, post

THROTTLED = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                        "TransactWriteItems")


@pytest.fixture
def tokens(staff_token, clock_file):
    return Tokens(staff_token)


def deliver_notifications(client):
    client.lambda_.invoke("deliver_notifications", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))


def by_purpose(number, purpose):
    return sorted((m for m in outbox_texts(number) if m["purpose"] == purpose), key=lambda m: m["channel"])


def test_the_approval_leaves_the_after_care_item_and_the_delivery_job_completes_it(client, tokens, clock_file):
    receipt = new_ticket(client)
    number = receipt["number"]
    desk = wiring.services().desk
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE):
        desk.move(number, action, actor=SystemActor("sup"), summary=action.value)

    with mock.patch.object(DynamoAftercare, "add_callback", side_effect=THROTTLED):
        response = post(client, f"/staff/approvals/{number}/approve", tokens["supervisor"])

    assert response.status_code == 303, response.body  # the approval stands; after-care waits in the outbox
    [item] = by_purpose(number, "after_care")
    assert (item["channel"], item["recipient"], item["state"], int(item["attempts"])) == (
        "job", "app", "pending", 1)
    assert "ProvisionedThroughputExceededException" in item["last_error"]
    assert by_purpose(number, "survey") == []

    clock_file.set_offset(timedelta(minutes=2))  # past the first backoff
    deliver_notifications(client)

    [item] = by_purpose(number, "after_care")
    assert item["state"] == "sent" and int(item["attempts"]) == 2
    survey = by_purpose(number, "survey")
    assert [(m["channel"], m["state"]) for m in survey] == [("email", "sent"), ("sms", "sent")]
    deliver_notifications(client)  # nothing more to do: still one survey
    assert len(by_purpose(number, "survey")) == 2

    clock_file.set_offset(timedelta(days=5, hours=12))
    callbacks = get(client, "/staff/callbacks", tokens["desk"]).body.decode()
    assert callbacks.count(f'data-number="{number}"') == 1
    # The internal item is no message to the customer: the tracking page never mentions it.
    tracking = client.http.get(urlsplit(receipt["tracking_url"]).path).body.decode()
    assert "after-care" not in tracking and "after_care" not in tracking


def test_a_follow_up_raised_on_a_call_gets_its_number_at_once_and_its_ticket_from_the_delivery_job(
        client, tokens, clock_file):
    number = approved_job(client, tokens)
    clock_file.set_offset(timedelta(days=5, hours=12))
    page = get(client, "/staff/callbacks", tokens["desk"]).body.decode()
    task = re.search(r'data-task="([^"]+)" data-number="' + number, page).group(1)
    call = {"task": task, "reached": "yes", "satisfied": "no", "problem": "follow_up", "notes": "又跳闸了"}

    with mock.patch.object(DynamoTickets, "create", side_effect=THROTTLED):
        done = post(client, "/staff/callbacks", tokens["desk"], call)

    assert done.status_code == 303, done.body  # the call is recorded; its follow-up waits in the outbox
    follow_up = re.search(r"follow_up=(SD-[\d-]+)", done.headers["Location"]).group(1)
    page = get(client, done.headers["Location"], tokens["desk"]).body.decode()
    assert t("zh-CN", "aftercare.callbacks.follow_up_pending", number=follow_up) in page
    assert wiring.services().tickets.get(follow_up) is None
    [item] = by_purpose(number, "follow_up_requested")  # filed under the job the call was about
    assert (item["channel"], item["state"], int(item["attempts"])) == ("job", "pending", 1)

    clock_file.set_offset(timedelta(days=5, hours=12, minutes=2))  # past the first backoff
    deliver_notifications(client)
    deliver_notifications(client)

    opened = wiring.services().tickets.get(follow_up)
    assert opened is not None and opened.kind == Kind.FAULT and opened.description.startswith(f"[{number}]")
    assert by_purpose(number, "follow_up_requested")[0]["state"] == "sent"
    assert [m["channel"] for m in by_purpose(follow_up, "desk_new_ticket")] == ["email", "staff_topic"], "once"
