"""The escalation page in the agent's language: why the user was handed over, the bot's Markdown
rendered (and nothing else of a message taken as HTML), statuses named, never codes."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from bot.console.desk import EscalationDesk
from bot.console.live import turn_event
from bot.console.markdown import markdown
from bot.kernel.domain import Turn
from bot.services import Services
from tests.bot.auth.helpers import bearer
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow


def test_the_bots_markdown_is_rendered_and_html_in_a_message_is_escaped() -> None:
    shown = markdown(
        "This article should help: **VPN on hotel Wi-Fi**\n- step *one*\n- `ipconfig`\n"
        '<img src=x onerror="alert(1)"> [portal](javascript:alert(1)) [article](/kb/vpn)'
    )
    assert "<strong>VPN on hotel Wi-Fi</strong>" in shown
    assert "<li>step <em>one</em></li>" in shown and "<code>ipconfig</code>" in shown
    assert "<img" not in shown and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown
    assert 'href="javascript' not in shown and '<a href="/kb/vpn">article</a>' in shown


def test_a_line_after_a_list_is_its_own_paragraph_as_in_the_widget() -> None:
    shown = markdown("I'll order: a monitor.\n- Delivery location: Lyon office\nShall I go ahead?")
    assert "<li>Delivery location: Lyon office</li>\n</ul>\n<p>Shall I go ahead?</p>" in shown


def test_a_live_bot_turn_carries_its_markdown_rendered_and_a_users_none() -> None:
    bot = turn_event("c1", Turn(role="bot", text="**Done** <script>x</script>"))
    user = turn_event("c1", Turn(role="user", text="**not markdown** <b>"))
    assert bot["html"] == "<p><strong>Done</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
    assert user["html"] is None


@pytest.mark.parametrize(
    ("language", "reason", "strong"),
    [("fr", "a demandé un technicien", "<strong>"), ("en", "asked for an agent", "<strong>")],
)
async def test_an_agent_opens_a_hand_off_and_reads_the_reason_and_the_bots_answer(
    app: FastAPI, services: Services, language: str, reason: str, strong: str
) -> None:
    chat = await Chat.start(services, user="max@norvane.example", channel="web", language="fr")
    answer = await chat.say("écran externe noir après la mise en veille sur la station d'accueil")
    assert "**" in answer  # the bot's article answer, in Markdown
    await chat.say("/human_handoff")
    await chat.say("**urgent** <b>svp</b>")  # the user's words stay as typed
    (item,) = await EscalationDesk(services).queue()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://guichet.test",
        headers={
            **await bearer(services, role="agent", email="zoe@norvane.example"),
            "Accept": "text/html",
            "Accept-Language": language,
        },
    ) as browser:
        page = (await browser.get(f"/console/escalations/{item.id}")).text
    assert f'<dd id="reason">{reason}</dd>' in page
    assert "user_request" not in page
    transcript = page.split('id="transcript"')[1].split("</ol>")[0]
    assert strong in transcript and "**Écrans" not in transcript
    assert "**urgent** &lt;b&gt;svp&lt;/b&gt;" in transcript
    assert "<b>" not in transcript
