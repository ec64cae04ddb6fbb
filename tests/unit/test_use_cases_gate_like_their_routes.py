"""A use case refuses exactly the roles its pages and staff API operations turn away: each route's gate
names the roles that the one table (``domain/permissions.py``) gives the step it calls."""

import pytest

from chalicelib.domain.permissions import STEP_ROLES, Work
from chalicelib.domain.ticket import Action
from chalicelib.web import aftercare, api_clients_page, archive, on_call, reports, staff_api, webhooks_page


@pytest.mark.parametrize(
    "step, gate",
    [
        (Action.RECORD_CALLBACK, aftercare.AFTERCARE_ROLES),
        (Work.SCHEDULE_MAINTENANCE, aftercare.AFTERCARE_ROLES),
        (Work.EDIT_ARCHIVE, archive.EDITORS),
        (Work.IMPORT_ARCHIVE, archive.EDITORS),
        (Work.PRINT_NAMEPLATES, archive.READERS),
        (Work.WITHDRAW_NAMEPLATE, archive.EDITORS),
        (Work.MANAGE_WEBHOOKS, webhooks_page.ADMINS),
        (Work.MANAGE_WEBHOOKS, staff_api.ADMINS),
        (Work.MANAGE_API_CLIENTS, api_clients_page.ADMINS),
        (Work.BUILD_REPORT, reports.REPORT_READERS),
        (Work.KEEP_ON_CALL_ROTA, on_call.ROTA_KEEPERS),
    ],
)
def test_the_route_lets_in_the_roles_that_take_its_step(step, gate):
    assert STEP_ROLES[step] == frozenset(gate)


def test_every_piece_of_the_offices_work_has_its_roles():
    assert set(Work) <= set(STEP_ROLES)


API = "/api/v1"
# Each staff API operation that takes a checked step, and the step (its declared roles: staff_api_kit.ROLES).
OPERATIONS = {
    ("POST", "/tickets/{number}/billing"): Action.DECIDE_BILLING,
    ("POST", "/tickets/{number}/quote"): Action.DRAFT_QUOTE,
    ("POST", "/tickets/{number}/quote/send"): Action.SEND_QUOTE,
    ("POST", "/tickets/{number}/invoice"): Action.INVOICE,
    ("POST", "/tickets/{number}/payments"): Action.RECORD_PAYMENT,
    ("POST", "/tickets/{number}/parts"): Action.REQUEST_PARTS,
    ("POST", "/tickets/{number}/parts/{requisition_id}/review"): Action.REVIEW_PARTS,
    ("POST", "/tickets/{number}/parts/{requisition_id}/lead-time"): Action.PARTS_LEAD_TIME,
    ("POST", "/tickets/{number}/parts/{requisition_id}/ship"): Action.SHIP_PARTS,
    ("POST", "/tickets/{number}/parts/{requisition_id}/receive"): Action.RECEIVE_PARTS,
    ("POST", "/tickets/{number}/loaners"): Action.ISSUE_LOANER,
    ("POST", "/tickets/{number}/loaners/{loaner_id}/return"): Action.RETURN_LOANER,
    ("POST", "/tickets/{number}/overtime/{visit_id}"): Action.DECIDE_OVERTIME,
    ("POST", "/callbacks/{task_id}"): Action.RECORD_CALLBACK,
    ("POST", "/maintenance"): Work.SCHEDULE_MAINTENANCE,
    ("POST", "/customers"): Work.EDIT_ARCHIVE,
    ("POST", "/customers/{customer_id}"): Work.EDIT_ARCHIVE,
    ("POST", "/customers/{customer_id}/products"): Work.EDIT_ARCHIVE,
    ("POST", "/products/{serial_number}"): Work.EDIT_ARCHIVE,
    ("POST", "/archive/imports"): Work.IMPORT_ARCHIVE,
    ("GET", "/products/{serial_number}/code/{kind}"): Work.PRINT_NAMEPLATES,
    ("GET", "/customers/{customer_id}/labels"): Work.PRINT_NAMEPLATES,
    ("POST", "/products/{serial_number}/code/withdraw"): Work.WITHDRAW_NAMEPLATE,
    ("POST", "/api-clients"): Work.MANAGE_API_CLIENTS,
    ("DELETE", "/api-clients/{client_id}"): Work.MANAGE_API_CLIENTS,
    ("POST", "/reports/{month}/builds"): Work.BUILD_REPORT,
    ("POST", "/on-call"): Work.KEEP_ON_CALL_ROTA,
}


def test_each_staff_api_operation_declares_the_roles_that_take_its_step():
    import app  # noqa: F401  (registers every resource's operations)
    from chalicelib.web.staff_api_kit import ROLES

    declared = {operation: ROLES[(operation[0], API + operation[1])] for operation in OPERATIONS}
    assert declared == {operation: STEP_ROLES[step] for operation, step in OPERATIONS.items()}


@pytest.mark.parametrize(
    "name, action",
    [
        ("classify", Action.CLASSIFY),
        ("contact", Action.RECORD_CONTACT),
        ("agreed-date", Action.CLASSIFY),
        ("dispatch", Action.DISPATCH),
        ("pause", Action.PAUSE),
        ("resume", Action.RESUME),
        ("cancel", Action.CANCEL),
        ("approve", Action.APPROVE),
        ("reject-closure", Action.REJECT_CLOSURE),
        ("check-in", Action.CHECK_IN),
    ],
)
def test_each_move_of_the_staff_api_lets_in_the_roles_that_take_it(name, action):
    assert frozenset(staff_api.MOVES[name][2]) == STEP_ROLES[action]
