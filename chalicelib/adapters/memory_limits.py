"""In-memory ``RateCounters`` for service and route tests (the DynamoDB one runs under moto)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.limits import Allowance, Limit, window


@dataclass
class MemoryRateCounters:
    uses: dict[tuple[str, str, datetime], int] = field(default_factory=dict)

    def take(self, limit: Limit, subject: str, now: datetime) -> Allowance:
        start, end = window(now, limit.per)
        counted = self.uses.get((limit.scope, subject, start), 0)
        if counted >= limit.most:
            return Allowance(allowed=False, window_ends=end)
        self.uses[(limit.scope, subject, start)] = counted + 1
        return Allowance(allowed=True, window_ends=end)

    def take_all(self, uses: Sequence[tuple[Limit, str]], now: datetime) -> list[Allowance]:
        answers = []
        for limit, subject in uses:
            start, end = window(now, limit.per)
            answers.append(Allowance(allowed=self.uses.get((limit.scope, subject, start), 0) < limit.most,
                                     window_ends=end))
        if all(answer.allowed for answer in answers):
            for limit, subject in uses:
                self.take(limit, subject, now)
        return answers
