"""`POST /webhook` (the Rasa action server): malformed calls from whoever reaches it.

rasa-sdk's endpoint answers a call it cannot run with 400 and `{"error", "action_name"}`,
which Rasa reads; never a 500.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bot.services import Services
from bot.settings.rasa_actions import RasaActionSettings
from connectors.rasa_actions.bridge import RasaBridge
from connectors.rasa_actions.domain import actions_domain
from tests.connectors.rasa_actions.calls import RasaConversation
from tests.security.conftest import client_of
from tests.security.sqlite_only import sqlite_only  # noqa: F401  (the fixture)

pytestmark = pytest.mark.unit
USER = "marie.dupont@norvane.example"
Change = Callable[[dict[str, Any]], None]
TOKEN = "rasa-actions-test-token"


@pytest.fixture
async def rasa(app: FastAPI, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """Rasa calling with the action server's token: what is tested here is the call."""
    services.settings.rasa_actions = RasaActionSettings(token=SecretStr(TOKEN))
    async with client_of(app, {"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def _set(path: str, value: object) -> Change:
    *parents, last = path.split(".")

    def change(call: dict[str, Any]) -> None:
        target = call
        for part in parents:
            target = target[part]
        target[last] = value

    return change


def _drop(path: str) -> Change:
    *parents, last = path.split(".")

    def change(call: dict[str, Any]) -> None:
        target = call
        for part in parents:
            target = target[part]
        del target[last]

    return change


MALFORMED: list[tuple[str, Change, str]] = [
    ("an empty domain", _set("domain", {}), "domain"),
    ("a domain that is a list", _set("domain", []), "domain"),
    ("a domain without slots", _drop("domain.slots"), "domain"),
    ("domain slots that are a list", _set("domain.slots", ["impact"]), "domain.slots"),
    ("domain forms that are a string", _set("domain.forms", "create_ticket_form"), "domain.forms"),
    ("a domain slot that is a string", _set("domain.slots.impact", "text"), "domain.slots"),
    ("no tracker", _drop("tracker"), "tracker"),
    ("a tracker that is a list", _set("tracker", []), "tracker"),
    ("slots that are not a dict", _set("tracker.slots", ["impact"]), "tracker.slots"),
    ("events that are not objects", _set("tracker.events", [1, "x"]), "tracker.events"),
    ("a latest message that is a string", _set("tracker.latest_message", "hi"), "latest_message"),
    ("an active loop that is a list", _set("tracker.active_loop", ["x"]), "active_loop"),
    ("a next action that is a number", _set("next_action", 5), "next_action"),
]


@pytest.fixture
def call(services: Services) -> dict[str, Any]:
    """A well-formed call of the ticket form's validation, as Rasa 3.6 sends it."""
    rasa = RasaConversation(USER, actions_domain(RasaBridge(services)))
    rasa.user("my laptop screen flickers", "open_incident")
    rasa.action("create_ticket_form")
    rasa.loop("create_ticket_form", "impact")
    return rasa.call("validate_create_ticket_form")


async def test_the_well_formed_call_is_answered(
    rasa: httpx.AsyncClient, call: dict[str, Any]
) -> None:
    response = await rasa.post("/webhook", json=call)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("change", "named"), [(c, n) for _, c, n in MALFORMED],
                         ids=[what for what, _, _ in MALFORMED])  # fmt: skip
async def test_a_malformed_call_is_a_400_in_rasa_sdks_shape_naming_it(
    rasa: httpx.AsyncClient, call: dict[str, Any], change: Change, named: str
) -> None:
    """Issue 13, row 11: `"domain": {}` made an action raise (a 500)."""
    malformed = copy.deepcopy(call)
    change(malformed)
    response = await rasa.post("/webhook", json=malformed)
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"error", "action_name"}
    assert named in body["error"], body
