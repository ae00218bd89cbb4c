"""A real Rasa 3.6.21 server whose action endpoint is Guichet: a ticket created through Rasa.

Rasa runs from `.venv-rasa` (created by `scripts/rasa-env.sh` if missing) on a small assistant
(`assistant.py`: keyword NLU, rules, Guichet's domain; trained once, cached by content), with
`endpoints.yml` pointing `action_endpoint` at Guichet's `/webhook` served on 127.0.0.1. The
user talks to Rasa's REST channel; Rasa's form asks with Guichet's questions, validates with
Guichet, and Guichet creates the ticket.
"""

from __future__ import annotations

import socket
from contextlib import ExitStack
from typing import Any

import anyio
import httpx
import pytest
import yaml
from pydantic import SecretStr

from bot.kernel.i18n import t
from bot.services import Services
from bot.settings.rasa_actions import RasaActionSettings
from connectors.rasa_actions.bridge import RasaBridge
from connectors.rasa_actions.domain import actions_domain
from nlu.rasa_runtime import RasaWorkspace, rasa_server
from tests.conftest import CACHE
from tests.connectors.rasa_actions.assistant import project_files, train

pytestmark = [pytest.mark.integration, pytest.mark.slow]
USER = "marie.dupont@norvane.example"
TOKEN = "rasa-to-guichet"


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """SQLite only here: the protocol tests run on both databases."""
    return f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_rasa_assistant_creates_a_ticket_through_guichet(
    services: Services, guichet_url: str, tmp_path: Any
) -> None:
    workspace = RasaWorkspace(CACHE / "rasa-actions")
    files = project_files(actions_domain(RasaBridge(services)))
    model = await anyio.to_thread.run_sync(train, files, workspace)
    services.settings.rasa_actions = RasaActionSettings(token=SecretStr(TOKEN))
    endpoints, credentials = tmp_path / "endpoints.yml", tmp_path / "credentials.yml"
    endpoints.write_text(
        yaml.safe_dump({"action_endpoint": {"url": f"{guichet_url}/webhook", "token": TOKEN}})
    )
    credentials.write_text(yaml.safe_dump({"rest": None}))
    extra = ["--endpoints", str(endpoints), "--credentials", str(credentials)]
    with ExitStack() as stack:
        server = rasa_server(model, workspace, port=_free_port(), extra_args=extra)
        rasa = await anyio.to_thread.run_sync(stack.enter_context, server)
        async with httpx.AsyncClient(base_url=rasa.url, timeout=120.0) as client:

            async def say(text: str) -> list[dict[str, Any]]:
                response = await client.post(
                    "/webhooks/rest/webhook",
                    json={"sender": USER, "message": text, "metadata": {"language": "en"}},
                )
                assert response.status_code == 200, response.text
                said: list[dict[str, Any]] = response.json()
                assert said, f"Rasa said nothing to {text!r}; see {workspace.log('server')}"
                return said

            assert (await say("/open_incident"))[-1]["text"] == t(
                "Please describe the problem in a few words.", "en"
            )
            impact = (await say("My laptop screen flickers when docked"))[-1]
            assert impact["text"] == t("Who is affected?", "en")
            assert '/inform{"impact": "team"}' in [b["payload"] for b in impact["buttons"]]
            assert (await say('/inform{"impact": "team"}'))[-1]["text"] == t(
                "How urgent is it?", "en"
            )
            review = (await say('/inform{"urgency": "high"}'))[-1]
            assert "My laptop screen flickers when docked" in review["text"]
            assert review["text"].endswith("Shall I go ahead?")
            created = (await say("/affirm"))[-1]["text"]
            assert created.startswith("Ticket INC-") and "priority P3" in created

            [ticket] = await services.tickets.store.open_for(USER)
            assert ticket.reference in created
            assert (ticket.channel, ticket.impact, ticket.urgency, ticket.category) == (
                "rasa",
                "team",
                "high",
                "other",
            )
            assert ticket.description == "My laptop screen flickers when docked"
            status = (await say("/incident_status"))[0]["text"]
            assert ticket.reference in status

            tracker = (await client.get(f"/conversations/{USER}/tracker")).json()
            assert tracker["slots"]["description"] is None  # the form's slots are cleared
            assert tracker["active_loop"] == {}
    assert ticket.conversation_id is not None
    conversation = await services.conversations.get(ticket.conversation_id)
    assert "My laptop screen flickers when docked" in [
        turn.text for turn in conversation.transcript
    ]
