"""The integrations' credentials (the administrator's ``/staff/api-clients`` page and its staff API):
listed, made and revoked by an administrator who is a person. An integration, even one acting as an
administrator, may not make or revoke the credentials of integrations (nor its own), so a leaked secret
cannot mint lasting new ones; the service refuses it whichever page or API calls it."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from chalicelib.domain.permissions import Actor, NotPermitted, Work, check_work, staff_of

Client = TypeVar("Client")


class IntegrationClients(Protocol[Client]):
    """The user pool's app clients made as integrations (never the staff's own sign-in client)."""

    def clients(self) -> list[Client]: ...

    def add(self, name: str, roles: list[str]) -> Client: ...

    def remove(self, client_id: str) -> bool: ...


class ApiClientsService(Generic[Client]):
    def __init__(self, store: IntegrationClients[Client]):
        self._store = store

    def clients(self) -> list[Client]:
        return self._store.clients()

    def add(self, name: str, roles: list[str], *, actor: Actor) -> Client:
        """A new integration's client acting in ``roles``; its secret is on the answer only."""
        _check(actor)
        return self._store.add(name, roles)

    def remove(self, client_id: str, *, actor: Actor) -> bool:
        """False when ``client_id`` is no integration's (revoked already, or another kind of client)."""
        _check(actor)
        return self._store.remove(client_id)


def _check(actor: Actor) -> None:
    check_work(actor, Work.MANAGE_API_CLIENTS)
    user = staff_of(actor)
    if user is not None and user.integration:
        raise NotPermitted(Work.MANAGE_API_CLIENTS, user.username)
