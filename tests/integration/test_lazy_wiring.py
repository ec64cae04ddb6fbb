"""Each Lambda builds only the services its work uses: ``wiring.Services`` builds a member the first time a
function reads it, so the SLA sweep never builds the archive (with its spreadsheet reader), billing,
after-care or the monthly report's stored mail."""

from datetime import timedelta
from unittest import mock

from chalicelib import wiring
from chalicelib.adapters.s3_reports import S3ReportArchive
from chalicelib.adapters.spreadsheets import SpreadsheetFiles
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Priority
from tests.fakes import DEMO_ROSTER
from tests.integration.test_aftercare_routes import outbox_texts
from tests.integration.test_supervisor_pages import new_ticket

NOT_THE_SWEEPS = {
    "archive",
    "aftercare",
    "billing",
    "complaints",
    "field_work",
    "queue",
    "tracking",
    "intake",
    "staff_tokens",
    "staff_sign_in",
    "idempotency",
    "bus",
}


def escalation_messages(number: str) -> list[dict]:
    return [m for m in outbox_texts(number) if m["purpose"].startswith("escalation")]


def never_built(cls: type) -> mock._patch:
    return mock.patch.object(cls, "__init__", side_effect=AssertionError(f"{cls.__name__} built"))


def test_the_sla_sweeps_lambda_builds_the_sweep_and_its_messages_and_nothing_else(client, clock_file):
    wiring.services().config.put_roster(DEMO_ROSTER)
    number = new_ticket(client)["number"]
    wiring.services().desk.classify(number, actor=SystemActor("sup"), priority=Priority.CRITICAL)
    told_before = len(escalation_messages(number))
    wiring.reset()  # a cold Lambda of its own
    clock_file.set_offset(timedelta(hours=1, minutes=30))  # the supervisor's warning is due

    with never_built(SpreadsheetFiles), never_built(S3ReportArchive):
        client.lambda_.invoke(
            "sla_sweep",
            client.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
            ),
        )

    assert len(escalation_messages(number)) > told_before, "the sweep warned the supervisor"
    built = set(wiring.services().built)
    assert {"sla", "notifications", "tickets", "config", "clock"} <= built
    assert not built & NOT_THE_SWEEPS, built & NOT_THE_SWEEPS
