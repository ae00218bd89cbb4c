"""The issue's end to end, against a real OpenLDAP slapd: an employee unlocks their account and
resets their password from the web widget with a code e-mailed through a real local SMTP server,
the directory's policy refuses a short password in French, and the new one binds to LDAP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.services import Components, Services
from bot.settings.directory import DirectorySettings
from tests.bot.self_service.test_reset_over_http import CODE, Widget, _links, _open, _text
from tests.connectors.delivery.mailbox import Mailbox, smtp_server
from tests.connectors.directory.test_ldap import binds, settings_for
from tests.slapd import PASSWORD, RunningSlapd, start_slapd

pytestmark = [pytest.mark.slow, pytest.mark.integration]

CLAIRE = "claire.martin@norvane.test"  # codes go to her personal address (otherMailbox)


@pytest.fixture
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSlapd]:
    running = start_slapd(tmp_path_factory.mktemp("slapd-reset"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def ldap_app(
    components: Components, tmp_path: Path, slapd: RunningSlapd
) -> AsyncIterator[tuple[Services, httpx.AsyncClient, Mailbox]]:
    async with smtp_server() as mailbox:
        delivery = {
            "email": "smtp",
            "sms": "none",
            "smtp": {
                "host": mailbox.host,
                "port": mailbox.port,
                "security": "none",
                "sender": "IT <it@norvane.test>",
            },
        }
        directory = DirectorySettings(backend="ldap", ldap=settings_for(slapd))
        async for services, client in _open(
            components, tmp_path, delivery=delivery, directory=directory
        ):
            yield services, client, mailbox


async def _code(mailbox: Mailbox) -> str:
    mail = await mailbox.next_message()
    assert mail["To"] == "claire.perso@example.org"
    body = mail.get_body()
    assert body is not None
    return str(CODE.findall(body.get_content())[0])


async def test_unlock_then_reset_from_the_widget_then_bind_to_ldap(
    ldap_app: tuple[Services, httpx.AsyncClient, Mailbox], slapd: RunningSlapd
) -> None:
    services, client, mailbox = ldap_app
    for _ in range(3):  # ppolicy locks the account after three failed binds
        assert not binds(slapd, "claire.martin", "not-her-password")
    assert not binds(slapd, "claire.martin", PASSWORD)
    person = await services.directory.lookup(CLAIRE)
    assert person is not None and person.locked

    widget = Widget(client, CLAIRE)
    await widget.start("fr")
    asked = await widget.say("mon compte est bloqué")
    assert "c•••@example.org" in _text(asked)
    assert "débloqué" in _text(await widget.say(await _code(mailbox)))
    assert binds(slapd, "claire.martin", PASSWORD)

    await widget.start("fr")
    await widget.say("j'ai oublié mon mot de passe")
    verified = await widget.say(await _code(mailbox))
    [link] = _links(verified)
    page = await client.get(link)
    assert page.status_code == 200 and "Claire Martin" in page.text

    short = await client.post(link, data={"password": "Court-1", "confirm": "Court-1"})
    assert short.status_code == 422 and "trop court" in short.text
    new = "Nouveau-mot-de-passe-2026"
    done = await client.post(link, data={"password": new, "confirm": new})
    assert done.status_code == 200 and "Votre mot de passe est changé" in done.text
    assert binds(slapd, "claire.martin", new)
    assert not binds(slapd, "claire.martin", PASSWORD)
