"""One-time codes by e-mail, through the organisation's mail server (aiosmtplib).

`security` chooses STARTTLS (587), TLS from the first byte (465) or none (a local relay);
with a username, Guichet logs in after the TLS handshake. `health` connects, says EHLO,
upgrades and logs in as configured, and quits without sending anything.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from bot.kernel.delivery import CodeMessage, DeliveryFailed
from bot.kernel.directory import DestinationKind, HealthCheck
from bot.kernel.errors import SettingsInvalid
from bot.settings.delivery import SmtpSettings

NAME = "smtp"


class SmtpSender:
    name = NAME
    kinds = frozenset({DestinationKind.EMAIL})

    def __init__(self, settings: SmtpSettings) -> None:
        for setting, value in (("HOST", settings.host), ("SENDER", settings.sender)):
            if not value:
                raise SettingsInvalid(
                    setting=f"GUICHET_DELIVERY__SMTP__{setting}",
                    problem="is not set while e-mail codes go through SMTP",
                    expected="the mail server's host name"
                    if setting == "HOST"
                    else "the From address, e.g. 'IT help <it-help@example.org>'",
                )
        self.settings = settings

    def _client(self) -> aiosmtplib.SMTP:
        settings = self.settings
        context = None
        if settings.security != "none":
            context = ssl.create_default_context(cafile=settings.ca_file)
        return aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            use_tls=settings.security == "tls",
            start_tls=settings.security == "starttls",
            tls_context=context,
            username=settings.username or None,
            password=settings.password.get_secret_value() or None,
            timeout=settings.timeout_seconds,
        )

    async def send(self, message: CodeMessage) -> None:
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = message.destination.address
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(domain=self.settings.host)
        # The code is read, not clicked: no link, no tracking, nothing a filter dislikes.
        mail.set_content(message.text)
        mail["Content-Language"] = message.language  # after set_content, which resets it
        try:
            async with self._client() as client:
                await client.send_message(mail)
        except (aiosmtplib.SMTPException, OSError) as exc:
            problem = _problem(exc).replace(message.destination.address, "<recipient>")
            raise DeliveryFailed(sender=self.name, problem=problem) from exc

    async def health(self) -> list[HealthCheck]:
        where = f"{self.settings.host}:{self.settings.port}"
        client = self._client()
        try:
            await client.connect()  # EHLO, then STARTTLS and login as configured
            if client.last_ehlo_response is None:
                await client.ehlo()
            await client.quit()
        except (aiosmtplib.SMTPException, OSError) as exc:
            return [HealthCheck("smtp", False, f"{where}: {_problem(exc)}")]
        finally:
            client.close()
        done = {"starttls": "STARTTLS", "tls": "TLS", "none": "no TLS"}[self.settings.security]
        if self.settings.username:
            done += f", logged in as {self.settings.username}"
        return [HealthCheck("smtp", True, f"{where}: EHLO answered ({done}); nothing sent")]

    async def aclose(self) -> None:
        return None  # one connection per message


def _problem(exc: BaseException) -> str:
    """What went wrong, without the message (which holds the code) or the recipient."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"the server answered {exc.code} {exc.message.splitlines()[0][:120]}"
    return f"{type(exc).__name__}: {str(exc)[:160] or 'no detail'}"
