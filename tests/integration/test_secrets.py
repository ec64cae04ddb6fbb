"""Secrets come from Secrets Manager at run time (cached); locally their environment value still works."""

import socket
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters.secrets import read_secret
from chalicelib.adapters.signed_links import JwtLinkSigner
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.services.ports import BadLink
from chalicelib.settings import Settings

LINK_SECRET = "from-secrets-manager-" + "x" * 40


@pytest.fixture
def secrets():
    with mock_aws():
        yield boto3.client("secretsmanager")


def test_a_secret_is_read_once_then_served_from_the_cache(secrets):
    arn = secrets.create_secret(Name="service-desk/link", SecretString=LINK_SECRET)["ARN"]

    assert read_secret(arn) == LINK_SECRET
    secrets.put_secret_value(SecretId=arn, SecretString="rotated")
    assert read_secret(arn) == LINK_SECRET, "cached for a few minutes, not fetched on every link"


def test_links_are_signed_with_the_secret_in_secrets_manager_not_an_environment_value(secrets):
    arn = secrets.create_secret(Name="service-desk/link", SecretString=LINK_SECRET)["ARN"]
    settings = Settings(link_signing_secret_name=arn, link_signing_secret="an-environment-value-" + "y" * 40)

    token = wiring.link_signer(settings).sign({"ticket": "SD-2026-000001"}, timedelta(hours=1))

    assert JwtLinkSigner(LINK_SECRET).verify(token)["ticket"] == "SD-2026-000001"
    with pytest.raises(BadLink):
        JwtLinkSigner(settings.link_signing_secret).verify(token)


def test_locally_the_environment_value_signs(secrets):
    settings = Settings(link_signing_secret="local-" + "z" * 40)

    token = wiring.link_signer(settings).sign({"ticket": "SD-2026-000001"}, timedelta(hours=1))

    assert JwtLinkSigner(settings.link_signing_secret).verify(token)["ticket"] == "SD-2026-000001"


class Inbox:
    def __init__(self):
        self.logins: list[tuple[bytes, bytes]] = []
        self.messages = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"smtp-secret")

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted"


def test_the_smtp_password_is_read_from_secrets_manager(secrets):
    arn = secrets.create_secret(Name="service-desk/smtp", SecretString="smtp-secret")["ARN"]
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox, auth_require_tls=False)
    controller.start()
    try:
        settings = Settings(email_provider="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                            smtp_username="desk", smtp_password_secret_name=arn)
        now = datetime.now(UTC)
        wiring.email_sender(settings).send(OutboxMessage(
            id="m1", ticket_number="SD-2026-000001", purpose="t", channel=MessageChannel.EMAIL,
            recipient="wang@example.cn", subject="SD-2026-000001", text="hello", created_at=now, next_attempt_at=now,
        ))
    finally:
        controller.stop()

    assert inbox.logins == [(b"desk", b"smtp-secret")]
    assert len(inbox.messages) == 1
