"""How a ticket's event reads in the reader's language: a label for its action and the facts it recorded.

Each ``TicketEvent`` carries what its move recorded as a typed payload (``chalicelib/domain/events.py``).
This module reads those facts — priorities,
assignees, billing, pause reasons, escalation levels, quotes, parts, callbacks, complaint causes, CAPA
status… — and says them with the words of ``chalicelib/i18n/timeline.py`` (and the words the pages
already use for the same values). What people typed (notes, reasons) is shown as typed. Should an
event not hold the facts its action normally records (``Unrecorded``: an event from before they were
recorded, or a move made by hand), the line falls back to the stored summary, so nothing is lost.
Instants are shown in the service's time zone, as the pages show them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.closure import FormSource
from chalicelib.domain.complaints import CapaAction, CapaStatus
from chalicelib.domain.escalation import chat_address
from chalicelib.domain.events import (
    AcceptanceFiled,
    Acknowledged,
    ArrivalReported,
    CallbackRecorded,
    Cancelled,
    Charged,
    CheckedIn,
    Classified,
    ClosureRejected,
    ComplaintMoved,
    ContactRecorded,
    DepartureReported,
    Dispatched,
    Escalated,
    InformationAdded,
    LoanerMoved,
    Notified,
    OvertimeMoved,
    PartsMoved,
    Paused,
    PauseReason,
    ProgressReported,
    Quoted,
    Resumed,
    SignatureRefused,
    Submitted,
    SurveyAnswered,
    SurveySent,
    Told,
    Unrecorded,
)
from chalicelib.domain.ticket import Action, Status, TicketEvent
from chalicelib.domain.uploads import display_name
from chalicelib.i18n import CATALOG, DEFAULT_LANGUAGE, t
from chalicelib.i18n.deadlines import duration

# Actions whose label says everything the event records.
LABEL_ONLY = frozenset({
    Action.APPROVE, Action.SET_OUT, Action.START_REPAIR, Action.RESOLVE, Action.AGREE_RESOLUTION,
    Action.CLOSE_COMPLAINT,
})


@dataclass(frozen=True)
class EventLine:
    """One line of a timeline: who (``actor``), what (``label``) and the facts (``details``); ``text`` is
    the label and the details in one sentence."""

    actor: str
    label: str
    details: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return self.text


def action_label(lang: str, action: Action) -> str:
    return t(lang, f"timeline.action.{action.value}")


def _as_is(login: str) -> str:
    return login


def actor_name(lang: str, actor: str, names: Callable[[str], str] = _as_is) -> str:
    """People as ``names`` calls them (by their login unless given); the system's own actors
    (``"sla-sweep"``, ``"customer"``…) by name."""
    key = f"timeline.actor.{actor}"
    return t(lang, key) if key in CATALOG.get(lang, CATALOG[DEFAULT_LANGUAGE]) else names(actor)


def describe(lang: str, event: TicketEvent, *, timezone: str, customer: bool = False,
             names: Callable[[str], str] = _as_is) -> EventLine:
    """``event`` in ``lang`` with instants in ``timezone``. ``customer``: for the customer's tracking
    page, where some moves have words of their own (``event.<action>``, e.g. "quote sent: please review")
    and the office's own notes on a public move (where the technician's phone checked in, the work report,
    the complaint's severity, a returned loaner's note) are left out. ``names``: a staff login -> the name
    people know them by, for the actor and the assignees (logins are what events store)."""
    lang = lang if lang in CATALOG else DEFAULT_LANGUAGE
    return _Writer(lang, ZoneInfo(timezone), customer, names).line(event)


class _Unstructured(Exception):
    """The event does not hold the facts its action normally records."""


class _Writer:
    def __init__(self, lang: str, zone: ZoneInfo, customer: bool, names: Callable[[str], str] = _as_is):
        self.lang = lang
        self.zone = zone
        self.customer = customer
        self.names = names

    def line(self, event: TicketEvent) -> EventLine:
        label = self.label(event)
        details: list[str]
        payload = event.payload
        if event.action in LABEL_ONLY:
            details = []
        else:
            write: Callable[[Any], list[str]] | None = getattr(self, f"_{event.action.value}", None)
            try:
                if write is None or isinstance(payload, Unrecorded):
                    raise _Unstructured()
                details = [d for d in write(payload) if d]
            # Events are stored for years: one written before a fact was recorded, or by a move made by
            # hand, may lack what this expects; its summary still says what happened.
            except (_Unstructured, KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError):
                details = [event.summary] if event.summary else []
        text = label
        if details:
            text = self.t("timeline.details", label=label, details=self.t("timeline.separator").join(details))
        return EventLine(actor=actor_name(self.lang, event.actor, self.names), label=label, details=tuple(details), text=text)

    def label(self, event: TicketEvent) -> str:
        own = f"event.{event.action.value}"
        if self.customer and own in CATALOG[self.lang]:
            payload = event.payload
            channel = payload.channel if isinstance(payload, Submitted) else "web"
            return self.t(own, channel=self.value("channel", channel))
        return action_label(self.lang, event.action)

    # -- words and values --

    def t(self, key: str, **values: object) -> str:
        return t(self.lang, key, **values)

    def known(self, key: str, fallback: object) -> str:
        return self.t(key) if key in CATALOG[self.lang] else str(fallback)

    def field(self, name: str, value: object, **values: object) -> str:
        """``"等级：A 特急"``; nothing for an empty value."""
        if value is None or value == "" or value == []:
            return ""
        return self.t("timeline.field", name=self.t(f"timeline.field.{name}", **values), value=value)

    def when(self, value: object) -> str:
        """An instant (ISO text as recorded) as ``local_time`` shows it, in the service's zone; a day as is."""
        if value is None or value == "":
            return ""
        text = value.isoformat() if isinstance(value, date) else str(value)
        if "T" not in text:
            return date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def money(self, value: object) -> str:
        return self.t("timeline.money", amount=f"{Decimal(str(value)):,.2f}")

    def listing(self, items: Iterable[object]) -> str:
        return self.t("timeline.list").join(str(i) for i in items)

    def value(self, name: str, value: Any) -> str:
        """A ticket field's value as recorded (``"A"``, ``True``, an ISO instant, a list) in words."""
        if value is None or value == "" or value == []:
            return self.t("timeline.none")
        text = str(value)
        if name == "priority":
            return self.known(f"priority.{text}", text)
        if name == "kind":
            return self.known(f"kind.{text}", text)
        if name == "billing":
            return self.known(f"billing.kind.{text}", text)
        if name == "billing_reason":
            return self.known(f"billing.reason.{text}", text)
        if name == "channel":
            return self.known(f"channel.{text}", text)
        if name == "status":
            return self.known(f"status.{text}", text)
        if name == "warranty" and isinstance(value, bool):
            return self.t("sup.warranty.in" if value else "sup.warranty.out")
        if name == "in_province" and isinstance(value, bool):
            return self.t("sla.side.in_province" if value else "sla.side.out_of_province")
        if name in ("agreed_date", "warranty_until"):
            return self.when(value)
        if name == "assignees" and isinstance(value, list | tuple):
            return self.listing(self.names(str(login)) for login in value)
        if isinstance(value, list | tuple):
            return self.listing(value)
        return text

    def changes(self, before: Mapping[str, Any], after: Mapping[str, Any], names: Iterable[str]) -> list[str]:
        """Each field the move set: its value, or ``before → after`` when it replaced another."""
        out = []
        for name in names:
            if name not in after:
                continue
            new = self.value(name, after[name])
            old = before.get(name)
            if old not in (None, "", []) and old != after[name]:
                new = self.t("timeline.change", before=self.value(name, old), after=new)
            out.append(self.t("timeline.field", name=self.known(f"timeline.field.{name}", name), value=new))
        return out

    def milestone(self, value: object) -> str:
        return self.known(f"milestone.{value}", value)

    def role(self, value: object) -> str:
        return self.known(f"role.{value}", value)

    def classification(self, p: Classified) -> list[str]:
        return self.changes(p.before.model_dump(mode="json"),
                            p.after.model_dump(mode="json", include=set(p.after.changed)), p.after.changed)

    # -- intake and the desk (chalicelib/domain/ticket.py open_ticket, chalicelib/services/desk.py) --

    def _submit(self, p: Submitted) -> list[str]:
        if self.customer:
            return []  # the customer's label names the channel
        return [
            self.field("channel", self.value("channel", p.channel)),
            self.field("kind", self.value("kind", p.kind)) if p.kind else "",
            self.field("warranty_until", self.when(p.warranty_until)),
            self.known(f"timeline.sms_withheld.{p.sms_withheld}", "") if p.sms_withheld else "",
        ]

    def _classify(self, p: Classified) -> list[str]:
        return self.classification(p)

    def _record_contact(self, p: ContactRecorded) -> list[str]:
        return [self.field("contact_note", p.note)]

    def _dispatch(self, p: Dispatched) -> list[str]:
        return self.changes({"assignees": list(p.previous)}, {"assignees": list(p.assignees)}, ["assignees"])

    def _pause(self, p: Paused) -> list[str]:
        if p.reason == PauseReason.OTHER:
            return [self.field("pause_reason", p.note or self.t("sla.pause.other"))]
        return [self.field("pause_reason", self.t(f"sup.pause.{p.reason.value}")), self.field("note", p.note)]

    def _resume(self, p: Resumed) -> list[str]:
        # A job is only ever resumed from waiting on the customer (the lifecycle).
        return self.changes({"status": Status.WAITING_ON_CUSTOMER.value}, {"status": p.status.value}, ["status"])

    def _cancel(self, p: Cancelled) -> list[str]:
        return [self.field("reason", p.reason)]

    # -- on site and closure (chalicelib/services/field_work.py) --

    def _check_in(self, p: CheckedIn) -> list[str]:
        where = p.location
        if not where or self.customer:  # where the technician's phone was is for the office
            return []
        values = {"lat": f"{where.lat:.5f}", "lon": f"{where.lon:.5f}"}
        if where.accuracy_m is not None:
            text = self.t("timeline.location.accuracy", accuracy=round(where.accuracy_m), **values)
        else:
            text = self.t("timeline.location", **values)
        return [self.field("location", text)]

    def _report_arrival(self, p: ArrivalReported) -> list[str]:
        return [self.field(name, getattr(p.report, name)) for name in ("situation", "lodging", "contact_phone")]

    def _add_information(self, p: InformationAdded) -> list[str]:
        photos = [display_name(key) for key in p.photos]
        return [self.field("note", p.note), self.field("photos", self.listing(photos) if photos else "")]

    def _report_progress(self, p: ProgressReported) -> list[str]:
        return [self.field("progress", p.text),
                self.field("photos", self.t("timeline.count", n=len(p.photos)) if p.photos else "")]

    def _report_departure(self, p: DepartureReported) -> list[str]:
        return [self.field("planned_return", self.when(p.departure.planned_return)),
                self.field("note", p.departure.note)]

    def _upload_acceptance(self, p: AcceptanceFiled) -> list[str]:
        acceptance = p.acceptance
        if acceptance.source == FormSource.DRAWN:
            source = self.t("approvals.source.drawn", signer=acceptance.signer or "-")
        else:
            source = self.t("approvals.source.uploaded")
        if self.customer:
            return [source]
        return [source, self.field("work_done", acceptance.work.work_done)]

    def _refuse_signature(self, p: SignatureRefused) -> list[str]:
        return [self.field("reason", p.refusal.reason)]

    def _reject_closure(self, p: ClosureRejected) -> list[str]:
        return [self.field("reason", p.reason)]

    # -- the SLA clock and notifications (chalicelib/services/sla.py, notifications.py) --

    def _escalate(self, p: Escalated) -> list[str]:
        if f"timeline.escalate.{p.kind}" not in CATALOG[self.lang]:
            raise _Unstructured()
        late = p.late_by_seconds or 0
        # Below the ladder (level 0) is the deadline's owner, the technician: told by role, not by level.
        owned = f"timeline.escalate.{p.kind}.owner"
        key = owned if p.level == 0 and owned in CATALOG[self.lang] else f"timeline.escalate.{p.kind}"
        return [self.t(
            key, milestone=self.milestone(p.milestone), level=p.level,
            role=self.role(p.role), late=self.t("timeline.late", late=duration(self.lang, late)) if late else "",
        ), *self.told(p.told)]

    def told(self, told: tuple[Told, ...] | None) -> list[str]:
        """Who heard of a step at once, and whose message waits for their working time (recorded since
        the ladder names them; older steps say nothing more)."""
        if told is None:
            return []
        if not told:
            return [self.t("timeline.told.nobody")]
        return [
            self.t("timeline.told.held", when=self.when(r.held_until), name=r.name) if r.held_until
            else self.t("timeline.told.on_call" if r.on_call else "timeline.told.now", name=r.name)
            for r in told
        ]

    def _acknowledge(self, p: Acknowledged) -> list[str]:
        milestone, _, due = p.breach.partition("@")
        due_at = datetime.strptime(due, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        suffix = ".owner" if p.level == 0 else taken_suffix(p.kind)
        return [self.t(f"timeline.acknowledge{suffix}", level=p.level, role=self.role(p.role),
                       milestone=self.milestone(milestone), due=self.when(due_at))]

    def _notify(self, p: Notified) -> list[str]:
        if p.outcome == "sent":
            return [self.t("timeline.notify.sent", channel=self.channel(p.channel),
                           recipient=self.recipient(p.recipient), purpose=self.purpose(p.purpose))]
        if p.told_instead:  # a technician's SMS given up on, passed on to his supervisors
            told = ("、" if self.lang == "zh-CN" else ", ").join(p.told_instead)
            return [self.t("timeline.notify.failed_instead", channel=self.channel(p.channel),
                           recipient=self.recipient(p.recipient), error=p.error, told=told)]
        return [self.t(f"timeline.notify.{p.outcome}", channel=self.channel(p.channel),
                       recipient=self.recipient(p.recipient), error=p.error)]

    def recipient(self, value: str) -> str:
        """A person's address as it is; a topic of subscribers by what it is, not by its ARN."""
        if value.startswith("arn:aws:sns:"):
            return self.t("timeline.recipient.staff_topic")
        chat = chat_address(value)
        if chat is not None:  # a group robot, by its vendor and the secret that holds its URL
            return self.t("timeline.recipient.team_chat", vendor=self.t(f"timeline.vendor.{chat[0].value}"),
                          secret=chat[1])
        return value

    def channel(self, value: str) -> str:
        key = f"timeline.channel.{value}"
        if key not in CATALOG[self.lang]:
            raise _Unstructured()
        return self.t(key)

    def purpose(self, value: str) -> str:
        if value.startswith("escalation:"):  # escalation:breach:dispatched@20260310T020000Z:L2
            parts = value.split(":")
            milestone = parts[2].partition("@")[0] if len(parts) > 2 else ""
            return self.t("timeline.purpose.escalation", milestone=self.milestone(milestone))
        return self.known(f"timeline.purpose.{value}", value)

    # -- paid jobs, parts and loaners (chalicelib/services/billing.py) --

    def _decide_billing(self, p: Classified) -> list[str]:
        if not {"billing", "billing_reason"} <= set(p.after.changed):
            raise _Unstructured()
        return self.classification(p)

    def quote(self, p: Quoted, *, terms: bool = False, note: bool = False) -> list[str]:
        """The revision; ``terms``: its size, total and validity; ``note``: the note drafted with it."""
        quote = p.quote
        out = [self.t("quote.revision", revision=quote.revision)]
        if terms:
            out += [self.field("lines", self.t("timeline.lines", n=len(quote.lines))),
                    self.field("total", self.money(quote.total)),
                    self.field("valid_until", self.when(quote.valid_until))]
        return [*out, self.field("note", quote.note)] if note else out

    def _draft_quote(self, p: Quoted) -> list[str]:
        return self.quote(p, terms=True, note=True)

    def _send_quote(self, p: Quoted) -> list[str]:
        return self.quote(p, terms=True)

    def _approve_quote(self, p: Quoted) -> list[str]:
        return self.quote(p)

    def _decline_quote(self, p: Quoted) -> list[str]:
        return self.quote(p)

    def _invoice(self, p: Charged) -> list[str]:
        account = p.account
        return [self.field("amount", self.money(account.invoiced)),
                self.field("invoice_number", account.invoice_number),
                self.field("invoiced_on", self.when(account.invoiced_on))]

    def _record_payment(self, p: Charged) -> list[str]:
        payment = p.account.payments[-1]
        return [self.field("amount", self.money(payment.amount)),
                self.field("method", self.known(f"account.method.{payment.method.value}", payment.method.value)),
                self.field("received_on", self.when(payment.received_on)),
                self.field("reference", payment.reference)]

    def _request_parts(self, p: PartsMoved) -> list[str]:
        r = p.requisition
        items = [self.t("timeline.quantity", part=i.part_number, name=i.name, quantity=i.quantity) for i in r.items]
        return [self.field("requisition", r.id), self.field("parts", self.listing(items)), self.field("note", r.note)]

    def _review_parts(self, p: PartsMoved) -> list[str]:
        r = p.requisition
        return [self.field("requisition", r.id),
                self.field("review", self.known(f"parts.state.{r.state.value}", r.state.value)),
                self.field("review_note", r.review_note)]

    def _parts_lead_time(self, p: PartsMoved) -> list[str]:
        if p.requisition.expected_on is None:
            raise _Unstructured()
        return [self.field("requisition", p.requisition.id),
                self.field("expected_on", self.when(p.requisition.expected_on))]

    def _ship_parts(self, p: PartsMoved) -> list[str]:
        shipment = p.requisition.shipment
        if shipment is None:
            raise _Unstructured()
        return [self.field("requisition", p.requisition.id),
                self.field("shipped_on", self.when(shipment.shipped_on)),
                self.field("carrier", shipment.carrier),
                self.field("tracking_number", shipment.tracking_number)]

    def _receive_parts(self, p: PartsMoved) -> list[str]:
        if p.requisition.received_on is None:
            raise _Unstructured()
        return [self.field("requisition", p.requisition.id),
                self.field("parts_received_on", self.when(p.requisition.received_on))]

    def _issue_loaner(self, p: LoanerMoved) -> list[str]:
        loaner = p.loaner
        return [self.field("model", loaner.model), self.field("serial_number", loaner.serial_number),
                self.field("issued_to", loaner.issued_to), self.field("issued_on", self.when(loaner.issued_on))]

    # -- visits outside working time (chalicelib/domain/overtime.py) --

    def _request_overtime(self, p: OvertimeMoved) -> list[str]:
        visit = p.visit
        return [self.t("timeline.overtime.visit", visit=visit.id, starts=self.when(visit.starts_at),
                       ends=self.when(visit.ends_at), hours=visit.hours),
                self.listing(self.t(f"timeline.overtime.reason.{r.value}") for r in visit.reasons),
                self.field("note", visit.note)]

    def _decide_overtime(self, p: OvertimeMoved) -> list[str]:
        visit = p.visit
        return [self.t("timeline.overtime.visit", visit=visit.id, starts=self.when(visit.starts_at),
                       ends=self.when(visit.ends_at), hours=visit.hours),
                self.t(f"timeline.overtime.state.{visit.state.value}"), self.field("note", visit.decision_note)]

    def _return_loaner(self, p: LoanerMoved) -> list[str]:
        loaner = p.loaner
        if loaner.condition is None:
            raise _Unstructured()
        condition = loaner.condition.value
        return [self.field("model", loaner.model), self.field("serial_number", loaner.serial_number),
                self.field("condition", self.known(f"loaner.condition.{condition}", condition)),
                self.field("returned_on", self.when(loaner.returned_on)),
                "" if self.customer else self.field("note", loaner.return_note)]

    # -- after closure (chalicelib/services/aftercare.py) --

    def _send_survey(self, p: SurveySent) -> list[str]:
        return [self.field("survey_until", self.when(p.survey_until))]

    def _answer_survey(self, p: SurveyAnswered) -> list[str]:
        survey = p.survey
        scores = [self.t("timeline.field", name=self.t(f"aftercare.survey.{name}"),
                         value=self.t("timeline.score", score=getattr(survey, name)))
                  for name in ("overall", "timeliness", "attitude", "quality")]
        return [*scores, self.field("comment", survey.comment)]

    def _record_callback(self, p: CallbackRecorded) -> list[str]:
        callback = p.callback
        problem = callback.problem or "none"
        return [self.t(f"timeline.callback.{callback.outcome}"),
                self.field("problem", self.known(f"aftercare.problem.{problem}", problem) if problem != "none" else ""),
                self.field("notes", callback.notes),
                self.field("follow_up", callback.follow_up)]

    # -- complaints (chalicelib/services/complaints.py) --

    def _record_complaint(self, p: ComplaintMoved) -> list[str]:
        details = p.complaint.details
        severity = self.known(f"complaints.severity.{details.severity.value}", details.severity.value)
        return ["" if self.customer else self.field("severity", severity),  # the office's own assessment
                self.field("order_number", details.order_number),
                self.field("defective", self.t("timeline.out_of", part=details.defective_quantity,
                                               whole=details.quantity)),
                self.field("customer_request", details.customer_request)]

    def _commit_reply(self, p: ComplaintMoved) -> list[str]:
        return [self.field("reply_by", self.when(p.agreed_date or p.complaint.reply_by))]

    def _analyse_complaint(self, p: ComplaintMoved) -> list[str]:
        cause = p.cause or (p.complaint.cause.value if p.complaint.cause else None)
        if cause is None:
            raise _Unstructured()
        return [self.field("cause", self.known(f"complaints.cause.{cause}", cause)),
                self.field("department", p.complaint.department),
                self.field("analysis", p.complaint.analysis)]

    def _propose_resolution(self, p: ComplaintMoved) -> list[str]:
        resolution = p.complaint.resolution
        if resolution is None:
            raise _Unstructured()
        compensation = resolution.compensation
        return [self.field("resolution", resolution.text),
                self.field("compensation", self.money(compensation) if compensation else "")]

    def _approve_resolution(self, p: ComplaintMoved) -> list[str]:
        if p.complaint.resolution is None:
            raise _Unstructured()
        approval = p.complaint.resolution.approvals[-1]
        step = approval.step.value
        return [self.field("approver", self.known(f"complaints.approver.{step}", step)),
                self.field("note", approval.note)]

    _reject_resolution = _approve_resolution

    def capa(self, p: ComplaintMoved) -> CapaAction:
        if p.capa is None:
            raise _Unstructured()
        action = next(a for a in p.complaint.capa if a.id == p.capa.action)
        return action.model_copy(update={"status": CapaStatus(p.capa.action_status)})

    def _plan_capa(self, p: ComplaintMoved) -> list[str]:
        action = self.capa(p)
        kind = self.known(f"complaints.capa.kind.{action.kind.value}", action.kind.value)
        return [self.field("capa", f"{kind} · {action.description}", id=action.id),
                self.field("owner", action.owner), self.field("due", self.when(action.due))]

    def _update_capa(self, p: ComplaintMoved) -> list[str]:
        action = self.capa(p)
        status = self.known(f"complaints.capa.status.{action.status.value}", action.status.value)
        return [self.field("capa", status, id=action.id), self.field("note", action.note)]


def taken_suffix(kind: object) -> str:
    """Which words say that a step was taken: a breach's (also for links and events from before any other
    step could be taken, which name no kind), a deadline not yet missed (warned, or a duty that began),
    or a leader's notice of a severe job."""
    return {"warning": ".ahead", "prompt": ".ahead", "notice": ".notice"}.get(str(kind), "")
