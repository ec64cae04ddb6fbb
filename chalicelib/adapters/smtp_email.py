"""Email through a plain SMTP server, for regions without SES (AWS China) or a company mail relay.

Connection refusals, timeouts and 4xx replies are retried later by the outbox; a 5xx reply for the
recipient is permanent.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid

from chalicelib.domain.notification import OutboxMessage
from chalicelib.services.ports import DeliveryError


class SmtpEmailSender:
    def __init__(
        self,
        sender: str,
        host: str,
        port: int = 587,
        *,
        username: str = "",
        password: str | Callable[[], str] = "",
        security: str = "starttls",  # "starttls", "tls" (implicit, port 465) or "none" (local relay)
        timeout: float = 10.0,
    ):
        self._sender = sender
        self._host = host
        self._port = port
        self._username = username
        # A callable is asked at each login: the password lives in Secrets Manager on AWS.
        self._password = password if callable(password) else lambda: password
        self._security = security
        self._timeout = timeout

    def send(self, message: OutboxMessage) -> str:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        try:
            with self._connect() as smtp:
                if self._username:
                    smtp.login(self._username, self._password())
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(f"SMTP refused {message.recipient}: {codes}",
                                permanent=all(c >= 500 for c in codes)) from error
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"SMTP {error.smtp_code}: {error.smtp_error!r}",
                                permanent=error.smtp_code >= 500) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP unreachable: {error}") from error
        return str(email["Message-ID"])

    def send_raw(self, recipient: str, mime: bytes) -> str:
        """A whole MIME message as is (the monthly report), to ``recipient`` only (the envelope)."""
        parsed = message_from_bytes(mime, policy=SMTP_POLICY)
        try:
            with self._connect() as smtp:
                if self._username:
                    smtp.login(self._username, self._password())
                smtp.sendmail(self._sender, [recipient], mime)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(f"SMTP refused {recipient}: {codes}",
                                permanent=all(c >= 500 for c in codes)) from error
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"SMTP {error.smtp_code}: {error.smtp_error!r}",
                                permanent=error.smtp_code >= 500) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP unreachable: {error}") from error
        return str(parsed["Message-ID"] or "")

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            return smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout,
                                    context=ssl.create_default_context())
        smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        if self._security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp
