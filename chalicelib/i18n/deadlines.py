"""How a deadline reads in the reader's language: its target, and every line of why it is where it is.

The SLA clock explains each deadline in English and, for every language, as a ``Reason``: a
``ReasonCode`` plus values (``chalicelib/domain/sla.py``). This module turns those into sentences with
the words of ``chalicelib/i18n/sla.py``: milestones by their usual names, durations in the language's
units, instants in the service's time zone as the pages show them (shortened: no date on the day the
schedule was computed, no year in its year), calendars and province sides by name.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.events import PauseReason
from chalicelib.domain.plans import Span
from chalicelib.domain.sla import Deadline, Reason, ReasonCode
from chalicelib.i18n import CATALOG, DEFAULT_LANGUAGE, t

Value = str | int | bool | None

# The reasons of the supervisor's pause form (``chalicelib/web/supervisor_forms.PAUSE_REASONS``), each
# with its words in ``sup.pause.<code>``.
PAUSE_REASONS = tuple(reason.value for reason in PauseReason)


def duration(lang: str, amount: timedelta | int | float, *, working: bool = False) -> str:
    """``"2 天 3 小时 10 分钟"`` / ``"2 d 3 h 10 m"``; rounded down to the minute. ``amount``: a timedelta
    or seconds. ``working``: working time of business hours, which is never counted in (24 h) days."""
    seconds = amount.total_seconds() if isinstance(amount, timedelta) else amount
    minutes = max(int(seconds) // 60, 0)
    days, minutes = (0, minutes) if working else divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        t(lang, key, n=n)
        for key, n in (("sla.unit.days", days), ("sla.unit.hours", hours), ("sla.unit.minutes", minutes))
        if n
    ]
    return " ".join(parts) or t(lang, "sla.unit.minutes", n=0)


def span(lang: str, value: Span | str, calendar_kind: str | None) -> str:
    """A target length as people say it; days on a business-hours calendar are working days."""
    parsed = value if isinstance(value, Span) else Span.model_validate(value)
    hours, minutes = divmod(int(parsed.time.total_seconds()) // 60, 60)
    parts = []
    if parsed.days:
        if calendar_kind == "business_hours":
            key = "sla.unit.working_days" if parsed.days > 1 else "sla.unit.working_day"
        else:
            key = "sla.unit.days"
        parts.append(t(lang, key, n=parsed.days))
    parts += [t(lang, key, n=n) for key, n in (("sla.unit.hours", hours), ("sla.unit.minutes", minutes)) if n]
    return " ".join(parts) or t(lang, "sla.unit.minutes", n=0)


def target_text(lang: str, deadline: Deadline) -> str:
    """The deadline's target (``Deadline.target_terms``) in ``lang``."""
    terms, calendar = deadline.target_terms, deadline.calendar_terms
    if terms is None or calendar is None:
        return t(lang, "timeline.none")
    if terms.agreed_date:
        if terms.within is None:
            return t(lang, "sla.target.agreed")
        return t(lang, "sla.target.agreed.capped", span=span(lang, terms.within, calendar.kind))
    assert terms.within is not None
    within = span(lang, terms.within, calendar.kind)
    if terms.latest is None:
        return within
    return t(lang, "sla.target.latest", span=within, latest=span(lang, terms.latest, calendar.kind))


def explain(lang: str, deadline: Deadline, *, timezone: str, now: datetime) -> list[str]:
    """Every line of why the deadline is where it is, in ``lang``, with instants in ``timezone``.
    ``now``: when the schedule was computed; instants on that (local) day show only their time."""
    return [reason_text(lang, reason, timezone=timezone, now=now) for reason in deadline.reasons]


def reason_text(lang: str, reason: Reason, *, timezone: str, now: datetime) -> str:
    """One line of an explanation in ``lang`` (see ``explain``)."""
    zone = ZoneInfo(timezone)
    return _Reader(lang, zone).reason(reason, now.astimezone(zone).date())


class _Reader:
    def __init__(self, lang: str, zone: ZoneInfo):
        self.lang = lang if lang in CATALOG else DEFAULT_LANGUAGE
        self.zone = zone

    def t(self, key: str, **values: object) -> str:
        return t(self.lang, key, **values)

    def reason(self, reason: Reason, today: date) -> str:
        v, code = reason.values, reason.code

        def at(name: str) -> str:
            return self.when(v[name], today)

        if code == ReasonCode.DUE:
            spans = [span(self.lang, str(s), _str(v["calendar"])) for s in (v.get("delay"), v["target"]) if s]
            return self.t(
                "sla.reason.due",
                milestone=self.milestone(v["milestone"]),
                due_at=at("due_at"),
                start=self.start(v["start"], since_last=bool(v.get("since_last"))),
                start_at=at("start_at"),
                span=" + ".join(spans),
                context=self.context(v),
            )
        if code == ReasonCode.DUE_AGREED:
            return self.t(
                "sla.reason.due_agreed",
                milestone=self.milestone(v["milestone"]),
                due_at=at("due_at"),
                context=self.context(v),
            )
        if code == ReasonCode.NO_AGREED_DATE:
            return self.t("sla.reason.no_agreed_date", milestone=self.milestone(v["milestone"]))
        if code == ReasonCode.LATEST:
            return self.t(
                "sla.reason.latest",
                latest_at=at("latest_at"),
                start=self.start(v["start"]),
                start_at=at("start_at"),
                span=span(self.lang, _str(v["latest"]), _str(v["calendar"])),
            )
        if code == ReasonCode.MOVED_BY_PAUSE:
            return self.t(
                "sla.reason.moved_by_pause",
                added=duration(self.lang, _int(v["added_seconds"]), working=_working(v)),
                paused_at=at("paused_at"),
                resumed_at=at("resumed_at"),
                note=self.pause_note(v.get("pause_reason"), v.get("note")),
            )
        if code == ReasonCode.CLOCK_STOPPED:
            return self.t("sla.reason.clock_stopped", paused_at=at("paused_at"), note=self.pause_note(v.get("pause_reason"), v.get("note")))
        if code == ReasonCode.RECLASSIFIED:
            return self.reclassified(v, today)
        if code == ReasonCode.LATE_BEFORE:
            return self.t(
                "sla.reason.late_before",
                milestone=self.milestone(v["milestone"]),
                due_at=at("due_at"),
                late=duration(self.lang, _int(v["late_seconds"])),
            )
        if code == ReasonCode.NOT_STARTED:
            return self.t(
                "sla.reason.not_started", milestone=self.milestone(v["milestone"]), start=self.start(v["starts_at"])
            )
        if code == ReasonCode.MET:
            return self.t("sla.reason.met", met_at=at("met_at"))
        if code == ReasonCode.MET_LATE:
            return self.t("sla.reason.met_late", met_at=at("met_at"), late=duration(self.lang, _int(v["late_seconds"])))
        if code == ReasonCode.MISSED:
            values = {"milestone": self.milestone(v["milestone"]), "late": duration(self.lang, _int(v["late_seconds"]))}
            if v.get("ended_at"):
                return self.t(
                    "sla.reason.missed.ended", ended_at=at("ended_at"), ended_by=self.start(v["ended_by"]), **values
                )
            return self.t("sla.reason.missed", **values)
        if code == ReasonCode.WAIVED:
            key = "sla.reason.waived.repeating" if v.get("repeating") else "sla.reason.waived"
            return self.t(key, ended_at=at("ended_at"), ended_by=self.start(v["ended_by"]))
        if code == ReasonCode.TIME_LEFT:
            if v.get("left_seconds") is None:
                return self.t("sla.reason.time_left.none")
            key = "sla.reason.time_left.working" if _working(v) else "sla.reason.time_left"
            return self.t(key, left=duration(self.lang, _int(v["left_seconds"]), working=_working(v)))
        if code == ReasonCode.HOLIDAYS_ASSUMED:
            return self.t("sla.reason.holidays_assumed", year=v["year"], assumption=self.t(f"sla.holidays.{v['basis']}"))
        raise ValueError(f"no words for reason code {code!r}")

    # -- values --

    def when(self, value: Value, today: date) -> str:
        """An instant as the pages show it (``local_time``) in the service's zone, shortened in prose:
        ``"14:10"`` today, ``"03-11 14:10"`` this year, ``"2025-12-30 14:10"`` before."""
        if value is None:
            return "–"
        moment = datetime.fromisoformat(str(value))
        local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(self.zone)
        if local.date() == today:
            return f"{local:%H:%M}"
        return f"{local:%m-%d %H:%M}" if local.year == today.year else f"{local:%Y-%m-%d %H:%M}"

    def milestone(self, value: Value) -> str:
        return self.t(f"milestone.{value}")

    def start(self, value: Value, *, since_last: bool = False) -> str:
        """What started (or ended) a clock: ``"报修受理"``, ``"上次每日进度汇报"``, ``"服务单关闭"``."""
        if since_last:
            return self.t("sla.event.last", milestone=self.milestone(value))
        return self.known(f"sla.event.{value}", str(value))

    def known(self, key: str, fallback: str) -> str:
        return self.t(key) if key in CATALOG[self.lang] else fallback

    def context(self, v: dict[str, Value]) -> str:
        """Which promise: ``"standard 方案，A 特急，省内，7×24 小时"``."""
        priority = self.t(f"priority.{v['priority']}") if v.get("priority") else self.t("priority.none")
        parts = [self.t("sla.context.plan", plan=v["plan"]), priority]
        if v.get("side"):
            parts.append(self.t(f"sla.side.{v['side']}"))
        parts.append(self.calendar(v))
        return self.t("sla.separator").join(parts)

    def calendar(self, v: dict[str, Value]) -> str:
        if v.get("calendar") != "business_hours":
            return self.t("sla.calendar.always_open")
        hours = {"opens": v.get("calendar_opens"), "closes": v.get("calendar_closes")}
        zone = v.get("calendar_timezone")
        if zone and zone != self.zone.key:  # the page's own zone goes without saying
            return self.t("sla.calendar.business_hours.zone", zone=zone, **hours)
        return self.t("sla.calendar.business_hours", **hours)

    def pause_note(self, reason: Value, note: Value) -> str:
        """The reason a pause was recorded with, by its name in ``lang`` when it is one of the form's, and
        what was typed with it."""
        text = str(note or "")
        if reason == PauseReason.OTHER or reason is None:
            text = text or (self.t("sla.pause.other") if reason else "")
        else:
            name = self.t(f"sup.pause.{reason}")
            text = self.t("sla.pause.with_note", reason=name, note=text) if text else name
        return self.t("sla.note", note=text) if text else ""

    def reclassified(self, v: dict[str, Value], today: date) -> str:
        field = _str(v.get("field"))
        at = self.when(v["at"], today)
        after = self.classification(field, v.get("after"), today)
        if field == "priority" and not v.get("before"):
            return self.t("sla.reason.reclassified.first", at=at, after=after)
        what = self.known(f"sla.changed.{field}", self.t("sla.changed.other", field=field or "–"))
        before = self.classification(field, v.get("before"), today)
        return self.t("sla.reason.reclassified", at=at, what=what, before=before, after=after)

    def classification(self, field: str, value: Value, today: date) -> str:
        """A classification value as recorded (``"A"``, ``"True"``, an ISO date) in words."""
        if value is None or value == "":
            return "–"
        text = str(value)
        if field == "priority":
            return self.known(f"priority.{text}", text)
        if field == "in_province":
            side = {
                "true": "in_province",
                "in-province": "in_province",
                "in_province": "in_province",
                "false": "out_of_province",
                "out-of-province": "out_of_province",
                "out_of_province": "out_of_province",
            }.get(text.lower())
            return self.t(f"sla.side.{side}") if side else text
        if field == "agreed_date":
            try:
                return self.when(text, today)
            except ValueError:
                return text
        return text


def _working(values: dict[str, Value]) -> bool:
    """Durations of these values are working time of business hours."""
    return values.get("calendar") == "business_hours"


def _str(value: Value) -> str:
    return "" if value is None else str(value)


def _int(value: Value) -> int:
    return int(value or 0)
