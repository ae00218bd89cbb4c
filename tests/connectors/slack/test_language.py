"""The language of a Slack conversation: the user's Slack locale until they write, then theirs.

Bea's Slack is in French (`fr-FR`), Ann's in English (`en-US`); `users.info` gives the locale
only when asked with `include_locale`, as Slack does.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bot.kernel.domain import Button, Reply
from bot.kernel.i18n import t
from bot.kernel.messages import SMALL_TALK
from bot.services import Services
from connectors.slack import translate
from tests.connectors.slack.fake_slack import (
    TEAM,
    FakeSlack,
    direct_message,
    event_callback,
    form,
    interactive,
)
from tests.connectors.slack.test_slack import FORM, JSON, arrived, send

pytestmark = pytest.mark.unit

NAMES = {"U0ANN": "ann", "U0BEA": "bea"}


def slack_user(user: str) -> dict[str, str]:
    return {"id": user, "username": NAMES[user], "name": NAMES[user], "team_id": TEAM}


async def code_sent(services: Services, email: str, language: str) -> str:
    """The password-reset flow's first message, as Guichet words it in `language`."""
    person = await services.directory.lookup(email)
    assert person is not None
    return t(
        "To check it's you, I've sent a 6-digit code to {second_factor}. Type "
        "it here. I will never ask for your password.",
        language,
        second_factor=person.destinations[0].masked(),  # the first way codes go
    )


async def click(guichet: httpx.AsyncClient, user: str, button: Button) -> None:
    """`user` clicks `button` on a message of the app's in their DM (a pushed one, say)."""
    message = translate.reply_message(Reply(text="INC-000042", buttons=[button]))
    [element] = message["blocks"][-1]["elements"]
    payload = {
        "type": "block_actions",
        "user": slack_user(user),
        "api_app_id": "A0GUICHET",
        "token": "XXYYZZ",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": f"D{user[1:]}",
            "is_ephemeral": False,
        },
        "trigger_id": "trigger-12466734323.1395872398",
        "team": {"id": TEAM, "domain": "norvane"},
        "channel": {"id": f"D{user[1:]}", "name": "directmessage"},
        "message": {"type": "message", "bot_id": "B0GUICHET", "ts": "1700000000.000100", **message},
        "response_url": f"https://hooks.slack.com/actions/{TEAM}/1/abc",
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": translate.BUTTONS_BLOCK,
                "text": element["text"],
                "value": element["value"],
                "type": "button",
                "action_ts": "1700000001.000200",
            }
        ],
    }
    assert (await send(guichet, interactive(payload), FORM)).status_code == 200


async def language_of(services: Services, email: str) -> str:
    conversation = await services.conversations.latest_for_user(channel="slack", user_id=email)
    assert conversation is not None
    return conversation.language


async def test_french_user_choosing_password_reset_in_the_modal_gets_the_french_flow(
    guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    command = form(
        token="XXYYZZ",
        team_id=TEAM,
        team_domain="norvane",
        channel_id="C0GENERAL",
        channel_name="general",
        user_id="U0BEA",
        user_name="bea",
        command="/helpdesk",
        text="",
        api_app_id="A0GUICHET",
        response_url=f"https://hooks.slack.com/commands/{TEAM}/1/xyz",
        trigger_id="trigger-13345224609.738474920.8088930838d88f008e0",
    )
    assert (await send(guichet, command, FORM)).status_code == 200
    [opened] = await arrived(slack, "views.open", 1)
    view: dict[str, Any] = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["private_metadata"] == "fr"

    typed = {
        "type": "block_suggestion",
        "user": slack_user("U0BEA"),
        "container": {"type": "view", "view_id": "VMHU10V25"},
        "api_app_id": "A0GUICHET",
        "token": "XXYYZZ",
        "action_id": translate.SEARCH_ACTION,
        "block_id": translate.SEARCH_BLOCK,
        "value": "mot de passe",
        "team": {"id": TEAM, "domain": "norvane"},
        "view": {**view, "id": "VMHU10V25", "state": {"values": {}}},
    }
    options = await send(guichet, interactive(typed), FORM)
    reset = next(o for o in options.json()["options"] if o["value"] == "/password_reset")
    assert "Réinitialiser mon mot de passe" in reset["text"]["text"]

    submission = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "norvane"},
        "user": slack_user("U0BEA"),
        "api_app_id": "A0GUICHET",
        "token": "XXYYZZ",
        "trigger_id": "trigger-12345.98765.abcd2358fdea",
        "view": {
            **view,
            "id": "VMHU10V25",
            "state": {
                "values": {
                    translate.SEARCH_BLOCK: {
                        translate.SEARCH_ACTION: {
                            "type": "external_select",
                            "selected_option": reset,
                        }
                    },
                    translate.DESCRIBE_BLOCK: {
                        translate.DESCRIBE_ACTION: {"type": "plain_text_input", "value": None}
                    },
                }
            },
        },
    }
    assert (await send(guichet, interactive(submission), FORM)).status_code == 200
    [answer] = await arrived(slack, "chat.postMessage", 1)
    assert answer.args["channel"] == "U0BEA"
    assert answer.args["text"] == await code_sent(services, "bea.durand@norvane.example", "fr")
    assert await language_of(services, "bea.durand@norvane.example") == "fr"


@pytest.mark.parametrize(
    ("user", "email", "language"),
    [("U0BEA", "bea.durand@norvane.example", "fr"), ("U0ANN", "ann.martin@norvane.example", "en")],
)
async def test_a_button_clicked_first_is_answered_in_the_users_slack_language(
    guichet: httpx.AsyncClient,
    slack: FakeSlack,
    services: Services,
    user: str,
    email: str,
    language: str,
) -> None:
    await click(guichet, user, Button(title="Reset my password", payload="/password_reset"))
    [answer] = await arrived(slack, "chat.postMessage", 1)
    assert answer.args["channel"] == f"D{user[1:]}"
    assert answer.args["text"] == await code_sent(services, email, language)
    assert await language_of(services, email) == language


async def test_what_a_french_slack_user_writes_in_english_is_answered_in_english(
    guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    """The locale is a default: the engine's detection of typed text wins, even after a
    button (a payload is not the user's first message as far as the language goes)."""
    await click(guichet, "U0BEA", Button(title="Menu", payload="/greet"))
    [greeting] = await arrived(slack, "chat.postMessage", 1)
    assert greeting.args["text"] == t(SMALL_TALK["greet"], "fr")

    sentence = "Hello, I forgot my password and I need to reset it"
    await send(guichet, event_callback(direct_message("U0BEA", sentence)), JSON)
    [_, answer] = await arrived(slack, "chat.postMessage", 2)
    assert answer.args["text"] == await code_sent(services, "bea.durand@norvane.example", "en")
    assert await language_of(services, "bea.durand@norvane.example") == "en"


async def test_a_french_slack_user_writing_french_stays_in_french(
    guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    await send(
        guichet, event_callback(direct_message("U0BEA", "j'ai oublié mon mot de passe")), JSON
    )
    [answer] = await arrived(slack, "chat.postMessage", 1)
    assert answer.args["text"] == await code_sent(services, "bea.durand@norvane.example", "fr")
