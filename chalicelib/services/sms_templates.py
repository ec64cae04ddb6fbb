"""Our SMS as carrier templates, and the notifier that sends them by template code.

``SMS_TEMPLATES`` names every SMS the desk sends and the catalog text it is written from; each is
registered once per language with the carrier (``python -m ops.sms_templates`` prints them in each
carrier's syntax) and its code configured as ``SMS_TEMPLATE_CODES`` (``<name>.<language>=<code>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.sms import SmsTemplate, template_for
from chalicelib.i18n import CATALOG, LANGUAGES
from chalicelib.services.ports import DeliveryError

# Template name -> the catalog text it is (a test checks every SMS text of the catalog is here).
SMS_TEMPLATES: dict[str, str] = {
    "customer_confirmation": "msg.customer.sms",
    "quote": "msg.quote.sms",
    "survey": "aftercare.msg.survey.sms",
    "maintenance_reminder": "aftercare.msg.visit.sms",
    "quote_short": "msg.quote.short.sms",
    "quote_shortest": "msg.quote.shortest.sms",
    "dispatch": "msg.dispatch.sms",
    "dispatch_short": "msg.dispatch.short.sms",
    "dispatch_shortest": "msg.dispatch.shortest.sms",
    "notice": "msg.notice.sms",
    "notice_short": "msg.notice.short.sms",
    "notice_shortest": "msg.notice.shortest.sms",
    "escalation": "msg.escalation.sms",
}


def sms_templates() -> list[SmsTemplate]:
    return [SmsTemplate(name, lang, CATALOG[lang][key]) for name, key in SMS_TEMPLATES.items() for lang in LANGUAGES]


def parse_template_codes(text: str) -> dict[str, str]:
    """``customer_confirmation.zh-CN=SMS_1234, quote.zh-CN=SMS_5678`` (commas or new lines)."""
    codes = {}
    for entry in text.replace("\n", ",").split(","):
        name, _, code = entry.partition("=")
        if name.strip() and code.strip():
            codes[name.strip()] = code.strip()
    return codes


class TemplateSmsSender(Protocol):
    def send_template(self, phone: str, template_code: str, variables: Mapping[str, str],
                      order: tuple[str, ...]) -> str:
        """Sends one SMS by template; returns the provider's id. ``order``: the variables' order (Tencent
        takes a list). Raises ``DeliveryError`` (``permanent`` for what a retry cannot fix)."""


class TemplatedSms:
    """A ``Notifier`` for SMS through a carrier that sends registered templates only."""

    def __init__(self, sender: TemplateSmsSender, codes: Mapping[str, str],
                 templates: list[SmsTemplate] | None = None):
        self._sender = sender
        self._codes = dict(codes)
        self._templates = templates if templates is not None else sms_templates()

    def send(self, message: OutboxMessage) -> str:
        found = template_for(message.text, self._templates)
        if found is None:
            raise DeliveryError(f"no SMS template makes this {message.purpose} message", permanent=True)
        template, variables = found
        code = self._codes.get(template.key)
        if not code:
            raise DeliveryError(f"SMS template {template.key} has no carrier code (SMS_TEMPLATE_CODES)",
                                permanent=True)
        return self._sender.send_template(message.recipient, code, variables, template.variables)
