"""An aggregate's life written as data: which move leads from which state to which.

The quote, a parts requisition, a loaner, a complaint's resolution and its corrective actions, and the
survey each declare one ``Lifecycle``; the aggregate's own functions ask it for the next state, and a
move it does not list is refused with the aggregate's own named error. (The ticket's lifecycle, the
service job itself, is the same idea with its own table in ``ticket.py``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

State = TypeVar("State", bound=StrEnum)
Move = TypeVar("Move", bound=StrEnum)


class Lifecycle(Mapping[tuple[State | None, Move], State], Generic[State, Move]):
    """``(state before, move) -> state after``; ``None`` as the state before: the aggregate does not exist
    yet. ``refuse(state, move)`` makes the error an illegal move raises."""

    def __init__(
        self,
        rows: Iterable[tuple[State | None, Move, State]],
        refuse: Callable[[State | None, Move], Exception],
    ):
        table: dict[tuple[State | None, Move], State] = {}
        for before, move, after in rows:
            if (before, move) in table:
                raise ValueError(f"{move.value} from {before} is declared twice")
            table[(before, move)] = after
        self._table = table
        self._refuse = refuse

    def next(self, state: State | None, move: Move) -> State:
        try:
            return self._table[(state, move)]
        except KeyError:
            raise self._refuse(state, move) from None

    def moves_from(self, state: State | None) -> frozenset[Move]:
        return frozenset(move for before, move in self._table if before == state)

    def reachable(self, start: State | None = None) -> frozenset[State]:
        """Every state some sequence of moves leads to from ``start``."""
        seen: set[State] = set()
        frontier: list[State | None] = [start]
        while frontier:
            state = frontier.pop()
            for (before, _), after in self._table.items():
                if before == state and after not in seen:
                    seen.add(after)
                    frontier.append(after)
        return frozenset(seen)

    def __getitem__(self, key: tuple[State | None, Move]) -> State:
        return self._table[key]

    def __iter__(self) -> Iterator[tuple[State | None, Move]]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)
