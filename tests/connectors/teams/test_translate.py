"""Teams activities to Guichet's types and back."""

from __future__ import annotations

import pytest
from microsoft_agents.activity import Activity, ChannelAccount

from bot.kernel.domain import Button, Link, Reply
from connectors.teams import translate

pytestmark = pytest.mark.unit


def test_text_without_mentions_or_the_payload_of_a_card_button() -> None:
    said = Activity(type="message", text="<at>Guichet</at> my screen is black")
    assert translate.incoming_text(said) == "my screen is black"
    clicked = Activity(type="message", value={"payload": '/reopen{"ticket": "INC-1"}'})
    assert translate.incoming_text(clicked) == '/reopen{"ticket": "INC-1"}'
    assert translate.incoming_text(Activity(type="message", text="<at>Guichet</at>")) is None


def test_email_from_the_member_or_its_upn() -> None:
    member = ChannelAccount.model_validate({"id": "29:1", "email": "Ann@Norvane.example"})
    assert translate.email_of(member) == "ann@norvane.example"
    upn = ChannelAccount.model_validate({"id": "29:1", "userPrincipalName": "bo@norvane.example"})
    assert translate.email_of(upn) == "bo@norvane.example"
    assert translate.email_of(ChannelAccount(id="29:1", name="Guest")) is None


def test_plain_reply_is_markdown_text_and_choices_are_an_adaptive_card() -> None:
    plain = translate.reply_activity(Reply(text="**Done**"))
    assert (plain.text, plain.text_format, plain.attachments) == ("**Done**", "markdown", None)
    reply = Reply(
        text="Does it work now?",
        buttons=[Button(title="Yes", payload="/confirm_resolution")],
        links=[Link(title="Guide", url="https://kb.norvane.example/vpn")],
    )
    [attachment] = translate.reply_activity(reply).attachments or []
    assert attachment.content_type == "application/vnd.microsoft.card.adaptive"
    card = attachment.content
    assert card["body"] == [{"type": "TextBlock", "text": "Does it work now?", "wrap": True}]
    assert card["actions"] == [
        {"type": "Action.Submit", "title": "Yes", "data": {"payload": "/confirm_resolution"}},
        {"type": "Action.OpenUrl", "title": "Guide", "url": "https://kb.norvane.example/vpn"},
    ]
