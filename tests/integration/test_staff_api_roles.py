"""The staff API's role/scope matrix: for every operation of its resources, a caller in none of the
operation's roles (an integration's scopes, a technician's token) is refused with a 403 that says why,
one in a role it names gets past the check (to its own 2xx or 4xx; a person, where integrations may not
call it), and a caller without a token gets a 401."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain.staff import StaffRole
from chalicelib.web.staff_api_kit import PEOPLE_ONLY, ROLES
from tests.integration.test_staff_api import JSON, machine

# Past the role check each operation meets these and answers 404 or 400, quickly (a real month would be built).
EXAMPLE_PARAMS = {
    "number": "SD-2026-000001",
    "customer_id": "C-1",
    "serial_number": "SN-1",
    "month": "1999-13",
    "extension": "csv",
    "requisition_id": "R1",
    "loaner_id": "L1",
    "task_id": "2026-12-01.repair.x",
    "visit_id": "O1",
    "kind": "pdf",
    "client_id": "no-such-client",
}


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: EXAMPLE_PARAMS[m.group(1)], path)


@pytest.fixture(scope="module")
def operations():
    import app  # noqa: F401  (registers every resource's operations)

    assert len(ROLES) > 40
    return sorted(ROLES.items())


def _send(client, method: str, path: str, headers: dict[str, str]):
    if method == "GET":
        return client.http.get(_url(path), headers=headers)
    return client.http.request(method, _url(path), body="{}", headers=headers)


def test_each_operation_lets_in_its_roles_only(client, aws, staff_token, operations):
    # Signing a token takes a while: one per role. No integration acts as a technician (his jobs are a
    # person's own), so the technician signs in.
    tokens = {role: machine(aws, f"service-desk/{role.value}") for role in StaffRole if role != StaffRole.TECHNICIAN}
    tokens[StaffRole.TECHNICIAN] = {**JSON, "Authorization": f"Bearer {staff_token('tech-wang', StaffRole.TECHNICIAN)}"}
    people: dict[StaffRole, dict[str, str]] = {}  # for the operations no integration may call

    def person(role: StaffRole) -> dict[str, str]:
        if role not in people:
            people[role] = {**JSON, "Authorization": f"Bearer {staff_token(f'person-{role.value}', role)}"}
        return people[role]

    refused, let_in = [], []
    for (method, path), roles in operations:
        for role in StaffRole:
            if role in roles and role != min(roles):
                continue  # one role it names is enough to show the way in
            answer = _send(client, method, path, person(role) if (method, path) in PEOPLE_ONLY else tokens[role])
            if role in roles:
                if answer.status_code in (401, 403) or answer.status_code >= 500:
                    let_in.append((method, path, role.value, answer.status_code))
            elif (
                answer.status_code != 403 or answer.json_body["error"] != "forbidden" or not answer.json_body["message"]
            ):
                refused.append((method, path, role.value, answer.status_code))
        if (method, path) in PEOPLE_ONLY:
            answer = _send(client, method, path, machine(aws, *(f"service-desk/{role.value}" for role in roles)))
            if answer.status_code != 403:
                refused.append((method, path, "an integration in its roles", answer.status_code))
    assert refused == [], "a role the operation does not name got in"
    assert let_in == [], "a role the operation names was turned away"


def test_no_token_is_a_401_and_a_token_without_our_scopes_a_403(client, aws, operations):
    outsider = machine(aws, "aws.cognito.signin.user.admin")
    for (method, path), _ in operations:
        assert _send(client, method, path, {"Content-Type": "application/json"}).status_code == 401, path
        assert _send(client, method, path, outsider).status_code == 403, path
