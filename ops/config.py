"""Operator commands for configuration that changes without a deploy: service plans, the
escalation roster (who holds each level, per region or product line), and each year's holidays and
make-up working days (entered every autumn from the State Council's notice for the next year).

    python -m ops.config plans list
    python -m ops.config plans put my-plan.json         # validated before it is stored
    python -m ops.config rosters list
    python -m ops.config rosters put roster-gd.json      # team chats: name a secret, never a webhook URL
    python -m ops.config rosters demo                    # the demo roster the local stack starts with
    python -m ops.config on-call set --level supervisor --name 赵工 --phone +8613900000011 [--scope region:CN-GD]
    python -m ops.config on-call clear --level supervisor [--scope default]
    python -m ops.config calendars list                  # stored years, and what each coming year rests on
    python -m ops.config calendars put ops/calendars/CN-2026.json

It talks to whatever AWS the environment names (``AWS_ENDPOINT_URL`` for the local stack, a profile
for AWS) and the table in ``TABLE_NAME``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from chalicelib.adapters.dynamodb_config import DynamoConfig
from chalicelib.domain.calendars import BusinessHours
from chalicelib.domain.escalation import LADDER, Person, Roster
from chalicelib.domain.holidays import HolidayBook, YearSchedule, years_to_cover
from chalicelib.domain.plans import DEFAULT_PLANS, Role, ServicePlan
from chalicelib.domain.sms_budget import told_by_sms_only
from chalicelib.services.sla import set_on_call
from chalicelib.settings import get_settings

DEMO_ROSTER = Roster(
    scope="default",
    levels={
        Role.SUPERVISOR: (
            Person(name="张主管", email="supervisor@service-desk.local", phone="+8613900000001", calendar=BusinessHours()),
        ),
        Role.CHIEF_ENGINEER: (
            Person(name="李总工", email="chief.engineer@service-desk.local", phone="+8613900000002",
                   calendar=BusinessHours()),
        ),
        Role.GENERAL_MANAGER: (
            Person(name="王总经理", email="gm@service-desk.local", phone="+8613900000003", calendar=BusinessHours()),
        ),
    },
    # Who answers a 24/7 job's deadlines out of hours. Nobody is on call for the general manager: out of
    # hours he is told himself.
    on_call={
        Role.SUPERVISOR: (
            Person(name="赵值班", email="duty.supervisor@service-desk.local", phone="+8613900000011"),
        ),
        Role.CHIEF_ENGINEER: (
            Person(name="钱值班总工", email="duty.engineer@service-desk.local", phone="+8613900000012"),
        ),
    },
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.config", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["plans", "rosters", "calendars", "on-call"])
    parser.add_argument("action", choices=["list", "put", "demo", "set", "clear"])
    parser.add_argument("file", nargs="?", type=Path, help="JSON file for 'put'")
    on_call = parser.add_argument_group("on-call", "who answers a level out of hours on 24/7 deadlines")
    on_call.add_argument("--scope", default="default", help="default, region:CN-GD or product:<line>")
    on_call.add_argument("--level", choices=[role.value for role in LADDER])
    on_call.add_argument("--name")
    on_call.add_argument("--phone")
    on_call.add_argument("--email")
    args = parser.parse_args(argv)
    store = DynamoConfig(get_settings().table_name)

    if args.what == "on-call":
        return _on_call(parser, store, args)
    if args.action in ("set", "clear"):
        parser.error("set and clear are for on-call")
    if args.what == "calendars" and args.action == "list":
        return _list_calendars(store)
    if args.action == "list":
        stored = store.plans() if args.what == "plans" else store.rosters()
        if args.what == "plans":
            print("built-in:", ", ".join(p.name for p in DEFAULT_PLANS))
        print(json.dumps([item.model_dump(mode="json") for item in stored], ensure_ascii=False, indent=2))
        return 0
    if args.action == "demo":
        if args.what != "rosters":
            parser.error("only rosters have a demo")
        store.put_roster(DEMO_ROSTER)
        print("stored the demo roster (scope: default)")
        return 0
    if args.file is None:
        parser.error("put needs a JSON file")
    try:
        data = json.loads(args.file.read_text(encoding="utf-8"))
        if args.what == "plans":
            plan = ServicePlan.model_validate(data)
            store.put_plan(plan)
            print(f"stored plan {plan.name!r}")
        elif args.what == "calendars":
            schedule = YearSchedule.model_validate(data)
            store.put_calendar(schedule)
            state = "official" if schedule.official else "provisional"
            print(f"stored the {state} holiday schedule of {schedule.region} {schedule.year}: "
                  f"{len(schedule.holidays)} days off, {len(schedule.working_days)} make-up working days")
        else:
            urls = list(_urls_in(data))
            if urls:
                # A webhook URL is a credential: the table is read by every function and many operators.
                print(f"{args.file} names a URL at {', '.join(urls)}: a team chat's webhook URL belongs in Secrets "
                      "Manager; give the secret's name instead (docs/deploy.md)", file=sys.stderr)
                return 2
            roster = Roster.model_validate(data)
            store.put_roster(roster)
            print(f"stored roster for scope {roster.scope!r}")
            for level, name in told_by_sms_only(roster):
                print(f"warning: {name} ({level}) is told by SMS only: while SMS are refused (the spend limit "
                      "reached, throttling) their escalations reach nobody; give them an email, or the level a "
                      "team chat", file=sys.stderr)
    except (OSError, json.JSONDecodeError) as error:
        print(f"cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    except ValidationError as error:
        print(f"{args.file} is not a valid {args.what[:-1]}:\n{error}", file=sys.stderr)
        return 2
    return 0


def _on_call(parser: argparse.ArgumentParser, store: DynamoConfig, args: argparse.Namespace) -> int:
    """Names (``set``) or removes (``clear``) who is on call for one level of one scope's roster, keeping
    the rest of that roster: the rota changes every week, the roster rarely."""
    rosters = {roster.scope: roster for roster in store.rosters()}
    if args.action == "list":
        print(json.dumps({scope: {role.value: [p.model_dump(mode="json", include={"name", "phone", "email"})
                                               for p in people] for role, people in roster.on_call.items()}
                          for scope, roster in rosters.items()}, ensure_ascii=False, indent=2))
        return 0
    if args.action not in ("set", "clear") or not args.level:
        parser.error("on-call takes list, or set/clear with --level")
    role = Role(args.level)
    holder = None
    if args.action == "set":
        if not args.name or not (args.phone or args.email):
            parser.error("on-call set needs --name and a --phone or --email to reach them")
        try:
            holder = Person(name=args.name, phone=args.phone, email=args.email)
        except ValidationError as error:
            print(f"not a valid on-call holder:\n{error}", file=sys.stderr)
            return 2
    set_on_call(store, args.scope, role, holder)
    who = f"{args.name} is on call" if args.action == "set" else "nobody is on call"
    print(f"{args.scope}: {who} for {role.value}")
    return 0


def _urls_in(value: object, where: str = "") -> Iterator[str]:
    """Where in a roster's JSON a URL is written (no roster field holds one)."""
    if isinstance(value, str) and "://" in value:
        yield where or "the top"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _urls_in(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _urls_in(item, f"{where}[{index}]")


def _list_calendars(store: DynamoConfig) -> int:
    """Stored schedules, then what the years deadlines reach now rest on; exit 1 when one is not official."""
    book = HolidayBook(store.calendars())
    for schedule in book.stored:
        state = "official" if schedule.official else "provisional"
        print(f"{schedule.region} {schedule.year}: {state}, {len(schedule.holidays)} days off, "
              f"{len(schedule.working_days)} make-up working days ({schedule.source})")
    today = datetime.now(ZoneInfo(get_settings().timezone)).date()
    years = years_to_cover(today)
    for year in years:
        print(f"{year}: working days rest on {book.basis(year).value} data")
    return 1 if book.gaps(years) else 0


if __name__ == "__main__":
    sys.exit(main())
