"""In-memory ``ShortLinkStore`` for service and route tests (the DynamoDB one runs under moto)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.short_links import ShortLink


@dataclass
class MemoryShortLinks:
    links: dict[str, ShortLink] = field(default_factory=dict)

    def add(self, link: ShortLink) -> bool:
        if link.id in self.links:
            return False
        self.links[link.id] = link
        return True

    def get(self, short_id: str) -> ShortLink | None:
        return self.links.get(short_id)
