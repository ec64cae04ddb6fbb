"""Every use case names the payload its move records: none is read back from the ticket fields a move changed
(that reading is for moves made by hand and for records stored before payloads were typed)."""

from __future__ import annotations

import pytest

from chalicelib.domain import ticket as ticket_module
from tests.service.test_timeline import story  # noqa: F401  (the job and the complaint through every action)

READ_FROM_FIELDS: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def moves_read_from_their_fields():
    read = ticket_module._recorded

    def noted(action, *args):
        READ_FROM_FIELDS.append(action.value)
        return read(action, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ticket_module, "_recorded", noted)
        yield


def test_no_use_case_leaves_its_payload_to_be_read_from_the_fields_it_changed(story):  # noqa: F811
    assert ",".join(sorted(set(READ_FROM_FIELDS))) == ""
