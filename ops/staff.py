"""Staff accounts: an administrator adds people in their roles (Cognito groups).

    python -m ops.staff add --pool <UserPoolId> --username li.gong --role technician --email li@example.com \
        --phone +8613900001234 --name 李工

Pages show the ``--name`` (李工) wherever people read who did what; without one they show the login.

Without ``--password`` Cognito mails a temporary password that must be changed at first sign-in.
"""

from __future__ import annotations

import argparse
import sys

from chalicelib.adapters.cognito import add_staff
from chalicelib.domain.staff import StaffRole

# Local demo accounts: the user name is the role, plus a technician with a name of their own.
DEMO_STAFF: dict[str, list[StaffRole]] = {
    **{role.value: [role] for role in StaffRole},
    "tech-wang": [StaffRole.TECHNICIAN],
}


# Where the demo technicians are told of their jobs (the local outbox shows the messages).
DEMO_CONTACTS: dict[str, tuple[str, str]] = {
    "technician": ("+8613900000001", "technician@service-desk.local"),
    "tech-wang": ("+8613900000002", "tech-wang@service-desk.local"),
}


# What the pages call the demo accounts.
DEMO_NAMES: dict[str, str] = {
    "desk": "前台小刘",
    "supervisor": "调度张主管",
    "technician": "李工",
    "tech-wang": "王工",
    "chief_engineer": "陈总工",
    "general_manager": "赵总",
    "quality": "质量部孙工",
    "admin": "管理员",
}


def add_demo_staff(pool_id: str, password: str) -> None:
    for username, roles in DEMO_STAFF.items():
        phone, email = DEMO_CONTACTS.get(username, (None, None))
        add_staff(pool_id, username, roles, password=password, phone=phone, email=email,
                  name=DEMO_NAMES.get(username))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.staff", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create a staff account in one or more roles")
    add.add_argument("--pool", required=True, help="the Cognito user pool id (stack output UserPoolId)")
    add.add_argument("--username", required=True)
    add.add_argument("--role", action="append", required=True, choices=[r.value for r in StaffRole])
    add.add_argument("--email", required=True, help="for password recovery (the pool requires one)")
    add.add_argument("--phone", help="mobile number in E.164 (+86...): a technician is told of his jobs by SMS")
    add.add_argument("--name", help="the name people know them by (王工), shown on pages instead of the login")
    add.add_argument("--password", help="set a permanent password at once (local/testing only)")
    args = parser.parse_args(argv)
    add_staff(args.pool, args.username, [StaffRole(r) for r in args.role], password=args.password, email=args.email,
              phone=args.phone, name=args.name)
    print(f"added {args.username} as {', '.join(args.role)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
