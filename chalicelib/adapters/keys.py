"""Every DynamoDB key and index key, built in one place. The single table holds all records.

Access patterns (docs/dynamodb.md has the full design):

==============================================  ===================================================
pattern                                         how
==============================================  ===================================================
ticket by number                                GetItem  pk=TICKET#<number>, sk=TICKET
ticket's timeline (events, oldest first)        Query    pk=TICKET#<number>, sk begins_with EVENT#
ticket by tracking token                        GetItem  pk=TRACK#<sha256(token)>, sk=TRACK -> number
next ticket number of a year                    UpdateItem ADD on pk=COUNTER#TICKET#<year>
tickets by status (queues)                      Query    GSI by_status   status_pk=STATUS#<status>
tickets by customer (phone, later customer id)  Query    GSI by_customer customer_pk=CUSTOMER#<id>
tickets by month (reports)                      Query    GSI by_month    month_pk=MONTH#<yyyy-mm>
tickets by assignee                             Query    GSI by_assignee assignee_pk=TECH#<id> (per
                                                         assignment item, so a job can have several)
tickets whose next deadline is before now       Query    GSI due (sparse) due_pk=DUE#<shard>, due_at<=now
notifications waiting to be (re)sent            Query    GSI due (sparse) due_pk=OUTBOX#<shard>,
                                                         due_at<=now
escalation steps taken / breaches acknowledged  Query    pk=TICKET#<number>, sk begins_with LADDER#
service plans / escalation rosters (operators)  Query    pk=CONFIG#PLAN / CONFIG#ROSTER
idempotency records (Powertools)                pk=IDEMPOTENCY, sk=<hash of the request>
==============================================  ===================================================

A record leaves the sparse ``due`` index by having ``due_pk``/``due_at`` removed, so the sweeps read
only what is due, never the table.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

TICKET_SK = "TICKET"
TRACK_SK = "TRACK"
IDEMPOTENCY_PK = "IDEMPOTENCY"

GSI_STATUS = "by_status"
GSI_CUSTOMER = "by_customer"
GSI_MONTH = "by_month"
GSI_ASSIGNEE = "by_assignee"
GSI_DUE = "due"


def ticket_pk(number: str) -> str:
    return f"TICKET#{number}"


EVENT_PREFIX = "EVENT#"


def event_sk(at: datetime, unique: str) -> str:
    """Time first, so a Query returns the timeline in order; ``unique`` separates same-instant events."""
    return f"{EVENT_PREFIX}{iso(at)}#{unique}"


LADDER_PREFIX = "LADDER#"


def step_sk(step_key: str) -> str:
    """An escalation step taken, written once (``attribute_not_exists``) so it is never taken twice."""
    return f"{LADDER_PREFIX}STEP#{step_key}"


def acknowledgement_sk(breach: str) -> str:
    return f"{LADDER_PREFIX}ACK#{breach}"


CONFIG_PLAN_PK = "CONFIG#PLAN"
CONFIG_ROSTER_PK = "CONFIG#ROSTER"


def outbox_sk(message_id: str) -> str:
    return f"OUTBOX#{message_id}"


def tracking_pk(token: str) -> str:
    """The token itself is never stored: a copy of the table must not hand out tracking links."""
    return f"TRACK#{hashlib.sha256(token.encode()).hexdigest()}"


def counter_pk(year: int) -> str:
    return f"COUNTER#TICKET#{year}"


def status_pk(status: str) -> str:
    return f"STATUS#{status}"


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def month_pk(at: datetime) -> str:
    return f"MONTH#{at:%Y-%m}"


def assignee_pk(technician_id: str) -> str:
    return f"TECH#{technician_id}"


def shard_of(key: str, shards: int) -> int:
    """Stable across processes (unlike ``hash``), so a record always lands in the same partition."""
    return int(hashlib.blake2b(key.encode(), digest_size=4).hexdigest(), 16) % shards


TICKET_DUE = "DUE"
OUTBOX_DUE = "OUTBOX"


def due_pk(kind: str, record_id: str, shards: int) -> str:
    """Partition of the sparse ``due`` index; ``kind`` is TICKET_DUE or OUTBOX_DUE."""
    return f"{kind}#{shard_of(record_id, shards)}"


def due_partitions(kind: str, shards: int) -> list[str]:
    """Every partition a sweep must query to see all due records of ``kind``."""
    return [f"{kind}#{shard}" for shard in range(shards)]


def iso(at: datetime) -> str:
    """UTC, fixed width, so that string order is time order in sort keys."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
