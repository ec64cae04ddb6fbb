"""Every small aggregate's life is one table of moves: each state can be reached from the start, a move the
table does not list is refused with the aggregate's own error, and no move is declared twice."""

from enum import StrEnum

import pytest

from chalicelib.domain.aftercare import SURVEY_MOVES, SurveyClosed, SurveyNotSent, SurveyState
from chalicelib.domain.billing import (
    ACCOUNT_MOVES,
    QUOTE_MOVES,
    AccountSettled,
    AccountState,
    IllegalQuoteMove,
    NothingToCollect,
    QuoteState,
)
from chalicelib.domain.closure import CLOSURE_MOVES, ClosureState, IllegalClosureMove
from chalicelib.domain.complaints import (
    CAPA_MOVES,
    RESOLUTION_MOVES,
    CapaStatus,
    ComplaintRuleBroken,
    ResolutionState,
)
from chalicelib.domain.lifecycle import Lifecycle
from chalicelib.domain.loaners import LOANER_MOVES, IllegalLoanerMove, LoanerState
from chalicelib.domain.parts import PARTS_MOVES, IllegalPartsMove, PartsState

# (the table, where its aggregate starts, every state it has, the error of an illegal move)
LIFECYCLES = [
    pytest.param(QUOTE_MOVES, None, QuoteState, IllegalQuoteMove, id="quote"),
    pytest.param(PARTS_MOVES, PartsState.REQUESTED, PartsState, IllegalPartsMove, id="parts requisition"),
    pytest.param(LOANER_MOVES, LoanerState.OUT, LoanerState, IllegalLoanerMove, id="loaner"),
    pytest.param(RESOLUTION_MOVES, None, ResolutionState, ComplaintRuleBroken, id="complaint's resolution"),
    pytest.param(CAPA_MOVES, CapaStatus.OPEN, CapaStatus, ComplaintRuleBroken, id="corrective action"),
    pytest.param(SURVEY_MOVES, None, SurveyState, (SurveyClosed, SurveyNotSent), id="survey"),
    pytest.param(ACCOUNT_MOVES, AccountState.DUE, AccountState, (NothingToCollect, AccountSettled), id="account"),
    pytest.param(CLOSURE_MOVES, ClosureState.OPEN, ClosureState, IllegalClosureMove, id="closure"),
]


@pytest.mark.parametrize("table, start, states, illegal", LIFECYCLES)
def test_every_state_of_an_aggregate_can_be_reached_from_its_start(table, start, states, illegal):
    assert table.reachable(start) | ({start} - {None}) == set(states)


@pytest.mark.parametrize("table, start, states, illegal", LIFECYCLES)
def test_a_move_its_table_does_not_list_is_refused_with_the_aggregates_error(table, start, states, illegal):
    moves = {move for _, move in table}
    for state in [None, *states]:
        for move in moves - table.moves_from(state):
            with pytest.raises(illegal):
                table.next(state, move)


class Light(StrEnum):
    RED = "red"
    GREEN = "green"


class Switch(StrEnum):
    FLIP = "flip"


def test_a_move_declared_twice_is_refused_when_the_table_is_written():
    with pytest.raises(ValueError, match="declared twice"):
        Lifecycle([(Light.RED, Switch.FLIP, Light.GREEN), (Light.RED, Switch.FLIP, Light.RED)], refuse=KeyError)
