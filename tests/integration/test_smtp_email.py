"""Email over plain SMTP (for AWS China, which has no SES), against a real SMTP server on loopback."""

import socket
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from chalicelib import wiring
from chalicelib.adapters.smtp_email import SmtpEmailSender
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.services.ports import DeliveryError
from chalicelib.settings import get_settings


class Inbox:
    def __init__(self, refuse: str | None = None):
        self.messages = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    inbox = Inbox(refuse="nobody@example.com")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def message(to="wang@example.cn"):
    now = datetime.now(UTC)
    return OutboxMessage(id="m1", ticket_number="SD-2026-000001", purpose="t", channel=MessageChannel.EMAIL,
                         recipient=to, subject="报修已受理：SD-2026-000001", text="您好，单号 SD-2026-000001",
                         created_at=now, next_attempt_at=now)


def test_an_email_goes_out_through_smtp_with_chinese_intact(smtp_server):
    inbox, port = smtp_server
    sender = SmtpEmailSender("noreply@desk.example.cn", "127.0.0.1", port, security="none")
    assert sender.send(message()).startswith("<")
    (envelope,) = inbox.messages
    assert envelope.rcpt_tos == ["wang@example.cn"]
    assert "SD-2026-000001" in envelope.content.decode()


def test_a_refused_mailbox_is_a_permanent_failure(smtp_server):
    _, port = smtp_server
    sender = SmtpEmailSender("noreply@desk.example.cn", "127.0.0.1", port, security="none")
    with pytest.raises(DeliveryError) as caught:
        sender.send(message(to="nobody@example.com"))
    assert caught.value.permanent


def test_an_unreachable_server_is_retried_later():
    sender = SmtpEmailSender("noreply@desk.example.cn", "127.0.0.1", 1, security="none", timeout=2)
    with pytest.raises(DeliveryError) as caught:
        sender.send(message())
    assert not caught.value.permanent


def test_the_provider_is_chosen_per_stage_by_configuration(monkeypatch):
    monkeypatch.setenv("EMAIL_PROVIDER", "smtp")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.cn")
    get_settings.cache_clear()
    assert isinstance(wiring.email_sender(get_settings()), SmtpEmailSender)
