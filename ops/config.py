"""Operator commands for configuration that changes without a deploy: service plans and the
escalation roster (who holds each level, per region or product line).

    python -m ops.config plans list
    python -m ops.config plans put my-plan.json         # validated before it is stored
    python -m ops.config rosters list
    python -m ops.config rosters put roster-gd.json
    python -m ops.config rosters demo                    # the demo roster the local stack starts with

It talks to whatever AWS the environment names (``AWS_ENDPOINT_URL`` for the local stack, a profile
for AWS) and the table in ``TABLE_NAME``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from chalicelib.adapters.dynamodb_config import DynamoConfig
from chalicelib.domain.calendars import BusinessHours
from chalicelib.domain.escalation import Person, Roster
from chalicelib.domain.plans import DEFAULT_PLANS, Role, ServicePlan
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
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.config", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["plans", "rosters"])
    parser.add_argument("action", choices=["list", "put", "demo"])
    parser.add_argument("file", nargs="?", type=Path, help="JSON file for 'put'")
    args = parser.parse_args(argv)
    store = DynamoConfig(get_settings().table_name)

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
        else:
            roster = Roster.model_validate(data)
            store.put_roster(roster)
            print(f"stored roster for scope {roster.scope!r}")
    except (OSError, json.JSONDecodeError) as error:
        print(f"cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    except ValidationError as error:
        print(f"{args.file} is not a valid {args.what[:-1]}:\n{error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
