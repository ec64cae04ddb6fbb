"""In-memory ``UploadClaims`` for service and route tests (the DynamoDB one runs under moto)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class MemoryUploadClaims:
    owners: dict[str, str] = field(default_factory=dict)
    tickets: dict[str, str] = field(default_factory=dict)

    def claim(self, object_keys: Sequence[str], owner: str) -> list[str]:
        taken = [key for key in dict.fromkeys(object_keys)
                 if self.owners.get(key, owner) != owner or key in self.tickets]
        if not taken:
            self.owners.update(dict.fromkeys(object_keys, owner))
        return taken

    def attach(self, object_keys: Sequence[str], owner: str, number: str) -> None:
        self.tickets.update({key: number for key in object_keys if self.owners.get(key) == owner})
