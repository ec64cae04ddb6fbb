"""Whatever shape a stored event has (old writers, hand edits, a field renamed since), it loads: as its
typed payload when it holds what its action records, else as ``Unrecorded``; and every timeline can say it."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.events import Unrecorded, read_payload
from chalicelib.domain.ticket import Action, TicketEvent
from chalicelib.i18n.events import describe

KEYS = st.sampled_from(
    [
        "status",
        "assignees",
        "note",
        "reason",
        "location",
        "report",
        "text",
        "photos",
        "departure",
        "acceptance",
        "refusal",
        "quote",
        "account",
        "requisitions",
        "loaners",
        "survey",
        "survey_until",
        "callback",
        "complaint",
        "complaint_cause",
        "capa",
        "agreed_date",
        "kind",
        "level",
        "role",
        "milestone",
        "breach",
        "told",
        "channel",
        "outcome",
        "recipient",
        "priority",
        "plan",
        "billing",
        "billing_reason",
    ]
)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8) | st.just("2026-03-01T02:00:00+00:00"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS | st.just("id"), inner, max_size=3),
    max_leaves=8,
)
FACTS = st.dictionaries(KEYS, VALUES, max_size=4)
SUMMARIES = st.sampled_from(
    [
        "",
        "clock paused: site not ready (x)",
        "cancelled: y",
        "sms sent to 1 (quote)",
        "email to a failed, will retry: z",
        "reporter contacted: w",
    ]
) | st.text(max_size=20)


@settings(max_examples=300, deadline=None)
@given(action=st.sampled_from(list(Action)), before=FACTS, after=FACTS, summary=SUMMARIES)
def test_any_stored_shape_loads_and_reads_in_both_languages(action, before, after, summary):
    event = TicketEvent(
        at=datetime(2026, 3, 1, tzinfo=UTC), actor="x", action=action, summary=summary, before=before, after=after
    )

    payload = read_payload(action, before, after, summary)

    assert payload.action == action
    assert isinstance(payload, Unrecorded) or payload == event.payload
    for lang in ("zh-CN", "en"):
        for customer in (False, True):
            assert describe(lang, event, timezone="Asia/Shanghai", customer=customer).label
