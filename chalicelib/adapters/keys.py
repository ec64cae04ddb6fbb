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
tickets by customer (archive id, else phone)    Query    GSI by_customer customer_pk=CUSTOMER#<id>
                                                         (<id> is the archive customer id when the
                                                         ticket is linked, else the phone in E.164)
customer by id (archive)                        GetItem  pk=CUSTOMERS, sk=CUSTOMER#<id>
customers, a page in id order (archive)         Query    pk=CUSTOMERS (one partition of customer
                                                         records; name search filters this Query)
customers by phone (archive, intake look-up)    Query    pk=PHONE#<e164> -> sk=CUSTOMER#<id> pointers
installed product by serial (unique)            GetItem  pk=PRODUCT#<serial>, sk=PRODUCT; created with
                                                         attribute_not_exists(pk)
a customer's installed products                 Query    pk=CUSTOMER#<id>, sk begins_with PRODUCT#
                                                         (a copy per product, written with it)
a nameplate label by its id (QR scan)           GetItem  pk=LABEL#<label id>, sk=LABEL
a product's label in use (one at most)          GetItem  pk=PRODUCT#<serial>, sk=LABEL; created with
                                                         attribute_not_exists(pk) with the label item
tickets by month (reports)                      Query    GSI by_month    month_pk=MONTH#<yyyy-mm>
                                                         AND month_sk BETWEEN <start> AND <end>, for
                                                         each partition a Shanghai month overlaps
                                                         (``month_partitions``: MONTH#<prev>, MONTH#<m>)
monthly report sent? (claimed once per month)   Put      pk=REPORT#<yyyy-mm>, sk=RUN with
                                                         attribute_not_exists(pk), in one transaction
                                                         with the report's outbox messages (kept under
                                                         pk=TICKET#REPORT-<yyyy-mm>)
tickets by assignee                             Query    GSI by_assignee assignee_pk=TECH#<id> (per
                                                         assignment item, so a job can have several)
                                                         then GetItem each ticket
a ticket's assignment items (to remove some)    Query    pk=TICKET#<number>, sk begins_with ASSIGN#
open tickets (the supervisor's queue)           Query    GSI queue (sparse) queue_pk=QUEUE#OPEN, sorted by
                                                         the next running deadline (``Ticket.sla``),
                                                         50 a page with ExclusiveStartKey; filters are
                                                         FilterExpressions on the same Query
open complaints                                 Query    pk=COMPLAINTS#OPEN (an entry per open
                                                         complaint with a copy of the ticket, kept by
                                                         the ticket's own saves)
paid jobs with a balance to collect            Query    pk=RECEIVABLE (one small partition: an item
                                                         per unpaid job with a copy of the ticket,
                                                         kept by the ticket's saves)
tickets by search term (staff search)          Query    GSI search (sparse) search_pk=TERM#<term>,
                                                         newest first; one entry per term under the
                                                         ticket's pk (sk=SEARCH#<term>), written in its
                                                         own transaction (``domain/search.py`` terms)
tickets whose next deadline is before now       Query    GSI due (sparse) due_pk=DUE#<shard>, due_at<=now
notifications waiting to be (re)sent            Query    GSI due (sparse) due_pk=OUTBOX#<shard>,
                                                         due_at<=now
escalation steps taken / breaches acknowledged  Query    pk=TICKET#<number>, sk begins_with LADDER#
service plans / escalation rosters (operators)  Query    pk=CONFIG#PLAN / CONFIG#ROSTER
idempotency records (Powertools)                pk=IDEMPOTENCY, sk=<hash of the request>
open callback tasks due by a day                Query    pk=CALLBACKS#OPEN, sk <= <yyyy-mm-dd>~ (sk =
                                                         <due-from day>#<task id>; deleted when done,
                                                         so the list reads only open tasks)
callback records of a month                     Query    pk=CALLBACKS#DONE#<yyyy-mm>
a product's maintenance schedule                GetItem  pk=MAINTENANCE#<serial>, sk=SCHEDULE
maintenance visits between two days             Query    pk=VISITS#<yyyy-mm> per month, sk BETWEEN
                                                         <day>#... (sk = <yyyy-mm-dd>#<serial>);
                                                         reminded once (conditional update)
uses of a limit by one caller in a window       UpdateItem ADD on pk=LIMIT#<scope>#<sha256(subject)>,
(reports per phone/IP, confirmation SMS)                 sk=<window start>, conditioned on the count;
                                                         expires with its window (TTL ``expires_at``)
which submission an upload is attached to       Put      pk=UPLOAD#<object key>, sk=CLAIM, owner=<form's
                                                         idempotency key or ticket number>, with
                                                         attribute_not_exists(pk) OR owner = :owner
an SMS short link's long link                   GetItem  pk=LINK#<sha256(id)>, sk=LINK; put with
                                                         attribute_not_exists(pk); TTL ``expires_at``
webhook subscriptions (a handful)               Query    pk=WEBHOOKS, sk=<subscription id>
a subscription's delivery log, newest first     Query    pk=WEBHOOK#<id>, sk=<at>#<delivery>#<attempt>
                                                         descending; TTL ``expires_at``
==============================================  ===================================================

A record leaves the sparse ``due`` index by having ``due_pk``/``due_at`` removed, so the sweeps read
only what is due, never the table.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

TICKET_SK = "TICKET"
TRACK_SK = "TRACK"
IDEMPOTENCY_PK = "IDEMPOTENCY"

GSI_STATUS = "by_status"
GSI_CUSTOMER = "by_customer"
GSI_MONTH = "by_month"
GSI_SEARCH = "search"
GSI_ASSIGNEE = "by_assignee"
GSI_DUE = "due"
GSI_QUEUE = "queue"


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
CONFIG_CALENDAR_PK = "CONFIG#CALENDAR"


def calendar_sk(region: str, year: int) -> str:
    """One year's holiday schedule for the nation (``CN``) or a province (``CN-GD``)."""
    return f"{region}#{year}"


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


def month_partitions(start: datetime, end: datetime) -> list[str]:
    """Every ``by_month`` partition that can hold a ticket created in [start, end).

    ``month_pk`` takes the month of ``created_at`` as stored (UTC from the app's clock), so a
    Shanghai month spans two UTC months: its first eight hours are in the previous one. The months of
    both ends in UTC and in their own zone are queried, each with the ``month_sk`` range below."""
    last = end - timedelta(microseconds=1)
    months: set[str] = set()
    for moment in (start, last, start.astimezone(UTC), last.astimezone(UTC)):
        months.add(f"{moment:%Y-%m}")
    first, final = min(months), max(months)
    found, (year, month) = [], (int(first[:4]), int(first[5:]))
    while f"{year:04d}-{month:02d}" <= final:
        found.append(f"MONTH#{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def month_sk_range(start: datetime, end: datetime) -> tuple[str, str]:
    """``month_sk`` is ``<created UTC>#<number>``: BETWEEN these two keeps created in [start, end)
    (a key at ``end`` itself is longer than ``iso(end)`` and so sorts after it)."""
    return iso(start), iso(end)


REPORT_RUN_SK = "RUN"


def report_pk(month: str) -> str:
    """The monthly report's run record for ``yyyy-mm``: written once, so the report goes out once."""
    return f"REPORT#{month}"


REPORT_BUILD_PREFIX = "BUILD#"


def report_build_sk(started_at: datetime, build_id: str) -> str:
    """One build of a month's report (under ``report_pk``): its parts and which are done. Started-at
    first, so the month's latest build is the last key."""
    return f"{REPORT_BUILD_PREFIX}{iso(started_at)}#{build_id}"


def report_message_number(month: str) -> str:
    """The pseudo ticket number the report's outbox messages are kept under (``TICKET#REPORT-…``),
    so the outbox and its retries need nothing new."""
    return f"REPORT-{month}"


def assignee_pk(technician_id: str) -> str:
    return f"TECH#{technician_id}"


ASSIGN_PREFIX = "ASSIGN#"


def assignment_sk(technician_id: str) -> str:
    """One item per technician on a job, under the ticket's pk, carrying the ``by_assignee`` keys."""
    return f"{ASSIGN_PREFIX}{technician_id}"


def assignee_sk(created: datetime, number: str) -> str:
    """A technician's jobs in the order they were reported."""
    return f"{iso(created)}#{number}"


SEARCH_PREFIX = "SEARCH#"


def search_entry_sk(term: str) -> str:
    """A ticket's entry for one search term, under the ticket's pk: deleted when the term no longer
    applies, so the sparse ``search`` index lists only current terms."""
    return f"{SEARCH_PREFIX}{term}"


def search_pk(term: str) -> str:
    return f"TERM#{term}"


def search_sk(created: datetime, number: str) -> str:
    """Newest first when read backwards; also a search cursor's position."""
    return f"{iso(created)}#{number}"


QUEUE_PK = "QUEUE#OPEN"
NO_DEADLINE = "~"  # sorts after every time: tickets owing nothing come last


def queue_sk(next_due: datetime | None, created: datetime, number: str) -> str:
    """An open ticket's place in the supervisor's queue (the sparse ``queue`` index): the nearest running
    deadline first, then the oldest; also a queue page's cursor."""
    return f"{iso(next_due) if next_due else NO_DEADLINE}#{iso(created)}#{number}"


def number_in_queue_sk(position: str) -> str:
    return position.rsplit("#", 1)[-1]


COMPLAINTS_OPEN_PK = "COMPLAINTS#OPEN"
REQUISITIONS_OPEN_PK = "REQUISITIONS#OPEN"  # open jobs with a parts requisition not yet received
DECISIONS_OPEN_PK = "DECISIONS#OPEN"  # open jobs waiting for the supervisor (domain/decisions.py)


def complaint_entry_sk(created: datetime, number: str) -> str:
    """An open complaint (or an open job waiting for parts), oldest first, with a copy of its ticket:
    written or deleted in each of the ticket's saves, so the list is one small Query."""
    return f"{iso(created)}#{number}"


RECEIVABLE_PK = "RECEIVABLE"


def receivable_sk(number: str) -> str:
    """A paid job with a balance to collect (managers' list, 000 §4.3.1): present exactly while the
    ticket has one, written or deleted in the ticket's own transaction."""
    return f"TICKET#{number}"


# ---- the customer and product archive ----

CUSTOMERS_PK = "CUSTOMERS"
CUSTOMER_PREFIX = "CUSTOMER#"
PRODUCT_SK = "PRODUCT"
PRODUCT_PREFIX = "PRODUCT#"


def customer_sk(customer_id: str) -> str:
    """A customer record in the ``CUSTOMERS`` partition, and a phone pointer's target."""
    return f"{CUSTOMER_PREFIX}{customer_id}"


def phone_pk(e164: str) -> str:
    """Pointers from a phone number to the customers that gave it (one item per customer)."""
    return f"PHONE#{e164}"


def product_pk(serial_number: str) -> str:
    """An installed product by its (normalised) serial number: one item, so serials are unique."""
    return f"{PRODUCT_PREFIX}{serial_number}"


def customer_product_sk(serial_number: str) -> str:
    """The copy of a product under its customer's pk (``customer_pk``), so one Query lists them."""
    return f"{PRODUCT_PREFIX}{serial_number}"


LABEL_SK = "LABEL"


def label_pk(label_id: str) -> str:
    """A nameplate label (QR code) by its random id; the product's own ``LABEL`` item names the one in
    use (under ``product_pk``, sk ``LABEL_SK``)."""
    return f"LABEL#{label_id}"


# ---- after closure: callbacks and maintenance visits ----

CALLBACKS_OPEN_PK = "CALLBACKS#OPEN"
SCHEDULE_SK = "SCHEDULE"


def callback_sk(due_from: str, task_id: str) -> str:
    """An open callback task, in the order its window starts (``due_from`` is ``yyyy-mm-dd``)."""
    return f"{due_from}#{task_id}"


def callback_task_pk(task_id: str) -> str:
    """Written once with the task (``attribute_not_exists``): a task is never handed out twice, even after
    it was done and left the open list."""
    return f"CALLBACK#{task_id}"


def callback_done_pk(at: datetime) -> str:
    """The callbacks made in a month (UTC), for the monthly report and the audit."""
    return f"CALLBACKS#DONE#{at.astimezone(UTC):%Y-%m}"


def callback_done_sk(at: datetime, task_id: str) -> str:
    return f"{iso(at)}#{task_id}"


def schedule_pk(serial_number: str) -> str:
    return f"MAINTENANCE#{serial_number}"


def visits_pk(month: str) -> str:
    """Maintenance visits of a month (``yyyy-mm``): a range Query finds the days coming up."""
    return f"VISITS#{month}"


def visit_sk(day: str, serial_number: str) -> str:
    return f"{day}#{serial_number}"


# ---- outgoing webhooks ----


WEBHOOKS_PK = "WEBHOOKS"


def webhook_log_pk(subscription_id: str) -> str:
    return f"WEBHOOK#{subscription_id}"


def webhook_log_sk(at: datetime, delivery_id: str, attempt: int) -> str:
    return f"{iso(at)}#{delivery_id}#{attempt:03d}"


# ---- SMS short links ----


SHORT_LINK_SK = "LINK"


def short_link_pk(short_id: str) -> str:
    """Hashed like a tracking token: a copy of the table must not hand out links."""
    return f"LINK#{hashlib.sha256(short_id.encode()).hexdigest()}"


# ---- limits on anonymous callers ----


def limit_pk(scope: str, subject: str) -> str:
    """One caller's uses of one limit. The phone number or IP address is hashed: the counters need to
    tell callers apart, not to know who they are."""
    return f"LIMIT#{scope}#{hashlib.sha256(subject.encode()).hexdigest()}"


def limit_sk(window_start: datetime) -> str:
    """The window counted in; an old window's item is never read again (TTL only tidies up)."""
    return iso(window_start)


UPLOAD_CLAIM_SK = "CLAIM"


def upload_claim_pk(object_key: str) -> str:
    """The one submission an uploaded file belongs to (written once per owner, never moved)."""
    return f"UPLOAD#{object_key}"


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
