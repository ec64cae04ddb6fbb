"""What each move records, typed; and how records stored before the payloads were typed read now."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.events import (
    Cancelled,
    Classified,
    ContactRecorded,
    Dispatched,
    Notified,
    Paused,
    PauseReason,
    Unrecorded,
    read_payload,
)
from chalicelib.domain.ticket import Action, Priority, TicketEvent
from tests.unit.domain.test_ticket import T0, new_ticket


@pytest.mark.parametrize(
    ("summary", "reason", "note"),
    [
        ("clock paused: customer unreachable", PauseReason.CUSTOMER_UNREACHABLE, ""),
        ("clock paused: site not ready (等钥匙)", PauseReason.SITE_NOT_READY, "等钥匙"),
        ("clock paused: other (客户出差)", PauseReason.OTHER, "客户出差"),
        ("clock paused: waiting for the drawings", PauseReason.OTHER, "waiting for the drawings"),
    ],
)
def test_an_old_pause_reads_as_the_forms_reason_and_what_was_typed(summary, reason, note):
    assert read_payload(Action.PAUSE, {}, {}, summary) == Paused(reason=reason, note=note)


def test_old_notes_and_reasons_typed_after_an_english_prefix_read_as_typed():
    assert read_payload(Action.RECORD_CONTACT, {}, {}, "reporter contacted") == ContactRecorded(note="")
    assert read_payload(Action.RECORD_CONTACT, {}, {}, "reporter contacted: 明早") == ContactRecorded(note="明早")
    assert read_payload(Action.CANCEL, {}, {}, "cancelled: duplicate") == Cancelled(reason="duplicate")


def test_an_old_delivery_reads_as_its_channel_recipient_purpose_or_error():
    sent = read_payload(Action.NOTIFY, {}, {"message_id": "m1", "state": "sent"}, "sms sent to +8613800138000 (quote)")
    retry = read_payload(Action.NOTIFY, {}, {}, "email to a@b.cn failed, will retry: provider unavailable")
    failed = read_payload(Action.NOTIFY, {}, {}, "email to a@b.cn failed for good: bounced")

    assert sent == Notified(
        message_id="m1", state="sent", outcome="sent", channel="sms", recipient="+8613800138000", purpose="quote"
    )
    assert (retry.outcome, retry.recipient, retry.error) == ("retry", "a@b.cn", "provider unavailable")
    assert (failed.outcome, failed.error) == ("failed", "bounced")


def test_a_classification_knows_which_fields_the_move_set():
    payload = read_payload(
        Action.CLASSIFY,
        {"priority": None, "status": "new"},
        {"priority": "A", "status": "triaged"},
        "classified priority=A",
    )

    assert isinstance(payload, Classified)
    assert payload.after.changed == ("priority",)
    assert payload.after.priority == Priority.CRITICAL


def test_a_dispatch_records_who_was_sent_and_who_was_on_the_job_before():
    payload = read_payload(Action.DISPATCH, {"assignees": ["wang"]}, {"assignees": ["wang", "li"]}, "")

    assert payload == Dispatched(assignees=("wang", "li"), previous=("wang",))


def test_a_record_without_what_its_action_records_keeps_its_summary():
    assert read_payload(Action.DISPATCH, {}, {}, "dispatched by hand") == Unrecorded(
        action=Action.DISPATCH, summary="dispatched by hand"
    )
    assert isinstance(read_payload(Action.NOTIFY, {}, {}, "something else"), Unrecorded)
    assert isinstance(read_payload(Action.SHIP_PARTS, {}, {"requisitions": "not a list"}, ""), Unrecorded)


def test_a_payload_is_read_from_the_event_it_belongs_to():
    from chalicelib.domain.ticket import TicketEvent

    event = TicketEvent(
        at=datetime(2026, 3, 1, tzinfo=UTC), actor="zhang", action=Action.CANCEL, summary="cancelled: 客户已自行解决"
    )

    assert event.payload == Cancelled(reason="客户已自行解决")


def test_a_move_records_its_payload_and_reads_it_back_as_written():

    ticket, _ = new_ticket()
    paused = Paused(reason=PauseReason.SITE_NOT_READY, note="等钥匙")

    _, event = ticket.apply(
        Action.PAUSE, actor="sup", at=T0 + timedelta(hours=1), summary="", details=paused
    )

    assert event.payload == paused
    with pytest.raises(ValueError, match="would not read back"):
        ticket.apply(Action.CANCEL, actor="sup", at=T0 + timedelta(hours=1), summary="", details=paused)


def test_a_step_of_an_embedded_item_is_refused_when_its_event_does_not_hold_the_item_it_names():
    from chalicelib.domain.events import Quoted

    ticket, _ = new_ticket()

    # No quote changed, yet the step says it records one: refused before anything is saved.
    with pytest.raises(ValueError):
        ticket.apply(
            Action.DRAFT_QUOTE,
            actor="sup",
            at=T0 + timedelta(hours=1),
            summary="",
            records=lambda moved: Quoted.model_validate({"action": Action.DRAFT_QUOTE, "quote": moved.quote}),
        )


def test_a_step_outside_the_lifecycle_is_recorded_as_its_payload():
    from chalicelib.domain.events import Escalated, Told
    from chalicelib.domain.ticket import TicketEvent

    step = Escalated(
        kind="breach",
        milestone="dispatched",
        level=2,
        role="chief_engineer",
        told=(Told(name="李总工", held_until=datetime(2026, 3, 2, 1, tzinfo=UTC)),),
    )

    event = TicketEvent.recording(step, at=datetime(2026, 3, 1, tzinfo=UTC), actor="sla-sweep")

    assert (event.action, event.payload) == (Action.ESCALATE, step)


def test_a_move_is_stored_as_its_typed_payload_and_what_it_changed_not_as_english():
    ticket, _ = new_ticket()
    cancelled = Cancelled(reason="客户已自行解决")

    _, event = ticket.apply(Action.CANCEL, actor="zhang", at=T0 + timedelta(hours=1), details=cancelled)
    stored = event.model_dump(mode="json")

    assert stored["payload"] == {"action": "cancel", "reason": "客户已自行解决"}
    assert (stored["status"], stored["changed"], stored["summary"], stored["schema_version"]) == (
        "cancelled", ["status"], "", 2)
    assert TicketEvent.model_validate(stored) == event


def test_a_move_made_by_hand_keeps_its_words_and_no_fact_is_read_from_them():
    ticket, _ = new_ticket()

    _, event = ticket.apply(Action.CANCEL, actor="zhang", at=T0 + timedelta(hours=1), summary="cancelled: duplicate")

    assert event.payload == Unrecorded(action=Action.CANCEL, summary="cancelled: duplicate")
