"""Slack payloads to Guichet's types and back, within Block Kit's limits."""

from __future__ import annotations

import pytest

from bot.channels.locale import language_of
from bot.kernel.domain import Button, Link, Reply
from connectors.slack import translate
from knowledge_index.suggest import Suggestion

pytestmark = pytest.mark.unit


def test_mention_removed_and_slack_escapes_undone() -> None:
    assert translate.message_text("<@U0GUICHET> my VPN &amp; Wi-Fi &lt;3") == "my VPN & Wi-Fi <3"


def test_reply_as_blocks_escaped_with_buttons_and_links() -> None:
    reply = Reply(
        text="**VPN** <down> & [status](https://status.norvane.example)",
        buttons=[Button(title="x" * 100, payload="/open_incident")],
        links=[Link(title="Guide <VPN>", url="https://kb.norvane.example/vpn")],
    )
    message = translate.reply_message(reply)
    assert message["text"] == reply.text  # the notification's plain text
    section, links, actions = message["blocks"]
    assert section["text"]["text"] == (
        "*VPN* &lt;down&gt; &amp; <https://status.norvane.example|status>"
    )
    assert links["text"]["text"] == "• <https://kb.norvane.example/vpn|Guide &lt;VPN&gt;>"
    [button] = actions["elements"]
    assert len(button["text"]["text"]) == 75 and button["value"] == "/open_incident"


def test_long_text_split_into_sections_of_3000() -> None:
    blocks = translate.reply_message(Reply(text="a" * 7000))["blocks"]
    assert [len(b["text"]["text"]) for b in blocks] == [3000, 3000, 1000]


def test_answered_message_keeps_its_text_and_loses_its_buttons() -> None:
    blocks = translate.reply_message(Reply(text="Pick", buttons=[Button(title="A", payload="/a")]))[
        "blocks"
    ]
    answered = translate.answered_blocks(blocks, "A", "fr")
    assert [b["type"] for b in answered] == ["section", "context"]
    assert answered[1]["elements"][0]["text"] == "✓ Vous avez choisi\u00a0: A"


def _suggestion(**fields: object) -> Suggestion:
    values: dict[str, object] = {
        "type": "procedure",
        "id": "vpn-en",
        "group": "vpn",
        "title": "Fix the VPN",
        "title_html": "Fix the <mark>VPN</mark>",
        "snippet": "",
        "score": 0.9,
    }
    values.update(fields)
    return Suggestion.model_validate(values)


def test_suggestions_as_options_within_slack_limits() -> None:
    long_ticket = "/open_incident" + '{"description": "' + "b" * 300 + '"}'
    options = translate.options(
        [
            _suggestion(),
            _suggestion(id="vpn-fr"),  # the same article in the other language: once
            _suggestion(type="action", id="reset", action="/password_reset", title="Reset"),
            _suggestion(
                type="create_ticket", id="t", group=None, action=long_ticket, title="T" * 90
            ),
            _suggestion(type="incident_notice", id="notice-7", group="notice-7", title="Outage"),
        ]
    )
    assert [o["value"] for o in options] == [
        '/article{"article": "vpn"}',
        "/password_reset",
        "/open_incident",
        "notice:notice-7",
    ]
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in options)
    assert options[0]["text"]["text"] == "📄 Fix the VPN"


def test_submitted_modal_gives_the_choice_or_the_text() -> None:
    view = {
        "state": {
            "values": {
                "search": {"suggestion": {"selected_option": {"value": "/password_reset"}}},
                "describe": {"text": {"value": "  printer jam  "}},
            }
        }
    }
    assert translate.submitted(view) == ("/password_reset", "printer jam")
    assert translate.submitted({"state": {"values": {}}}) == (None, "")


def test_locale_to_language() -> None:
    assert language_of("fr-CA", "en") == "fr"
    assert language_of("en-GB", "fr") == "en"
    assert language_of("de-DE", "fr") == "fr"
    assert language_of(None, "en") == "en"
