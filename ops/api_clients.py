"""Integrations' credentials for the staff API: Cognito app clients that get access tokens by client
credentials, each scoped to the roles it may act in (``service-desk/<role>``; never technician).

    python -m ops.api_clients add --pool <UserPoolId> --name erp --role supervisor
    python -m ops.api_clients list --pool <UserPoolId>
    python -m ops.api_clients remove --pool <UserPoolId> --client-id <id>

``add`` prints the client secret once. The integration posts
``grant_type=client_credentials&scope=service-desk/supervisor`` with its id and secret (HTTP Basic) to
the stack's ``ApiTokenEndpoint`` output, and calls ``/api/v1/...`` with ``Authorization: Bearer <token>``.
Removing the client ends its access when its last token expires (an hour at most).
"""

from __future__ import annotations

import argparse
import sys

from chalicelib.adapters.cognito import MACHINE_ROLES, add_api_client, api_clients, ensure_api_scopes, remove_api_client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.api_clients", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="make an integration's app client")
    add.add_argument("--name", required=True, help="who it is for (erp, crm)")
    add.add_argument("--role", action="append", required=True, choices=sorted(MACHINE_ROLES))
    listed = sub.add_parser("list", help="the integrations' app clients and their roles")
    remove = sub.add_parser("remove", help="delete an integration's app client")
    remove.add_argument("--client-id", required=True)
    for command in (add, listed, remove):
        command.add_argument("--pool", required=True, help="the Cognito user pool id (stack output UserPoolId)")
    args = parser.parse_args(argv)
    if args.command == "add":
        ensure_api_scopes(args.pool)
        made = add_api_client(args.pool, args.name, args.role)
        print(
            f"client id:     {made.client_id}\nclient secret: {made.secret}  (shown once: store it with the "
            f"integration)\nroles:         {', '.join(made.roles)}"
        )
    elif args.command == "list":
        for found in api_clients(args.pool):
            print(f"{found.client_id}  {found.name}  {', '.join(found.roles)}")
    else:
        remove_api_client(args.pool, args.client_id)
        print(f"removed {args.client_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
