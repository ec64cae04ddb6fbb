"""After every scenario over the in-memory world: no open ticket that owes a ladder step is missing from
the sweep's ``due`` index or wakes after that step (the promise that no deadline slips silently)."""

import pytest

from ops.check_invariants import due_index_violations
from tests.fakes import WORLDS_MADE


@pytest.fixture(autouse=True)
def _no_deadline_slips_silently(request):
    WORLDS_MADE.clear()
    yield
    # A module that writes tickets straight into the store (a month of history for the report), not
    # through the services that arm the index, says so.
    if not getattr(request.module, "TICKETS_GO_THROUGH_THE_SERVICES", True):
        WORLDS_MADE.clear()
        return
    for world in WORLDS_MADE:
        violations = due_index_violations(world.tickets, world.services.sla, world.clock.now())
        assert not violations, "\n".join(map(str, violations))
    WORLDS_MADE.clear()
