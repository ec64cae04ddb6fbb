"""A step an item's own lifecycle table refuses is answered as a conflict, in the caller's language: the closure
(approving a form nobody filed) and the money (a payment on a job already paid in full)."""

import pytest

from chalicelib.domain.billing import AccountMove, AccountSettled, AccountState
from chalicelib.domain.closure import ClosureMove, ClosureState, IllegalClosureMove
from chalicelib.web.errors import refusal

REFUSED = [
    pytest.param(IllegalClosureMove(ClosureState.OPEN, ClosureMove.APPROVE), "closure_move", "验收单", "signed form",
                 id="closure"),
    pytest.param(AccountSettled(AccountState.SETTLED, AccountMove.PAY), "account_settled", "收清", "fully paid",
                 id="account"),
]


@pytest.mark.parametrize("error, code, chinese, english", REFUSED)
def test_a_step_its_table_refuses_is_a_conflict_said_in_the_callers_language(error, code, chinese, english):
    zh, en = refusal(error, "zh-CN"), refusal(error, "en")
    assert zh.status == en.status == 409 and zh.code == en.code == code
    assert chinese in zh.message and english in en.message
