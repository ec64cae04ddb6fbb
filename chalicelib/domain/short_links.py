"""Short links for SMS: a short random id that stands for one of our long links until that link expires.

A link with a signed token is 200 characters or more, and a Chinese SMS is billed per 70 characters;
the id is looked up server-side instead, so the token never rides in the message.
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime

from pydantic import BaseModel, ConfigDict

ALPHABET = string.ascii_letters + string.digits
# 62^10 ≈ 8·10^17 ids (59 bits): a guesser trying a thousand a second finds none of a million live links
# in a human lifetime, and the id still leaves room for the message in one segment.
ID_LENGTH = 10
SHORT_ID = re.compile(rf"^[A-Za-z0-9]{{{ID_LENGTH}}}$")
PATH_PREFIX = "/l/"


def short_link_length(public_base_url: str) -> int:
    """How long a short link to this desk is: ``<base>/l/<id>``."""
    return len(public_base_url.rstrip("/")) + len(PATH_PREFIX) + ID_LENGTH


def new_short_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(ID_LENGTH))


class ShortLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    path: str  # the long link's path and query, below the desk's public address (never another site)
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return now < self.expires_at
