"""Nameplate QR codes (扫码报修): a label printed on an installed product that opens the report form
with what the archive knows about it.

A label is a random, unguessable id tied to one serial number. The code carries the id (signed), never
the serial, so nobody can walk the archive by trying serials. A product has at most one label in use;
withdrawing it (a machine scrapped, a label lost or copied) makes every print of it answer with a
polite notice, and the next download issues a new one. Labels do not expire: a nameplate lives as long
as the machine.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ProductLabel(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    serial_number: str
    issued_at: datetime
    issued_by: str
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None

    @property
    def in_use(self) -> bool:
        return self.withdrawn_at is None

    def withdrawn(self, at: datetime, actor: str) -> ProductLabel:
        return self.model_copy(update={"withdrawn_at": at, "withdrawn_by": actor})


def new_label(serial_number: str, at: datetime, actor: str) -> ProductLabel:
    # 128 random bits: the id alone is already unguessable; the signature lets a forgery be told apart
    # from a withdrawn label without reading the table.
    return ProductLabel(id=secrets.token_urlsafe(16), serial_number=serial_number, issued_at=at, issued_by=actor)
