"""Issue 13, row 7: the Rasa action server (`POST /webhook`) ran any `sender_id`'s actions
without a token in development: it listed that user's tickets, commented on them and sent a
code to their phone. It now needs its token in every environment."""

from __future__ import annotations

import logging
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.app.cli.main import app as cli
from bot.kernel.i18n import t
from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from bot.settings import Environment, Settings
from bot.settings.rasa_actions import RasaActionSettings
from connectors.rasa_actions.bridge import RasaBridge
from connectors.rasa_actions.domain import actions_domain
from connectors.rasa_actions.token import token_path
from tests.connectors.rasa_actions.calls import RasaConversation
from tests.security.conftest import client_of, serve

VICTIM = "marie.dupont@norvane.example"


@asynccontextmanager
async def action_server(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async for app in serve(settings, services):
        async with client_of(app) as client:
            yield client


async def ticket_status_call(services: Services) -> dict[str, Any]:
    """What an outsider posts to read the victim's tickets: a tracker with her `sender_id`."""
    await services.tickets.create(
        NewTicket(
            kind="incident",
            requester=VICTIM,
            channel="rasa",
            conversation_id=None,
            title="VPN down",
            description="since this morning",
            category="network",
            impact="person",
            urgency="low",
            priority="P5",
            language="en",
        )
    )
    rasa = RasaConversation(VICTIM, actions_domain(RasaBridge(services)))
    rasa.user("where is my ticket?", "incident_status")
    return rasa.call("action_ticket_status")


async def test_reading_someones_tickets_without_a_token_is_refused_in_development(
    services: Services,
) -> None:
    assert services.settings.environment is Environment.DEVELOPMENT
    assert not services.settings.rasa_actions.token.get_secret_value()
    call = await ticket_status_call(services)
    async with action_server(services.settings, services) as outsider:
        refused = await outsider.post("/webhook", json=call)
        guessed = await outsider.post("/webhook?token=guess", json=call)
        listed = await outsider.get("/actions")
    assert refused.status_code == guessed.status_code == listed.status_code == 401
    assert "VPN down" not in refused.text


async def test_reading_someones_tickets_without_a_token_is_refused_in_production(
    services: Services,
) -> None:
    services.settings.environment = Environment.PRODUCTION
    settings = services.settings
    call = await ticket_status_call(services)
    async with action_server(settings, services) as outsider:
        refused = await outsider.post("/webhook", json=call)
    assert refused.status_code == 401
    assert "GUICHET_RASA_ACTIONS__TOKEN is not set" in refused.json()["detail"]
    assert not token_path(settings).exists()  # no token made up outside development


async def test_the_configured_token_is_required_and_works(services: Services) -> None:
    services.settings.rasa_actions = RasaActionSettings(token=SecretStr("configured-token"))
    settings = services.settings
    call = await ticket_status_call(services)
    async with action_server(settings, services) as rasa:
        without = await rasa.post("/webhook", json=call)
        right = await rasa.post("/webhook?token=configured-token", json=call)
        bearer = await rasa.post(
            "/webhook", json=call, headers={"Authorization": "Bearer configured-token"}
        )
    assert without.status_code == 401
    assert right.status_code == bearer.status_code == 200, right.text
    assert "VPN down" in right.json()["responses"][0]["text"]
    assert not token_path(settings).exists()


async def test_the_generated_development_token_is_private_kept_across_restarts_and_not_logged(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    call = await ticket_status_call(services)
    with caplog.at_level(logging.INFO, logger="guichet.rasa_actions"):
        async with action_server(services.settings, services):
            pass
    path = token_path(services.settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = path.read_text().strip()
    assert len(token) >= 32
    assert str(path) in caplog.text
    assert token not in caplog.text
    async with action_server(services.settings, services) as rasa:  # a restart
        right = await rasa.post(f"/webhook?token={token}", json=call)
    assert right.status_code == 200, right.text
    assert right.json()["responses"][0]["text"] != t("You have no open ticket.", "en")
    assert path.read_text().strip() == token


def test_the_cli_prints_the_development_token(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUICHET_DATA_DIR", str(services.settings.data_dir))
    printed = CliRunner().invoke(cli, ["rasa", "action-token"])
    assert printed.exit_code == 0, printed.output
    assert printed.output.strip() == token_path(services.settings).read_text().strip()
