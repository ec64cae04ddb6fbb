"""Log lines are JSON from the one parent logger, and a ticket's lines carry its number."""

import io
import json
import logging

import pytest

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.observability import TICKET_KEY, logger
from chalicelib.web import supervisor
from tests.fakes import valid_report


@pytest.fixture
def log_lines(monkeypatch):
    """What the parent logger writes (stdout on Lambda, where CloudWatch Logs picks it up)."""
    stream = io.StringIO()
    handler = logger.logger_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    handler.setStream(previous)


def test_a_child_modules_error_on_a_ticket_page_is_one_json_line_keyed_by_the_ticket(
    client, staff_token, log_lines, monkeypatch
):
    from chalicelib import wiring

    number = wiring.services().intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    token = staff_token("supervisor")

    def broken(*args, **kwargs):
        raise RuntimeError("the table is gone")

    monkeypatch.setattr(supervisor, "_readable_ticket", broken)

    response = client.http.get(f"/staff/tickets/{number}", headers={"Cookie": f"sd_staff={token}"})

    assert response.status_code == 500
    [line] = [entry for entry in log_lines() if entry["message"] == "unhandled error"]
    assert line[TICKET_KEY] == number
    assert line["level"] == "ERROR" and "the table is gone" in line["exception"]
    assert line["service"] == logger.service


def test_the_ticket_key_does_not_outlive_its_request(client, log_lines):
    client.http.get("/staff/tickets/SD-2026-000001")
    logger.info("after the request")

    [line] = [entry for entry in log_lines() if entry["message"] == "after the request"]
    assert TICKET_KEY not in line
