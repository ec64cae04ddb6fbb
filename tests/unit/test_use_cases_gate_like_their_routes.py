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
