"""A ServiceNow replay for the problem tests, and services synced with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app.services import open_services
from bot.services import Components, Services
from bot.settings import Settings, TicketSettings, load_settings
from bot.settings.itsm import ItsmSettings, ServiceNowSettings
from tests.bot.dialogue.chat import Chat
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.server import LocalServer
from tests.contracts.fakes.servicenow import Instance, servicenow_app


@dataclass
class ServiceNow:
    url: str
    instance: Instance


@pytest.fixture
def servicenow() -> Iterator[ServiceNow]:
    app, instance = servicenow_app(Faults())
    server = LocalServer(app).start()
    try:
        yield ServiceNow(server.url, instance)
    finally:
        server.stop()


def synced_settings(
    tmp_path: Path, database_url: str, servicenow: ServiceNow, **more: object
) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        database_url=database_url,
        tickets=TicketSettings(sync_backends=["servicenow"], run_sync_worker=False),
        itsm=ItsmSettings(
            servicenow=ServiceNowSettings(
                base_url=servicenow.url,
                username="guichet.integration",
                password=SecretStr("guichet-pass"),
            )
        ),
        **more,
    )


@pytest.fixture
async def synced(
    components: Components, database_url: str, tmp_path: Path, servicenow: ServiceNow
) -> AsyncIterator[Services]:
    """Services whose tickets and problems are copied to the ServiceNow replay."""
    opened = await open_services(synced_settings(tmp_path, database_url, servicenow), components)
    try:
        yield opened
    finally:
        await opened.close()


async def report(services: Services, user: str) -> str:
    """`user` reports SAP down in the chat and confirms the ticket; what the bot said."""
    chat = await Chat.start(services, user=f"{user}@norvane.example")
    await chat.say("please open a ticket: SAP is down, it shows an error 503 when I log in")
    await chat.press("My team")
    await chat.press("It blocks my work")
    said = await chat.press("Yes")
    assert "Ticket " in said
    return said


async def report_outage(services: Services) -> str:
    """Three people report SAP down: outage grouping opens a parent incident; its reference."""
    for user in ("ian", "jo", "kim"):
        await report(services, user)
    (parent,) = [
        tk
        for tk in await services.tickets.find(kind="incident")
        if tk.details.get("major_incident")
    ]
    return parent.reference
