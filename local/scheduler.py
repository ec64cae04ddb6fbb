"""Runs the app's scheduled functions on their schedules, as EventBridge does on AWS.

``chalice local`` serves routes only; it never runs ``@app.schedule`` functions. This process imports
the app, finds every scheduled function in ``app.event_sources`` and calls its handler with a
CloudWatch scheduled event, the way Lambda would. Schedules are evaluated in UTC, like EventBridge.

- ``rate(N minute|minutes|hour|hours|day|days)``: first run N units after start, then every N units.
- ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``: AWS's six fields, parsed with croniter
  (AWS numbers the days of the week 1-7 from Sunday; cron 0-6).

A job that raises is logged and runs again at its next time; the scheduler itself never stops on it.
Jobs run one at a time, so a slow job delays the others but never overlaps itself.

Run: ``python -m local.scheduler`` (started by ``local.run``), or ``python -m local.scheduler --list``
and ``python -m local.scheduler --run-now NAME`` to run one job once, now.
"""

from __future__ import annotations

import argparse
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


def run_forever(app: Any, jobs: list[Job], stop: threading.Event, clock: Any) -> None:
    """Runs jobs by the app's clock, which a test may move forward (``CLOCK_FILE``): a jump of an
    hour makes every job due at once, as if the hour had passed."""
    now = clock.now()
    due = {job.name: job.schedule.next_after(now) for job in jobs}
    for job in jobs:
        log.info("job %s on %s, first run at %s", job.name, job.expression, due[job.name].isoformat())
    while jobs and not stop.is_set():
        now = clock.now()
        # A clock moved back (a test undoing its jump) must not leave a job waiting for the old future.
        for job in jobs:
            due[job.name] = min(due[job.name], job.schedule.next_after(now))
        name = min(due, key=lambda n: due[n])
        wait = (due[name] - now).total_seconds()
        if wait > 0:
            stop.wait(min(wait, 1.0))  # look again soon: the clock may have jumped (tests, sleep, NTP)
            continue
        job = next(j for j in jobs if j.name == name)
        started = clock.now()
        run_job(app, job, started)
        # The next run counts from when this one started, like EventBridge (so a clock moved during a
        # run makes the next one due at once); runs missed while the machine slept are skipped.
        due[name] = job.schedule.next_after(max(due[name], started))
    stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--list", action="store_true", help="print the scheduled functions and exit")
    parser.add_argument("--run-now", metavar="NAME", help="run one scheduled function once and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler: %(message)s", stream=sys.stdout)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    apply_stage_environment(args.stage)
    app = load_app()
    jobs = discover(app)
    if args.list:
        for job in jobs:
            print(f"{job.name}\t{job.expression}")
        return 0
    if args.run_now:
        chosen = [job for job in jobs if job.name == args.run_now]
        if not chosen:
            print(f"no scheduled function named {args.run_now!r}; try --list", file=sys.stderr)
            return 2
        return 0 if run_job(app, chosen[0], datetime.now(UTC)) else 1

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

    run_forever(app, jobs, stop, clock_for(Settings()))
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
