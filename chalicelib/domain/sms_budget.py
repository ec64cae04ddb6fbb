"""Whom an SMS is for, so that customers' and staff's SMS are counted and alarmed on apart.

SNS has one SMS spend limit for the whole account. A script pumping the customer form would spend it on
confirmations and then stop the escalations too; counting each audience on its own (and alarming on
each) shows which one is spending, and an alarm on staff SMS that fail says escalations are going by
email and team chat only.
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.escalation import Roster, owner_of
from chalicelib.domain.plans import Role

# Staff SMS: every step of the escalation ladder (warnings, prompts, breaches, notices), and the notice
# that tells a technician of his new job. Every other purpose is a customer's.
STAFF_PURPOSE_PREFIX = "escalation:"
DISPATCH_NOTICE_PURPOSE = "dispatch_notice"


class SmsAudience(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


def sms_audience(purpose: str) -> SmsAudience:
    """A purpose not known to be staff's counts as a customer's: the customers' budget is the one a
    stranger can spend."""
    staff = purpose.startswith(STAFF_PURPOSE_PREFIX) or purpose == DISPATCH_NOTICE_PURPOSE
    return SmsAudience.STAFF if staff else SmsAudience.CUSTOMER


# Who hears of a technician's SMS that could not be sent: the level above him, as the ladder climbs.
FALLBACK_ROLE = Role.SUPERVISOR
FALLBACK_PURPOSE = "sms_fallback"


def falls_back(purpose: str) -> bool:
    """Whether a staff SMS with this purpose, refused for good (the spend limit reached, a number that
    opted out), must reach ``FALLBACK_ROLE`` another way: the technician's dispatch notice and the
    warnings and prompts on the deadlines he owns (arrival, daily reports) are his alone, and a
    technician is often known by his phone only. A ladder level's own steps reach its email and team
    chats already (``told_by_sms_only`` names whoever they miss)."""
    if purpose == DISPATCH_NOTICE_PURPOSE:
        return True
    step = purpose.removeprefix(STAFF_PURPOSE_PREFIX)
    kind, _, breach = step.partition(":")
    return step != purpose and kind in ("warn", "prompt") and owner_of(breach) == Role.TECHNICIAN


def told_by_sms_only(roster: Roster) -> list[tuple[str, str]]:
    """(level, name) of each person the roster reaches by SMS alone: no email, and no team chat on their
    level. While SMS are refused (the spend limit reached, throttling) their escalations reach nobody."""
    found = []
    for people in (roster.levels, roster.on_call):
        for role, holders in people.items():
            if roster.chats.get(role):
                continue
            found += [(role.value, person.name) for person in holders if person.phone and not person.email]
    return found
