"""Webhook subscriptions and delivery logs in memory, for service tests."""

from __future__ import annotations

from chalicelib.domain.webhooks import DeliveryAttempt, Subscription
from chalicelib.services.webhooks import PostAnswer


class MemoryWebhooks:
    def __init__(self) -> None:
        self.stored: dict[str, Subscription] = {}
        self.log: list[DeliveryAttempt] = []
        self.reads = 0  # whole-list reads, for "read once a minute" checks

    def put(self, subscription: Subscription) -> None:
        self.stored[subscription.id] = subscription

    def get(self, subscription_id: str) -> Subscription | None:
        return self.stored.get(subscription_id)

    def subscriptions(self) -> list[Subscription]:
        self.reads += 1
        return sorted(self.stored.values(), key=lambda s: (s.created_at, s.id))

    def delete(self, subscription_id: str) -> bool:
        return self.stored.pop(subscription_id, None) is not None

    def record_attempt(self, attempt: DeliveryAttempt) -> None:
        self.log.append(attempt)

    def attempts(self, subscription_id: str, limit: int) -> list[DeliveryAttempt]:
        mine = [a for a in self.log if a.subscription_id == subscription_id]
        return sorted(mine, key=lambda a: (a.at, a.attempt), reverse=True)[:limit]


class ScriptedReceiver:
    """A receiver that answers each POST with the next status of its script (then 200), and keeps them."""

    def __init__(self, *statuses: int):
        self.script = list(statuses)
        self.posts: list[tuple[str, bytes, dict[str, str]]] = []

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostAnswer:
        self.posts.append((url, body, headers))
        return PostAnswer(self.script.pop(0) if self.script else 200)
