"""The local dev server lets an answer leave only once the stand-in says what the request wrote is
durable (local/dev_server.py); the stand-in's side is in test_aws_store.py."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.local import ForbiddenError

from local import dev_server
from local.aws_store import DEFERRED_HEADER, DEFERRED_VALUE

RECEIVED = {"statusCode": 303, "headers": {"Location": "/track/abc"}, "multiValueHeaders": {}, "body": ""}


class Journal:
    """What happened, in order: the app's handling, each sync and whether it succeeded."""

    def __init__(self, durable: bool = True) -> None:
        self.events: list[str] = []
        self.durable = durable

    def handle(self, gateway: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.events.append("app answered")
        return RECEIVED

    def refuse(self, gateway: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.events.append("gateway refused")
        raise ForbiddenError({}, b'{"message": "Missing Authentication Token"}')

    def sync(self) -> bool:
        self.events.append("synced" if self.durable else "sync failed")
        return self.durable


def test_the_answer_leaves_only_after_the_stand_in_made_the_writes_durable() -> None:
    journal = Journal()
    handle = dev_server.durable_before_answering(journal.handle, journal.sync)

    assert handle(object(), "POST", "/requests", {}, b"") is RECEIVED
    assert journal.events == ["app answered", "synced"]


def test_when_durability_is_not_confirmed_the_customer_is_asked_to_send_again() -> None:
    journal = Journal(durable=False)
    handle = dev_server.durable_before_answering(journal.handle, journal.sync)

    answer = handle(object(), "POST", "/requests", {}, b"")

    assert answer["statusCode"] == 503
    assert "重新提交" in answer["body"] and "send it again" in answer["body"]
    assert journal.events == ["app answered", "sync failed"]


def test_the_gateways_own_refusals_are_synced_too_and_still_refused() -> None:
    journal = Journal()
    handle = dev_server.durable_before_answering(journal.refuse, journal.sync)

    with pytest.raises(ForbiddenError):
        handle(object(), "TRACE", "/nowhere", {}, b"")
    assert journal.events == ["gateway refused", "synced"]


def test_the_apps_requests_to_the_stand_in_are_marked_deferred() -> None:
    class Request:
        headers: dict[str, str] = {}

    request = Request()
    dev_server.mark_deferred(request, event_name="before-send.dynamodb.PutItem")
    assert request.headers == {DEFERRED_HEADER: DEFERRED_VALUE}
