"""In-memory ``RateCounters`` for service and route tests (the DynamoDB one runs under moto)."""

from __future__ import annotations

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
