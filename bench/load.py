"""Concurrent customers on the local stack: every report becomes one ticket, and no message goes out twice.

    .venv/bin/python -m bench.load [--clients 20] [--submissions 1000] [--doubles 0.1]

Starts a whole stack (``python -m local.run``, as ``make run`` and the end-to-end tests do) on free
ports with its own state directory and the front door's per-hour limits lifted, then ``--clients``
threads post the customer's form (``POST /requests``, urlencoded) over HTTP until ``--submissions``
distinct reports are in. A share ``--doubles`` of them is a double click: the same form, with the same
idempotency key, sent twice at once. After the last answer the stack delivers what is still due
(``deliver_notifications`` run on demand) and the stand-in's list of sent messages is read.

It reports throughput, p50/p95 latency, the answers by status, tickets in the table against distinct
submissions, double submissions answered with different receipts, and messages sent more than once
(the same kind, recipient, subject and text: every message carries its ticket's number or private
link). Exit 1 unless every answer is a 303 to a tracking page, tickets equal submissions, both
answers of each double name the same ticket, and no message was sent twice.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import boto3

from bench.local_stack import _NoRedirect, report
from chalicelib.adapters.local_sent_messages import sent_messages
from chalicelib.settings import get_settings
from tests.e2e.stack import LocalStack

# Every client posts from 127.0.0.1 and the bench sends thousands of reports: lift the front door's limits.
UNLIMITED = {"INTAKE_LIMIT_PHONE_PER_HOUR": "1000000", "INTAKE_LIMIT_IP_PER_HOUR": "1000000",
             "CONFIRMATION_SMS_PER_PHONE_PER_DAY": "1000000"}
REQUEST_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Answer:
    submission: int
    status: int  # 0: no HTTP answer at all (connection refused or reset, timed out)
    location: str
    seconds: float


@dataclass
class Result:
    clients: int
    submissions: int
    doubles: int
    answers: list[Answer] = field(default_factory=list)
    seconds: float = 0.0
    tickets: int = 0
    messages: int = 0
    messages_repeated: int = 0  # sends beyond the first of the same message

    @property
    def requests(self) -> int:
        return len(self.answers)

    def statuses(self) -> Counter[int]:
        return Counter(a.status for a in self.answers)

    def server_errors(self) -> int:
        return sum(1 for a in self.answers if a.status >= 500 or a.status == 0)

    def percentile_ms(self, share: float) -> float:
        ordered = sorted(a.seconds for a in self.answers)
        return 1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0

    def split_doubles(self) -> int:
        """Double submissions whose two answers do not name the same ticket."""
        receipts: dict[int, set[str]] = {}
        for a in self.answers:
            receipts.setdefault(a.submission, set()).add(a.location if a.status == 303 else f"status {a.status}")
        return sum(1 for found in receipts.values() if len(found) > 1)

    def problems(self) -> list[str]:
        found = []
        others = {status: n for status, n in self.statuses().items() if status != 303}
        if others:
            found.append("answers other than 303: " + ", ".join(f"{n} × {s or 'none'}" for s, n in sorted(others.items())))
        if self.tickets != self.submissions:
            found.append(f"{self.tickets} tickets for {self.submissions} distinct submissions")
        if self.split_doubles():
            found.append(f"{self.split_doubles()} double submissions answered with different receipts")
        if self.messages_repeated:
            found.append(f"{self.messages_repeated} messages sent more than once")
        return found


_opener = urllib.request.build_opener(_NoRedirect)


def post_form(app_url: str, submission: int, body: bytes) -> Answer:
    request = urllib.request.Request(f"{app_url}/requests", data=body,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    started = time.perf_counter()
    status, location = 0, ""
    try:
        with _opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as answer:
        status, location = answer.code, answer.headers.get("Location", "")
    except OSError as error:
        location = repr(error)
    return Answer(submission, status, location, time.perf_counter() - started)


def submit(app_url: str, n: int, double: bool) -> list[Answer]:
    """One customer's submission; a double click sends the same form twice at once."""
    body = urllib.parse.urlencode({**report(n), "idempotency_key": uuid.uuid4().hex}).encode()
    if not double:
        return [post_form(app_url, n, body)]
    answers: list[Answer] = []
    twin = threading.Thread(target=lambda: answers.append(post_form(app_url, n, body)))
    twin.start()
    answers.append(post_form(app_url, n, body))
    twin.join()
    return answers


def count_tickets(stack: LocalStack) -> int:
    ddb = boto3.client("dynamodb", endpoint_url=stack.aws_url)
    count = 0
    for page in ddb.get_paginator("scan").paginate(
        TableName=get_settings().table_name, Select="COUNT", FilterExpression="sk = :ticket",
        ExpressionAttributeValues={":ticket": {"S": "TICKET"}},
    ):
        count += page["Count"]
    return count


def repeated_sends(stack: LocalStack) -> tuple[int, int]:
    """All messages the stand-in sent, and how many of them repeat one sent before."""
    sent = sent_messages(stack.aws_url, timeout=REQUEST_TIMEOUT_SECONDS)
    copies = Counter((m.kind, m.to, m.subject, m.body) for m in sent)
    return len(sent), sum(n - 1 for n in copies.values())


@contextmanager
def local_stack(work: Path) -> Iterator[LocalStack]:
    with mock.patch.dict("os.environ", UNLIMITED):
        stack = LocalStack(work / "state", work / "stack.log")
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()


def run(clients: int, submissions: int, doubles: float, seed: int = 1) -> Result:
    doubled = set(random.Random(seed).sample(range(submissions), round(doubles * submissions)))
    result = Result(clients, submissions, len(doubled))
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        with local_stack(work) as stack:
            # The app's first request imports and connects; the stack's own warm-up is not measured.
            post_form(stack.app_url, -1, b"")
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                for answers in pool.map(lambda n: submit(stack.app_url, n, n in doubled), range(submissions)):
                    result.answers.extend(answers)
            result.seconds = time.perf_counter() - started
            stack.run_now("deliver_notifications")  # whatever is still due leaves before the count
            result.tickets = count_tickets(stack)
            result.messages, result.messages_repeated = repeated_sends(stack)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def table(result: Result) -> str:
    statuses = " · ".join(f"{status or 'none'} {n:,}" for status, n in sorted(result.statuses().items()))
    rows = [
        ("clients", f"{result.clients:,}", "threads posting the form at once"),
        ("distinct submissions", f"{result.submissions:,}", f"{result.doubles:,} of them sent twice at once "
                                                             "(same idempotency key)"),
        ("requests", f"{result.requests:,}", statuses),
        ("throughput", f"{result.requests / result.seconds:.1f}/s", f"{result.seconds:.1f} s in all"),
        ("latency p50", f"{result.percentile_ms(0.5):,.0f} ms", "until the answer"),
        ("latency p95", f"{result.percentile_ms(0.95):,.0f} ms", f"max {result.percentile_ms(1.0):,.0f} ms"),
        ("5xx", f"{result.server_errors():,}", "and requests with no answer"),
        ("tickets created", f"{result.tickets:,}", f"for {result.submissions:,} distinct submissions"),
        ("doubles split", f"{result.split_doubles():,}", "double submissions answered with different receipts"),
        ("messages sent", f"{result.messages:,}", "emails and SMS the stand-in took"),
        ("sent more than once", f"{result.messages_repeated:,}", "same kind, recipient, subject and text"),
    ]
    return "\n".join(f"{name:<22}{value:>12}   {note}" for name, value, note in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--submissions", type=int, default=1000, help="distinct reports")
    parser.add_argument("--doubles", type=float, default=0.1, help="share of reports sent twice at once")
    parser.add_argument("--seed", type=int, default=1, help="picks which reports are sent twice")
    args = parser.parse_args(argv)
    result = run(args.clients, args.submissions, args.doubles, args.seed)
    print(table(result))
    problems = result.problems()
    for problem in problems:
        print(f"FAILED: {problem}")
    print("OK: one ticket per submission, one receipt per double, no message sent twice" if not problems
          else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
