"""Staff and what each role may do. Roles are Cognito groups; one person may hold several."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.ticket import Ticket


class StaffRole(StrEnum):
    DESK = "desk"
    SUPERVISOR = "supervisor"
    TECHNICIAN = "technician"
    CHIEF_ENGINEER = "chief_engineer"
    GENERAL_MANAGER = "general_manager"
    QUALITY = "quality"
    ADMIN = "admin"


class StaffUser(BaseModel):
    """Who is signed in, as the verified token says."""

    model_config = ConfigDict(frozen=True)

    username: str
    roles: frozenset[StaffRole]
    # An integration's client (client credentials), not a person: it acts in its roles' work, but never
    # manages the credentials of integrations.
    integration: bool = False

    def has_any(self, roles: frozenset[StaffRole] | set[StaffRole]) -> bool:
        return bool(self.roles & roles)

    def may_work_on(self, ticket: Ticket) -> bool:
        """Technicians see only jobs assigned to them; the office sees every ticket."""
        if self.roles - {StaffRole.TECHNICIAN}:
            return True
        return self.username in ticket.assignees
