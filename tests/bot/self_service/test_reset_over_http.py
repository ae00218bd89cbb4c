"""An employee resets their password from the web widget, over HTTP against the real app: the
code is read from a real local SMTP server (or a local server speaking Twilio's API), typed in
the chat, and the link opens Guichet's own reset page, which hands the new password to the
directory."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.app.services import open_services
from bot.app.web import create_app
from bot.kernel.directory import PasswordRejected
from bot.services import Components, Services
from bot.settings import load_settings
from bot.settings.web import WebSettings
from connectors.directory.builtin import BuiltinDirectory
from connectors.web.tokens import mint_token
from tests.browser import served
from tests.connectors.delivery.mailbox import Mailbox, smtp_server
from tests.connectors.delivery.twilio_server import ACCOUNT_SID, AUTH_TOKEN, Twilio

pytestmark = pytest.mark.slow

PORTAL_KEY = "portal-test-key-" + "0123456789abcdef" * 3
MARIE = "marie.dupont@norvane.example"
CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    async with smtp_server() as server:
        yield server


async def _open(
    components: Components, tmp_path: Path, **overrides: Any
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}",
        web=WebSettings(portal_key=SecretStr(PORTAL_KEY)),
        **overrides,
    )
    services = await open_services(settings, components)
    app = create_app(settings, services)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
            ) as client,
        ):
            yield services, client
    finally:
        await services.close()


@pytest.fixture
async def smtp_app(
    components: Components, tmp_path: Path, mailbox: Mailbox
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    """Codes go by e-mail through the local SMTP server, and by no other way."""
    delivery = {
        "email": "smtp",
        "sms": "none",
        "smtp": {
            "host": mailbox.host,
            "port": mailbox.port,
            "security": "none",
            "sender": "IT <it@norvane.example>",
        },
    }
    async for opened in _open(components, tmp_path, delivery=delivery):
        yield opened


@pytest.fixture
async def demo_app(
    components: Components, tmp_path: Path
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    async for opened in _open(components, tmp_path):
        yield opened


class Widget:
    def __init__(self, client: httpx.AsyncClient, user: str = MARIE) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {mint_token(user, PORTAL_KEY)}"}
        self.path = ""

    async def start(self, language: str) -> None:
        started = await self.client.post(
            "/widget/api/conversations", json={"language": language}, headers=self.headers
        )
        assert started.status_code == 201, started.text
        self.path = f"/widget/api/conversations/{started.json()['id']}/messages"

    async def say(self, text: str) -> list[dict[str, Any]]:
        sent = await self.client.post(self.path, json={"text": text}, headers=self.headers)
        assert sent.status_code == 200, sent.text
        replies: list[dict[str, Any]] = sent.json()["replies"]
        return replies


def _links(replies: list[dict[str, Any]]) -> list[str]:
    return [link["url"] for reply in replies for link in reply.get("links", [])]


def _text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply["text"] for reply in replies)


async def test_reset_with_a_code_from_the_mail_server(
    smtp_app: tuple[Services, httpx.AsyncClient], mailbox: Mailbox
) -> None:
    services, client = smtp_app
    widget = Widget(client)
    await widget.start("fr")
    asked = await widget.say("j'ai oublié mon mot de passe")
    assert "code à 6 chiffres" in _text(asked) and "m•••@norvane.example" in _text(asked)
    assert not _links(asked)  # no demo inbox with a real mail server
    mail = await mailbox.next_message()
    assert mail["To"] == MARIE and mail["Content-Language"] == "fr"
    body = mail.get_body()
    assert body is not None and "Bonjour Marie Dupont" in body.get_content()
    code = CODE.findall(body.get_content())[0]

    verified = await widget.say(code)
    [link] = _links(verified)
    assert link.startswith("/password/reset/") and "lien" in _text(verified)
    page = await client.get(link)
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "Choisissez un nouveau mot de passe" in page.text and "Marie Dupont" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in page.headers["cache-control"]

    short = await client.post(link, data={"password": "court", "confirm": "court"})
    assert short.status_code == 422
    assert "trop court" in short.text and "au moins 12 caractères" in short.text
    different = await client.post(link, data={"password": "A" * 14, "confirm": "B" * 14})
    assert different.status_code == 422 and "différents" in different.text

    new = "Correct-Horse-Battery-42"
    done = await client.post(link, data={"password": new, "confirm": new})
    assert done.status_code == 200 and "Votre mot de passe est changé" in done.text
    with pytest.raises(PasswordRejected):  # the directory has it: it is now in its history
        await services.directory.set_password(MARIE, new)
    again = await client.get(link, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert again.status_code == 410 and "ne fonctionne plus" in again.text
    assert (await client.post(link, data={"password": new, "confirm": new})).status_code == 410


async def test_unlock_a_locked_account_with_an_emailed_code(
    smtp_app: tuple[Services, httpx.AsyncClient], mailbox: Mailbox
) -> None:
    services, client = smtp_app
    directory = services.directory
    assert isinstance(directory, BuiltinDirectory)
    directory.locked.add(MARIE)
    assert (await directory.lookup(MARIE)).locked  # type: ignore[union-attr]
    widget = Widget(client)
    await widget.start("en")
    await widget.say("my account is locked")
    body = (await mailbox.next_message()).get_body()
    assert body is not None
    unlocked = await widget.say(CODE.findall(body.get_content())[0])
    assert "unlocked" in _text(unlocked)
    assert MARIE not in directory.locked


async def test_only_destinations_with_a_sender_are_offered(
    smtp_app: tuple[Services, httpx.AsyncClient], mailbox: Mailbox
) -> None:
    """No SMS or voice sender: the e-mail is the only way, so no 'text me' or 'call me'."""
    _services, client = smtp_app
    widget = Widget(client)
    await widget.start("en")
    await widget.say("I forgot my password")
    resent = await widget.say("/resend_code")
    buttons = [b["title"] for reply in resent for b in reply.get("buttons", [])]
    assert "Text me instead" not in buttons and "Call me instead" not in buttons


async def test_the_demo_inbox_shows_the_code_to_that_user_in_development(
    demo_app: tuple[Services, httpx.AsyncClient],
) -> None:
    services, client = demo_app
    widget = Widget(client)
    await widget.start("en")
    asked = await widget.say("I forgot my password")
    [inbox] = _links(asked)
    page = await client.get(inbox, params={"lang": "fr"})
    assert page.status_code == 200 and "Boîte de réception de démo" in page.text
    code = services.self_service.demo_inbox.messages[-1].message.code  # type: ignore[union-attr]
    assert code in page.text and "•• •• ••" in page.text
    # Another person's inbox path shows them nothing of Marie's; a forged one is a 404.
    other = services.self_service.demo_inbox_path("john.smith@norvane.example")
    assert other is not None and code not in (await client.get(other)).text
    assert (await client.get(inbox[:-4] + "abcd")).status_code == 404
    assert "one-time link" in _text(await widget.say(code))
    services.self_service.development = False  # as in production
    assert (await client.get(inbox)).status_code == 404


async def test_reset_with_a_code_texted_through_twilio(
    components: Components, tmp_path: Path
) -> None:
    twilio = Twilio()
    async with served(twilio.app()) as url:
        delivery = {
            "email": "none",
            "sms": "sms",
            "twilio": {
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "sender": "+33757000000",
                "api_url": url,
            },
        }
        async for _services, client in _open(components, tmp_path, delivery=delivery):
            widget = Widget(client, "john.smith@norvane.example")
            await widget.start("en")
            asked = _text(await widget.say("I forgot my password"))
            assert "6-digit code to •• •• ••" in asked
            [text] = twilio.sent
            assert text["To"].startswith("+336") and text["From"] == "+33757000000"
            code = CODE.findall(text["Body"])[0]
            assert text["Body"].startswith(f"{code} is your Guichet verification code")
            assert "one-time link" in _text(await widget.say(code))
