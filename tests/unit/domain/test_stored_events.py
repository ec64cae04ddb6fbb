"""Events are stored for years: every record as the desk wrote it before events were typed still loads,
reads the same on every timeline and gives the SLA clock the same facts, and so does each once stored as
its typed payload.

``tests/fixtures/stored_events.json`` holds records captured from the running flows of the service tests
(one per shape each action wrote), plus the free-text variants the forms and old callers wrote, then the
shapes written since moves record codes and values (a pause's reason code, a delivery's outcome), each
with how it read and which clock facts it gave when it was captured. Add the new shape of a move here
when its writer changes: every record ever written must keep loading. When the words of a timeline
change on purpose, ``python -m tests.unit.domain.test_stored_events`` writes how each record reads now
(the stored records themselves are never rewritten); review the diff.
"""

import json
from pathlib import Path

import pytest

from chalicelib.domain.events import TYPED_ACTIONS, Unrecorded
from chalicelib.domain.ticket import TicketEvent
from chalicelib.domain.ticket_clock import clock_facts_of
from chalicelib.i18n.events import describe

FIXTURES = Path(__file__).parents[2] / "fixtures" / "stored_events.json"
RECORDS = json.loads(FIXTURES.read_text(encoding="utf-8"))
CLOCK_FIELDS = ("at", "kind", "field", "before", "after")


def reads_of(event: TicketEvent) -> dict[str, str]:
    return {
        f"{lang}{'/customer' if customer else ''}": describe(
            lang, event, timezone="Asia/Shanghai", customer=customer
        ).text
        for lang in ("zh-CN", "en")
        for customer in (False, True)
    }


def clock_of(event: TicketEvent) -> list[dict]:
    return [
        {k: v for k, v in fact.model_dump(mode="json").items() if k in CLOCK_FIELDS} for fact in clock_facts_of(event)
    ]


def _name(record: dict) -> str:
    return f"{record['stored']['action']}-{record['stored']['at']}"


@pytest.mark.parametrize("record", RECORDS, ids=_name)
def test_a_stored_event_reads_the_same_in_every_language_for_staff_and_customer(record):
    event = TicketEvent.model_validate(record["stored"])

    assert reads_of(event) == record["reads"]


@pytest.mark.parametrize("record", RECORDS, ids=_name)
def test_a_stored_event_gives_the_sla_clock_the_same_facts(record):
    event = TicketEvent.model_validate(record["stored"])

    assert clock_of(event) == record["clock"]


@pytest.mark.parametrize("record", RECORDS, ids=_name)
def test_a_stored_event_stored_again_as_its_typed_payload_reads_the_same(record):
    event = TicketEvent.model_validate(record["stored"])
    stored_again = json.loads(json.dumps(event.model_dump(mode="json")))

    again = TicketEvent.model_validate(stored_again)

    assert "payload" in stored_again and "after" not in stored_again
    assert again.payload == event.payload
    assert (reads_of(again), clock_of(again)) == (record["reads"], record["clock"])


def test_every_typed_action_has_a_stored_record():
    assert {record["stored"]["action"] for record in RECORDS} >= {action.value for action in TYPED_ACTIONS} - {
        "set_out"
    }


@pytest.mark.parametrize("record", RECORDS, ids=_name)
def test_what_the_flows_wrote_reads_as_its_typed_payload(record):
    event = TicketEvent.model_validate(record["stored"])
    # Moves made by hand in the tests (summary = the action's name) and by an operator may record no facts.
    by_hand = event.summary in (event.action.value, "dispatched wang (by hand)")

    assert by_hand or not isinstance(event.payload, Unrecorded)


if __name__ == "__main__":
    refreshed = []
    for record in RECORDS:
        event = TicketEvent.model_validate(record["stored"])
        refreshed.append({**record, "reads": reads_of(event), "clock": clock_of(event)})
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in refreshed)
    FIXTURES.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
