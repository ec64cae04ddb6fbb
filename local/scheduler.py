"""Runs the app's scheduled functions on their schedules, as EventBridge does on AWS, and its queue
consumers on their queues, as Lambda's SQS event source mappings do.

``chalice local`` serves routes only; it never runs ``@app.schedule`` or ``@app.on_sqs_message``
functions. This process imports the app and finds both kinds in ``app.event_sources``.

Scheduled functions get a CloudWatch scheduled event, the way Lambda would. Schedules are evaluated
in UTC, like EventBridge, by the app's clock (``CLOCK_FILE`` may move it):

- ``rate(N minute|minutes|hour|hours|day|days)``: first run N units after start, then every N units.
- ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``: AWS's six fields, parsed with croniter
  (AWS numbers the days of the week 1-7 from Sunday; cron 0-6).

A job that raises is logged and runs again at its next time; the scheduler itself never stops on it.

Queue consumers (``on_sqs_message``): one thread per queue asks it for up to ``batch_size`` messages
(at most 10, SQS's limit per receive) and calls the function with a Lambda-shaped SQS event, which
chalice turns into its ``SQSEvent``. When the function returns, the messages are deleted; when it
raises, they are left alone: they come back once the queue's visibility timeout has passed, and after
the redrive policy's ``maxReceiveCount`` receives the stand-in moves them to the dead-letter queue, as
SQS does. The consumer asks again at once after a batch and every second while the queue is empty. It
does not long-poll: the stand-in answers one request at a time, so a waiting receive would hold up
every other request the app makes. Queues are found by the name the app gives (``queue=``), the way
Chalice packages the event source.

One function runs at a time, whether a schedule or a queue started it: a slow one delays the others
by its run (never by a schedule tick), and none ever overlaps another.

Run: ``python -m local.scheduler`` (started by ``local.run``), or ``python -m local.scheduler --list``
and ``python -m local.scheduler --run-now NAME`` to run one job once, now (for a queue consumer: to
handle the messages waiting in its queue, until it is empty or a batch fails).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("scheduler")


class Schedule(Protocol):
    def next_after(self, moment: datetime) -> datetime: ...


@dataclass(frozen=True)
class RateSchedule:
    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval


@dataclass(frozen=True)
class CronSchedule:
    expression: str  # croniter's 7-field form: minute hour dom month dow second year

    def next_after(self, moment: datetime) -> datetime:
        from croniter import croniter

        result: datetime = croniter(self.expression, moment).get_next(datetime)
        return result


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}


def parse_schedule(expression: str) -> Schedule:
    """Parses an EventBridge schedule expression; raises ValueError on anything else."""
    expression = expression.strip()
    rate = _RATE.match(expression)
    if rate:
        value = int(rate.group(1))
        if value < 1:
            raise ValueError(f"rate must be at least 1: {expression}")
        unit = rate.group(2).lower()
        unit = _UNITS.get(unit, unit)
        return RateSchedule(timedelta(**{unit: value}))
    cron = _CRON.match(expression)
    if cron:
        return CronSchedule(aws_cron_to_croniter(cron.group(1)))
    raise ValueError(f"not an EventBridge schedule expression: {expression!r}")


def aws_cron_to_croniter(fields_text: str) -> str:
    fields = fields_text.split()
    if len(fields) != 6:
        raise ValueError(f"AWS cron takes 6 fields (min hour day-of-month month day-of-week year): {fields_text!r}")
    minute, hour, dom, month, dow, year = fields
    if "?" not in (dom, dow):
        raise ValueError(f"AWS cron needs '?' in day-of-month or day-of-week: {fields_text!r}")
    dom = "*" if dom == "?" else dom
    dow = "*" if dow == "?" else _aws_dow_to_cron(dow)
    expression = f"{minute} {hour} {dom} {month} {dow} 0 {year}"
    from croniter import croniter

    if not croniter.is_valid(expression):
        raise ValueError(f"unsupported cron expression: cron({fields_text})")
    return expression


def _aws_dow_to_cron(dow: str) -> str:
    """AWS counts days of the week 1 (SUN) to 7 (SAT); cron counts 0 (SUN) to 6 (SAT)."""

    def shift(number: str) -> str:
        value = int(number)
        if not 1 <= value <= 7:
            raise ValueError(f"day-of-week out of range 1-7: {dow!r}")
        return str(value - 1)

    parts = []
    for part in dow.split(","):
        if re.fullmatch(r"\d+L", part):  # AWS "6L" = last Friday; croniter writes it "L5"
            parts.append("L" + shift(part[:-1]))
            continue
        step = ""
        if "/" in part:
            part, step = part.split("/", 1)
            step = "/" + step
        nth = ""
        if "#" in part:
            part, nth = part.split("#", 1)
            nth = "#" + nth
        part = "-".join(shift(p) if p.isdigit() else p for p in part.split("-"))
        parts.append(part + nth + step)
    return ",".join(parts)


@dataclass(frozen=True)
class Job:
    name: str
    expression: str
    schedule: Schedule


def expression_text(expression: Any) -> str:
    return expression if isinstance(expression, str) else str(expression.to_string())


def discover(app: Any) -> list[Job]:
    """Every scheduled function of the Chalice app (blueprints included) with its parsed schedule."""
    from chalice.app import ScheduledEventConfig

    jobs = []
    for source in app.event_sources:
        if isinstance(source, ScheduledEventConfig):
            text = expression_text(source.schedule_expression)
            try:
                jobs.append(Job(source.name, text, parse_schedule(text)))
            except ValueError as error:
                log.error("job %s will not run locally: %s", source.name, error)
    return jobs


def scheduled_event(job: Job, now: datetime, region: str) -> dict[str, Any]:
    """The event EventBridge hands a scheduled Lambda (the same shape chalice.test generates)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/service-desk-local-{job.name}"],
        "detail": {},
    }


def run_job(app: Any, job: Job, now: datetime) -> bool:
    """Invokes one job like Lambda would. Returns whether it succeeded; never raises."""
    from chalice.local import LambdaContext

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    started = time.monotonic()
    try:
        handler = app.handler_map[job.name]
        handler(scheduled_event(job, now, region), LambdaContext(job.name, memory_size=128))
    except Exception:
        log.error("job %s failed after %.2fs:\n%s", job.name, time.monotonic() - started, traceback.format_exc())
        return False
    log.info("job %s ran in %.2fs", job.name, time.monotonic() - started)
    return True


@dataclass(frozen=True)
class QueueConsumer:
    """An ``on_sqs_message`` function and the queue it reads, as its event source mapping has them."""

    name: str
    queue: str  # the queue's name
    batch_size: int

    @property
    def expression(self) -> str:
        return f"sqs({self.queue}, batch size {self.batch_size})"


@dataclass(frozen=True)
class BoundQueue:
    """A consumer's queue as found in the stand-in."""

    url: str
    arn: str
    visibility_seconds: int


SQS_MAX_MESSAGES_PER_RECEIVE = 10
POLL_IDLE_SECONDS = 1.0
QUEUE_RETRY_SECONDS = 5.0
STOP_GRACE_SECONDS = 8.0  # local.run kills a child that has not stopped 10 s after SIGTERM


def discover_consumers(app: Any) -> list[QueueConsumer]:
    """Every ``on_sqs_message`` function of the Chalice app (blueprints included)."""
    from chalice.app import SQSEventConfig

    return [
        QueueConsumer(source.name, source.queue or str(source.queue_arn).rsplit(":", 1)[-1], source.batch_size)
        for source in app.event_sources
        if isinstance(source, SQSEventConfig)
    ]


def find_queue(sqs: Any, name: str) -> BoundQueue:
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "VisibilityTimeout"])["Attributes"]
    return BoundQueue(url, attributes["QueueArn"], int(attributes["VisibilityTimeout"]))


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping hands a function, from ReceiveMessage's messages."""
    region = queue_arn.split(":")[3]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {
                    name: _lambda_message_attribute(value)
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """ReceiveMessage's ``{"DataType", "StringValue"|"BinaryValue"}`` as Lambda spells it."""
    attribute: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return attribute


def poll_once(app: Any, consumer: QueueConsumer, sqs: Any, queue: BoundQueue, one_at_a_time: Any = None) -> bool | None:
    """One receive, and one invocation of the function if it got messages. Returns None when the queue
    had nothing visible, otherwise whether the function succeeded. Errors of the function are logged,
    never raised; errors talking to the queue are raised. ``one_at_a_time`` is held from the receive
    on, so no message waits out its visibility timeout behind a running job."""
    with one_at_a_time or contextlib.nullcontext():
        messages = sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=min(consumer.batch_size, SQS_MAX_MESSAGES_PER_RECEIVE),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return None
        return _invoke(app, consumer, sqs, queue, messages)


def _invoke(app: Any, consumer: QueueConsumer, sqs: Any, queue: BoundQueue, messages: list[dict[str, Any]]) -> bool:
    from chalice.local import LambdaContext

    started = time.monotonic()
    try:
        handler = app.handler_map[consumer.name]
        # Its time runs out when the messages become visible again, as a Lambda timeout would.
        context = LambdaContext(consumer.name, memory_size=128, max_runtime_ms=queue.visibility_seconds * 1000)
        handler(sqs_event(messages, queue.arn), context)
    except Exception:
        log.error(
            "function %s failed on %d message(s) of %s after %.2fs; they come back in %d s:\n%s",
            consumer.name,
            len(messages),
            consumer.queue,
            time.monotonic() - started,
            queue.visibility_seconds,
            traceback.format_exc(),
        )
        return False
    answer = sqs.delete_message_batch(
        QueueUrl=queue.url,
        Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
    )
    for failed in answer.get("Failed", []):
        log.warning("could not delete a handled message of %s: %s", consumer.queue, failed.get("Message"))
    log.info(
        "function %s handled %d message(s) of %s in %.2fs",
        consumer.name,
        len(messages),
        consumer.queue,
        time.monotonic() - started,
    )
    return True


def consume_forever(
    app: Any, consumer: QueueConsumer, sqs: Any, stop: threading.Event, one_at_a_time: Any = None
) -> None:
    """Feeds the function from its queue until ``stop``: the next batch at once after one, a look every
    second while the queue is empty. A queue that is missing or unreachable is looked for again."""
    queue: BoundQueue | None = None
    trouble = ""
    while not stop.is_set():
        try:
            if queue is None:
                queue = find_queue(sqs, consumer.queue)
                log.info("function %s reads queue %s (%s)", consumer.name, consumer.queue, queue.url)
            outcome = poll_once(app, consumer, sqs, queue, one_at_a_time)
            trouble = ""
        except Exception as error:  # the stand-in stopped, the queue was deleted, ...
            if str(error) != trouble:
                trouble = str(error)
                log.warning("function %s cannot read queue %s (%s); trying again", consumer.name, consumer.queue, error)
            queue = None
            stop.wait(QUEUE_RETRY_SECONDS)
            continue
        if outcome is None:
            stop.wait(POLL_IDLE_SECONDS)


def drain(app: Any, consumer: QueueConsumer, sqs: Any) -> bool:
    """``--run-now`` for a queue consumer: handles the waiting messages until none is left or a batch
    fails. Returns whether every batch succeeded."""
    queue = find_queue(sqs, consumer.queue)
    while True:
        outcome = poll_once(app, consumer, sqs, queue)
        if outcome is None:
            return True
        if not outcome:
            return False


def apply_stage_environment(stage: str, project_dir: Path = REPO_ROOT) -> None:
    """Sets the environment variables .chalice/config.json gives the stage, as ``chalice local`` does."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    variables = dict(config.get("environment_variables", {}))
    variables.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    os.environ.update({key: str(value) for key, value in variables.items()})


def load_app(project_dir: Path = REPO_ROOT) -> Any:
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    return importlib.import_module("app").app


class Timetable:
    """When each job runs next, by the app's clock; the loop in ``run_forever`` only asks it and
    waits, so the rules are tested with explicit ticks, without threads or sleeps."""

    def __init__(self, jobs: list[Job], now: datetime) -> None:
        self.jobs = jobs
        self.due = {job.name: job.schedule.next_after(now) for job in jobs}

    def next_due(self, now: datetime) -> tuple[Job | None, float]:
        """The job whose time has come at ``now`` (None if none), and else how many seconds remain."""
        # A clock moved back (a test undoing its jump) must not leave a job waiting for the old future.
        for job in self.jobs:
            self.due[job.name] = min(self.due[job.name], job.schedule.next_after(now))
        name = min(self.due, key=lambda n: self.due[n])
        wait = (self.due[name] - now).total_seconds()
        if wait > 0:
            return None, wait
        return next(j for j in self.jobs if j.name == name), 0.0

    def ran(self, job: Job, started: datetime) -> None:
        # The next run counts from when this one started, like EventBridge (so a clock moved during a
        # run makes the next one due at once); runs missed while the machine slept are skipped.
        self.due[job.name] = job.schedule.next_after(max(self.due[job.name], started))


def run_forever(app: Any, jobs: list[Job], stop: threading.Event, clock: Any, one_at_a_time: Any = None) -> None:
    """Runs jobs by the app's clock, which a test may move forward (``CLOCK_FILE``): a jump of an
    hour makes every job due at once, as if the hour had passed. ``one_at_a_time`` (a lock shared with
    the queue consumers) keeps a job from running while a consumer's function does."""
    timetable = Timetable(jobs, clock.now())
    for listed in jobs:
        log.info("job %s on %s, first run at %s", listed.name, listed.expression,
                 timetable.due[listed.name].isoformat())
    while jobs and not stop.is_set():
        job, wait = timetable.next_due(clock.now())
        if job is None:
            stop.wait(min(wait, 1.0))  # look again soon: the clock may have jumped (tests, sleep, NTP)
            continue
        started = clock.now()
        with one_at_a_time or contextlib.nullcontext():
            run_job(app, job, started)
        timetable.ran(job, started)
    stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", default="local")
    parser.add_argument(
        "--list", action="store_true", help="print the scheduled functions and queue consumers and exit"
    )
    parser.add_argument(
        "--run-now",
        metavar="NAME",
        help="run one scheduled function once (or one queue consumer until its queue is empty) and exit",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler: %(message)s", stream=sys.stdout)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    apply_stage_environment(args.stage)
    app = load_app()
    jobs = discover(app)
    consumers = discover_consumers(app)
    if args.list:
        listed: list[Job | QueueConsumer] = [*jobs, *consumers]
        for item in listed:
            print(f"{item.name}\t{item.expression}")
        return 0
    if args.run_now:
        chosen_jobs = [job for job in jobs if job.name == args.run_now]
        chosen_consumers = [consumer for consumer in consumers if consumer.name == args.run_now]
        if chosen_jobs:
            return 0 if run_job(app, chosen_jobs[0], datetime.now(UTC)) else 1
        if chosen_consumers:
            return 0 if drain(app, chosen_consumers[0], sqs_client()) else 1
        print(f"no scheduled function or queue consumer named {args.run_now!r}; try --list", file=sys.stderr)
        return 2

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # under local.run, Ctrl-C is its business
        signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    parent = os.getppid()

    def stop_when_orphaned() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                stop.set()

    threading.Thread(target=stop_when_orphaned, daemon=True).start()
    if not jobs:
        log.info("the app has no scheduled functions")
    from chalicelib.settings import Settings
    from chalicelib.wiring import clock_for

    one_at_a_time = threading.Lock()
    consuming = []
    if consumers:
        sqs = sqs_client()  # made here, before any thread: making boto3 clients is not thread-safe
        for consumer in consumers:
            thread = threading.Thread(
                target=consume_forever, args=(app, consumer, sqs, stop, one_at_a_time), name=consumer.name, daemon=True
            )
            thread.start()
            consuming.append(thread)
    run_forever(app, jobs, stop, clock_for(Settings()), one_at_a_time)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for thread in consuming:  # a function that is running may finish, so its messages are deleted
        thread.join(max(0.0, deadline - time.monotonic()))
    log.info("stopped")
    return 0


def sqs_client() -> Any:
    import boto3

    return boto3.client("sqs")


if __name__ == "__main__":
    sys.exit(main())
