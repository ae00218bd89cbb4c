"""E-mailed codes through a real local SMTP server (aiosmtpd): plain, and STARTTLS with login."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from bot.kernel.delivery import CodeMessage, DeliveryFailed
from bot.kernel.directory import CodeDestination, DestinationKind
from bot.kernel.errors import SettingsInvalid
from bot.settings.delivery import SmtpSettings
from connectors.delivery.smtp import SmtpSender
from tests.connectors.delivery.certificates import self_signed, server_context
from tests.connectors.delivery.mailbox import free_port, smtp_server

TO = CodeDestination("email", DestinationKind.EMAIL, "dana.perso@example.net")
MESSAGE = CodeMessage(
    TO, "482913", "Votre code : 482913", "Bonjour,\n\nvotre code est 482913.", "fr"
)


def _authenticator(*_args: Any, **_kwargs: Any) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"guichet",
            b"mail-pass",
        )
        return AuthResult(success=ok, handled=False)

    return check


async def test_a_code_reaches_the_mail_server() -> None:
    async with smtp_server() as mailbox:
        sender = SmtpSender(
            SmtpSettings(
                host=mailbox.host,
                port=mailbox.port,
                security="none",
                sender="IT <it@norvane.example>",
            )
        )
        await sender.send(MESSAGE)
        mail = await mailbox.next_message()
    assert mail["To"] == TO.address and mail["From"] == "IT <it@norvane.example>"
    assert mail["Subject"] == "Votre code : 482913" and mail["Content-Language"] == "fr"
    body = mail.get_body()
    assert body is not None and "482913" in body.get_content()


async def test_starttls_and_login(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    options = {
        "tls_context": server_context(cert, key),
        "require_starttls": True,
        "authenticator": _authenticator(),
        "auth_require_tls": True,
        "auth_required": True,
    }
    async with smtp_server(**options) as mailbox:
        settings = SmtpSettings(
            host=mailbox.host,
            port=mailbox.port,
            security="starttls",
            username="guichet",
            password=SecretStr("mail-pass"),
            sender="it@norvane.example",
            ca_file=str(cert),
        )
        sender = SmtpSender(settings)
        [health] = await sender.health()
        assert health.ok and "STARTTLS" in health.detail and "guichet" in health.detail
        assert mailbox.messages == []  # the check sends nothing
        await sender.send(MESSAGE)
        assert "482913" in (await mailbox.next_message()).as_string()
        wrong = SmtpSender(settings.model_copy(update={"password": SecretStr("nope")}))
        [refused] = await wrong.health()
        assert not refused.ok and "535" in refused.detail
        with pytest.raises(DeliveryFailed, match="535"):
            await wrong.send(MESSAGE)


async def test_a_closed_port_fails_the_check_and_the_send() -> None:
    sender = SmtpSender(
        SmtpSettings(host="127.0.0.1", port=free_port(), security="none", sender="it@x.example")
    )
    [health] = await sender.health()
    assert not health.ok and f":{sender.settings.port}" in health.detail
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(MESSAGE)
    assert TO.address not in str(failed.value) and "482913" not in str(failed.value)


def test_the_host_and_sender_are_required() -> None:
    with pytest.raises(SettingsInvalid, match="GUICHET_DELIVERY__SMTP__HOST"):
        SmtpSender(SmtpSettings(sender="it@x.example"))
    with pytest.raises(SettingsInvalid, match="GUICHET_DELIVERY__SMTP__SENDER"):
        SmtpSender(SmtpSettings(host="mail.x.example"))
