"""Outgoing webhooks from a shell (the same as the staff API's ``/api/v1/webhooks``, for an admin at a
terminal): subscribe a receiver's URL to events, list, remove, and read a subscription's delivery log.

    python -m ops.webhooks secret --secret-name service-desk/webhook/erp     # a new random signing secret
    python -m ops.webhooks add --name ERP --url https://erp.example.com/hooks/desk \
        --event ticket.opened --event ticket.closed --secret-name service-desk/webhook/erp
    python -m ops.webhooks list
    python -m ops.webhooks log <subscription id>
    python -m ops.webhooks remove <subscription id>

``secret`` stores a random signing secret in Secrets Manager under ``service-desk/webhook/`` (the only
names the functions may read) and prints it once, for the receiver to check signatures with.
Exit status 2 with the reason when a subscription is refused (not https, unknown event, a secret that
cannot sign).
"""

from __future__ import annotations

import argparse
import secrets
import sys

from pydantic import ValidationError

from chalicelib import wiring
from chalicelib.adapters.aws import client
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.webhooks import SECRET_PREFIX, SubscriptionRequest, WebhookEvent
from chalicelib.services.webhooks import UnknownSubscription, UnusableSecret

# The operator at the command line holds the account's own credentials: trusted, recorded by this name.
OPERATOR = SystemActor("ops.webhooks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.webhooks", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    secret = sub.add_parser("secret", help="store a new random signing secret and print it once")
    secret.add_argument("--secret-name", required=True, help=f"{SECRET_PREFIX}<name>")
    add = sub.add_parser("add", help="subscribe a URL to events")
    add.add_argument("--name", required=True)
    add.add_argument("--url", required=True)
    add.add_argument("--event", action="append", required=True, choices=[e.value for e in WebhookEvent])
    add.add_argument("--secret-name", required=True, help=f"{SECRET_PREFIX}<name>, holding the signing secret")
    sub.add_parser("list", help="every subscription")
    for name, text in (("remove", "remove a subscription"), ("log", "a subscription's delivery log, newest first")):
        sub.add_parser(name, help=text).add_argument("subscription_id")
    args = parser.parse_args(argv)
    service = wiring.webhooks()
    try:
        if args.command == "secret":
            if not args.secret_name.startswith(SECRET_PREFIX):
                print(f"the name must start with {SECRET_PREFIX}", file=sys.stderr)
                return 2
            value = secrets.token_urlsafe(32)
            client("secretsmanager").create_secret(Name=args.secret_name, SecretString=value)
            print(f"{args.secret_name}: {value}  (shown once: give it to the receiver)")
        elif args.command == "add":
            request = SubscriptionRequest(
                name=args.name, url=args.url, events=frozenset(args.event), secret_name=args.secret_name
            )
            made = service.register(request, actor=OPERATOR)
            print(f"subscribed {made.id}: {made.shown().url} hears {', '.join(sorted(made.events))}")
        elif args.command == "list":
            for found in service.subscriptions():
                print(f"{found.id}  {found.name}  {found.shown().url}  {', '.join(sorted(found.events))}  {found.secret_name}")
        elif args.command == "remove":
            service.remove(args.subscription_id, actor=OPERATOR)
            print(f"removed {args.subscription_id}")
        else:
            for attempt in service.log(args.subscription_id):
                print(
                    f"{attempt.at.isoformat()}  {attempt.event}  {attempt.ticket_number}  #{attempt.attempt}  "
                    f"{attempt.outcome}  {attempt.status_code or '-'}  {attempt.error or ''}".rstrip()
                )
    except ValidationError as error:
        print(f"not a valid subscription: {error}", file=sys.stderr)
        return 2
    except UnusableSecret as error:
        print(str(error), file=sys.stderr)
        return 2
    except UnknownSubscription:
        print(f"no subscription {args.subscription_id}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
