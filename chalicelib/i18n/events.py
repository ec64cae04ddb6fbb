"""How a ticket's event reads in the reader's language: a label for its action and the facts it recorded.

Each ``TicketEvent`` carries an English ``summary`` written by the move that made it, and the facts
themselves in ``before``/``after`` (``Ticket.apply``). This module reads the facts — priorities,
assignees, billing, pause reasons, escalation levels, quotes, parts, callbacks, complaint causes, CAPA
status… — and says them with the words of ``chalicelib/i18n/timeline.py`` (and the words the pages
already use for the same values). What people typed (notes, reasons) is shown as typed. Should an
event not hold the facts its action normally records (an event from before they were recorded, or a
move made by hand), the line falls back to the stored summary, so nothing the summary said is lost.
Instants are shown in the service's time zone, as the pages show them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.billing import Quote
from chalicelib.domain.escalation import chat_address
from chalicelib.domain.ticket import Action, TicketEvent
from chalicelib.domain.uploads import display_name
from chalicelib.i18n import CATALOG, DEFAULT_LANGUAGE, t
from chalicelib.i18n.deadlines import duration, read_pause_note

# Actions whose label says everything the event records.
LABEL_ONLY = frozenset({
    Action.APPROVE, Action.SET_OUT, Action.START_REPAIR, Action.RESOLVE, Action.AGREE_RESOLUTION,
    Action.CLOSE_COMPLAINT,
})
# Fields of the classification (``DeskService.classify``), in the order they are shown.
CLASSIFICATION = ("priority", "plan", "in_province", "agreed_date", "kind", "billing", "billing_reason", "warranty")
# Ticket fields every move may change as a side effect; not news on their own.
_BOOKKEEPING = frozenset({"status", "paused_from"})


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
        if event.action in LABEL_ONLY:
            details = []
        else:
            write: Callable[[TicketEvent], list[str]] | None = getattr(self, f"_{event.action.value}", None)
            try:
                if write is None:
                    raise _Unstructured()
                details = [d for d in write(event) if d]
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
            return self.t(own, channel=self.value("channel", event.after.get("channel", "web")))
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

    def changes(self, event: TicketEvent, names: Iterable[str]) -> list[str]:
        """Each field the event set: its value, or ``before → after`` when it replaced another."""
        out = []
        for name in names:
            if name not in event.after:
                continue
            after = self.value(name, event.after[name])
            before = event.before.get(name)
            if before not in (None, "", []) and before != event.after[name]:
                after = self.t("timeline.change", before=self.value(name, before), after=after)
            out.append(self.t("timeline.field", name=self.known(f"timeline.field.{name}", name), value=after))
        return out

    def milestone(self, value: object) -> str:
        return self.known(f"milestone.{value}", value)

    def role(self, value: object) -> str:
        return self.known(f"role.{value}", value)

    @staticmethod
    def typed(summary: str, prefix: str) -> str:
        """What was typed after a fixed English prefix of the summary (``"cancelled: "``)."""
        if summary == prefix.rstrip(": "):
            return ""
        if not summary.startswith(prefix):
            raise _Unstructured()
        return summary.removeprefix(prefix)

    # -- intake and the desk (chalicelib/domain/ticket.py open_ticket, chalicelib/services/desk.py) --

    def _submit(self, e: TicketEvent) -> list[str]:
        if self.customer:
            return []  # the customer's label names the channel
        return [
            self.field("channel", self.value("channel", e.after["channel"])),
            self.field("kind", self.value("kind", e.after.get("kind"))) if e.after.get("kind") else "",
            self.field("warranty_until", self.when(e.after.get("warranty_until"))),
            self.known(f"timeline.sms_withheld.{e.after['sms_withheld']}", "") if e.after.get("sms_withheld") else "",
        ]

    def _classify(self, e: TicketEvent) -> list[str]:
        others = [k for k in e.after if k not in CLASSIFICATION and k not in _BOOKKEEPING]
        return self.changes(e, [*CLASSIFICATION, *others])

    def _record_contact(self, e: TicketEvent) -> list[str]:
        return [self.field("contact_note", self.typed(e.summary, "reporter contacted: "))]

    def _dispatch(self, e: TicketEvent) -> list[str]:
        return self.changes(e, _required(e, "assignees"))

    def _pause(self, e: TicketEvent) -> list[str]:
        code, typed = read_pause_note(e.summary)
        if code is None or code == "other":
            return [self.field("pause_reason", typed or self.t("sla.pause.other"))]
        return [self.field("pause_reason", self.t(f"sup.pause.{code}")), self.field("note", typed)]

    def _resume(self, e: TicketEvent) -> list[str]:
        return self.changes(e, _required(e, "status"))

    def _cancel(self, e: TicketEvent) -> list[str]:
        return [self.field("reason", self.typed(e.summary, "cancelled: "))]

    # -- on site and closure (chalicelib/services/field_work.py) --

    def _check_in(self, e: TicketEvent) -> list[str]:
        where = e.after.get("location")
        if not where or self.customer:  # where the technician's phone was is for the office
            return []
        values = {"lat": f"{float(where['lat']):.5f}", "lon": f"{float(where['lon']):.5f}"}
        if where.get("accuracy_m") is not None:
            text = self.t("timeline.location.accuracy", accuracy=round(float(where["accuracy_m"])), **values)
        else:
            text = self.t("timeline.location", **values)
        return [self.field("location", text)]

    def _report_arrival(self, e: TicketEvent) -> list[str]:
        report = e.after["report"]
        return [self.field(name, report.get(name)) for name in ("situation", "lodging", "contact_phone")]

    def _add_information(self, e: TicketEvent) -> list[str]:
        photos = [display_name(key) for key in e.after.get("photos") or []]
        return [self.field("note", e.after.get("note") or ""),
                self.field("photos", self.listing(photos) if photos else "")]

    def _report_progress(self, e: TicketEvent) -> list[str]:
        photos = len(e.after.get("photos") or [])
        return [self.field("progress", e.after["text"]),
                self.field("photos", self.t("timeline.count", n=photos) if photos else "")]

    def _report_departure(self, e: TicketEvent) -> list[str]:
        departure = e.after["departure"]
        return [self.field("planned_return", self.when(departure["planned_return"])),
                self.field("note", departure.get("note"))]

    def _upload_acceptance(self, e: TicketEvent) -> list[str]:
        acceptance = e.after["acceptance"]
        if acceptance.get("source") == "drawn":
            source = self.t("approvals.source.drawn", signer=acceptance.get("signer") or "-")
        else:
            source = self.t("approvals.source.uploaded")
        if self.customer:
            return [source]
        return [source, self.field("work_done", (acceptance.get("work") or {}).get("work_done"))]

    def _refuse_signature(self, e: TicketEvent) -> list[str]:
        return [self.field("reason", e.after["refusal"]["reason"])]

    def _reject_closure(self, e: TicketEvent) -> list[str]:
        reason = e.after["reason"] if "reason" in e.after else self.typed(e.summary, "closure rejected: ")
        return [self.field("reason", reason)]

    # -- the SLA clock and notifications (chalicelib/services/sla.py, notifications.py) --

    def _escalate(self, e: TicketEvent) -> list[str]:
        a = e.after
        kind = str(a["kind"])
        if f"timeline.escalate.{kind}" not in CATALOG[self.lang]:
            raise _Unstructured()
        late = int(a.get("late_by_seconds") or 0)
        # Below the ladder (level 0) is the deadline's owner, the technician: told by role, not by level.
        owned = f"timeline.escalate.{kind}.owner"
        key = owned if int(a["level"]) == 0 and owned in CATALOG[self.lang] else f"timeline.escalate.{kind}"
        return [self.t(
            key, milestone=self.milestone(a["milestone"]), level=int(a["level"]),
            role=self.role(a["role"]), late=self.t("timeline.late", late=duration(self.lang, late)) if late else "",
        ), *self.told(a.get("told"))]

    def told(self, told: list[dict[str, Any]] | None) -> list[str]:
        """Who heard of a step at once, and whose message waits for their working time (recorded since
        the ladder names them; older steps say nothing more)."""
        if told is None:
            return []
        if not told:
            return [self.t("timeline.told.nobody")]
        return [
            self.t("timeline.told.held", when=self.when(r["held_until"]), name=r["name"]) if r.get("held_until")
            else self.t("timeline.told.on_call" if r.get("on_call") else "timeline.told.now", name=r["name"])
            for r in told
        ]

    def _acknowledge(self, e: TicketEvent) -> list[str]:
        milestone, _, due = str(e.after["breach"]).partition("@")
        due_at = datetime.strptime(due, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        suffix = ".owner" if e.after.get("level") == 0 else taken_suffix(e.after.get("kind"))
        return [self.t(f"timeline.acknowledge{suffix}", level=int(e.after["level"]), role=self.role(e.after["role"]),
                       milestone=self.milestone(milestone), due=self.when(due_at))]

    def _notify(self, e: TicketEvent) -> list[str]:
        """The outbox writes ``"sms sent to +86… (quote)"`` or ``"email to a@b failed, will retry: …"``."""
        head, sep, rest = e.summary.partition(" sent to ")
        if sep and rest.endswith(")") and " (" in rest:
            recipient, _, purpose = rest[:-1].rpartition(" (")
            return [self.t("timeline.notify.sent", channel=self.channel(head), recipient=self.recipient(recipient),
                           purpose=self.purpose(purpose))]
        head, sep, rest = e.summary.partition(" to ")
        for ending, key in ((" failed for good: ", "timeline.notify.failed"),
                            (" failed, will retry: ", "timeline.notify.retry")):
            recipient, found, error = rest.partition(ending)
            if sep and found:
                return [self.t(key, channel=self.channel(head), recipient=self.recipient(recipient), error=error)]
        raise _Unstructured()

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

    def _decide_billing(self, e: TicketEvent) -> list[str]:
        return self.changes(e, _required(e, "billing", "billing_reason"))

    def quote(self, e: TicketEvent, *, terms: bool = False, note: bool = False) -> list[str]:
        """The revision; ``terms``: its size, total and validity; ``note``: the note drafted with it."""
        quote = Quote.model_validate(e.after["quote"])
        out = [self.t("quote.revision", revision=quote.revision)]
        if terms:
            out += [self.field("lines", self.t("timeline.lines", n=len(quote.lines))),
                    self.field("total", self.money(quote.total)),
                    self.field("valid_until", self.when(quote.valid_until))]
        return [*out, self.field("note", quote.note)] if note else out

    def _draft_quote(self, e: TicketEvent) -> list[str]:
        return self.quote(e, terms=True, note=True)

    def _send_quote(self, e: TicketEvent) -> list[str]:
        return self.quote(e, terms=True)

    def _approve_quote(self, e: TicketEvent) -> list[str]:
        return self.quote(e)

    def _decline_quote(self, e: TicketEvent) -> list[str]:
        return self.quote(e)

    def _invoice(self, e: TicketEvent) -> list[str]:
        account = e.after["account"]
        return [self.field("amount", self.money(account["invoiced"])),
                self.field("invoice_number", account.get("invoice_number")),
                self.field("invoiced_on", self.when(account.get("invoiced_on")))]

    def _record_payment(self, e: TicketEvent) -> list[str]:
        payment = e.after["account"]["payments"][-1]
        return [self.field("amount", self.money(payment["amount"])),
                self.field("method", self.known(f"account.method.{payment['method']}", payment["method"])),
                self.field("received_on", self.when(payment.get("received_on"))),
                self.field("reference", payment.get("reference"))]

    def _request_parts(self, e: TicketEvent) -> list[str]:
        requisition = _changed(e, "requisitions")
        items = [self.t("timeline.quantity", part=i["part_number"], name=i.get("name", ""), quantity=i["quantity"])
                 for i in requisition["items"]]
        return [self.field("requisition", requisition["id"]), self.field("parts", self.listing(items)),
                self.field("note", requisition.get("note"))]

    def _review_parts(self, e: TicketEvent) -> list[str]:
        requisition = _changed(e, "requisitions")
        state = requisition["state"]
        return [self.field("requisition", requisition["id"]),
                self.field("review", self.known(f"parts.state.{state}", state)),
                self.field("review_note", requisition.get("review_note"))]

    def _parts_lead_time(self, e: TicketEvent) -> list[str]:
        requisition = _changed(e, "requisitions")
        return [self.field("requisition", requisition["id"]),
                self.field("expected_on", self.when(requisition["expected_on"]))]

    def _ship_parts(self, e: TicketEvent) -> list[str]:
        requisition = _changed(e, "requisitions")
        shipment = requisition["shipment"]
        return [self.field("requisition", requisition["id"]),
                self.field("shipped_on", self.when(shipment["shipped_on"])),
                self.field("carrier", shipment.get("carrier")),
                self.field("tracking_number", shipment.get("tracking_number"))]

    def _receive_parts(self, e: TicketEvent) -> list[str]:
        requisition = _changed(e, "requisitions")
        return [self.field("requisition", requisition["id"]),
                self.field("parts_received_on", self.when(requisition["received_on"]))]

    def _issue_loaner(self, e: TicketEvent) -> list[str]:
        loaner = _changed(e, "loaners")
        return [self.field("model", loaner["model"]), self.field("serial_number", loaner.get("serial_number")),
                self.field("issued_to", loaner.get("issued_to")),
                self.field("issued_on", self.when(loaner.get("issued_on")))]

    def _return_loaner(self, e: TicketEvent) -> list[str]:
        loaner = _changed(e, "loaners")
        condition = loaner["condition"]
        return [self.field("model", loaner.get("model")), self.field("serial_number", loaner.get("serial_number")),
                self.field("condition", self.known(f"loaner.condition.{condition}", condition)),
                self.field("returned_on", self.when(loaner.get("returned_on"))),
                "" if self.customer else self.field("note", loaner.get("return_note"))]

    # -- after closure (chalicelib/services/aftercare.py) --

    def _send_survey(self, e: TicketEvent) -> list[str]:
        return [self.field("survey_until", self.when(e.after["survey_until"]))]

    def _answer_survey(self, e: TicketEvent) -> list[str]:
        survey = e.after["survey"]
        scores = [self.t("timeline.field", name=self.t(f"aftercare.survey.{name}"),
                         value=self.t("timeline.score", score=survey[name]))
                  for name in ("overall", "timeliness", "attitude", "quality")]
        return [*scores, self.field("comment", survey.get("comment"))]

    def _record_callback(self, e: TicketEvent) -> list[str]:
        callback = e.after["callback"]
        problem = callback.get("problem") or "none"
        return [self.t(f"timeline.callback.{callback['outcome']}"),
                self.field("problem", self.known(f"aftercare.problem.{problem}", problem) if problem != "none" else ""),
                self.field("notes", callback.get("notes")),
                self.field("follow_up", callback.get("follow_up"))]

    # -- complaints (chalicelib/services/complaints.py) --

    def _record_complaint(self, e: TicketEvent) -> list[str]:
        details = e.after["complaint"]["details"]
        severity = self.known(f"complaints.severity.{details['severity']}", details["severity"])
        return ["" if self.customer else self.field("severity", severity),  # the office's own assessment
                self.field("order_number", details.get("order_number")),
                self.field("defective", self.t("timeline.out_of", part=details["defective_quantity"],
                                               whole=details["quantity"])),
                self.field("customer_request", details.get("customer_request"))]

    def _commit_reply(self, e: TicketEvent) -> list[str]:
        return [self.field("reply_by", self.when(e.after.get("agreed_date") or e.after["complaint"]["reply_by"]))]

    def _analyse_complaint(self, e: TicketEvent) -> list[str]:
        complaint = e.after["complaint"]
        cause = e.after.get("complaint_cause") or complaint["cause"]
        return [self.field("cause", self.known(f"complaints.cause.{cause}", cause)),
                self.field("department", complaint.get("department")),
                self.field("analysis", complaint.get("analysis"))]

    def _propose_resolution(self, e: TicketEvent) -> list[str]:
        resolution = e.after["complaint"]["resolution"]
        compensation = resolution.get("compensation")
        return [self.field("resolution", resolution["text"]),
                self.field("compensation", self.money(compensation) if compensation else "")]

    def _approve_resolution(self, e: TicketEvent) -> list[str]:
        approval = e.after["complaint"]["resolution"]["approvals"][-1]
        step = approval["step"]
        return [self.field("approver", self.known(f"complaints.approver.{step}", step)),
                self.field("note", approval.get("note"))]

    _reject_resolution = _approve_resolution

    def capa(self, e: TicketEvent) -> dict[str, Any]:
        record = e.after["capa"]
        action = next(a for a in e.after["complaint"]["capa"] if a["id"] == record["action"])
        return {**action, "status": record["action_status"]}

    def _plan_capa(self, e: TicketEvent) -> list[str]:
        action = self.capa(e)
        kind = self.known(f"complaints.capa.kind.{action['kind']}", action["kind"])
        return [self.field("capa", f"{kind} · {action['description']}", id=action["id"]),
                self.field("owner", action["owner"]), self.field("due", self.when(action["due"]))]

    def _update_capa(self, e: TicketEvent) -> list[str]:
        action = self.capa(e)
        status = self.known(f"complaints.capa.status.{action['status']}", action["status"])
        return [self.field("capa", status, id=action["id"]), self.field("note", action.get("note"))]


def _required(event: TicketEvent, *names: str) -> tuple[str, ...]:
    """``names``, which the event must have recorded to be read."""
    if not all(name in event.after for name in names):
        raise _Unstructured()
    return names


def _changed(event: TicketEvent, name: str) -> dict[str, Any]:
    """The item of a list field (requisitions, loaners; each with an ``id``) that the event added or changed."""
    before = {item["id"]: item for item in event.before.get(name) or []}
    changed = [item for item in event.after[name] if before.get(item["id"]) != item]
    if len(changed) != 1:
        raise _Unstructured()
    return changed[0]


def taken_suffix(kind: object) -> str:
    """Which words say that a step was taken: a breach's (also for links and events from before any other
    step could be taken, which name no kind), a deadline not yet missed (warned, or a duty that began),
    or a leader's notice of a severe job."""
    return {"warning": ".ahead", "prompt": ".ahead", "notice": ".notice"}.get(str(kind), "")
