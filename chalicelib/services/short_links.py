"""Short links in SMS: every link to our pages in a text message is replaced, as it is sent, by
``<base>/l/<id>``; the id is kept server-side with the long link until the long link's token expires.

Only the SMS channel shortens: emails and the outbox keep the long link (what staff read on the
timeline), and a retried message gets a fresh id, which is harmless: each id leads to the same page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.short_links import PATH_PREFIX, SHORT_ID, ShortLink, new_short_id, short_link_length
from chalicelib.domain.sms import fullest_in_one_message
from chalicelib.i18n import CATALOG, DEFAULT_LANGUAGE, t
from chalicelib.services.ports import Clock, Notifier

# A tracking page or a technician's job has no expiry of its own; its short link lasts as long as a
# customer may still come back from the message (the survey, a year's warranty questions).
UNSIGNED_LINK_LIFETIME = timedelta(days=400)


class ShortLinkStore(Protocol):
    def add(self, link: ShortLink) -> bool:
        """Keeps a new link; False if its id is already taken (the caller draws another)."""

    def get(self, short_id: str) -> ShortLink | None: ...


class ShortLinks:
    def __init__(
        self, store: ShortLinkStore, clock: Clock, public_base_url: str, expiry_of: Callable[[str], datetime | None]
    ):
        """``expiry_of(token)``: when a signed token in a link expires, None if it is not one of ours."""
        self._store = store
        self._clock = clock
        self._base = public_base_url.rstrip("/")
        self._expiry_of = expiry_of
        self._ours = re.compile(re.escape(self._base) + r"(/\S+)")

    def shorten(self, path: str) -> str:
        """The short link to ``<base><path>``, expiring with the token that is the path's last part."""
        for _ in range(5):
            link = self.draft(path)
            if self._store.add(link):
                return self.address(link)
        raise RuntimeError("no free short link id in five draws")  # 62^10 ids: never, unless the store lies

    def draft(self, path: str) -> ShortLink:
        """A short link to ``<base><path>`` with a fresh id, not kept yet: a new ticket keeps it in its own
        write (its id is checked free there)."""
        expires_at = self._expiry_of(path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])
        return ShortLink(id=new_short_id(), path=path, expires_at=expires_at or self._clock.now() + UNSIGNED_LINK_LIFETIME)

    def address(self, link: ShortLink) -> str:
        return f"{self._base}{PATH_PREFIX}{link.id}"

    def shorten_all(self, text: str) -> str:
        """``text`` with each of our links (not already short) replaced by a short one."""
        return self._ours.sub(
            lambda found: found.group(0) if found.group(1).startswith(PATH_PREFIX) else self.shorten(found.group(1)),
            text,
        )

    def target(self, short_id: str) -> str | None:
        """Where a short link leads while it lives; None for an unknown or expired one."""
        if not SHORT_ID.match(short_id):
            return None
        link = self._store.get(short_id)
        if link is None or not link.live(self._clock.now()):
            return None
        return f"{self._base}{link.path}"


class ShortLinkSms:
    """An SMS ``Notifier`` that sends each message with its links shortened."""

    def __init__(self, sender: Notifier, links: ShortLinks):
        self._sender = sender
        self._links = links

    def send(self, message: OutboxMessage) -> str:
        return self._sender.send(message.model_copy(update={"text": self._links.shorten_all(message.text)}))


def sms_text(lang: str, key: str, public_base_url: str, **values: object) -> str:
    """The SMS ``<key>.sms`` of the catalog, or a shorter wording of it (``<key>.short.sms``,
    ``<key>.shortest.sms``, where the catalog has them): the fullest that is one message once its link
    to ``public_base_url`` is short."""
    words = CATALOG.get(lang, CATALOG[DEFAULT_LANGUAGE])
    keys = [k for k in (f"{key}.sms", f"{key}.short.sms", f"{key}.shortest.sms") if k in words] or [f"{key}.sms"]
    return fullest_in_one_message([t(lang, k, **values) for k in keys], short_link_length(public_base_url))
