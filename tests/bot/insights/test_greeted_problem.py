"""A problem said with a greeting is a problem the knowledge base answers, not a gap."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services import Services
from bot.storage.tables import KnowledgeGapEventRow
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Bonjour, mon imprimante ne fonctionne plus", "fr"),
        ("Hello, my printer does not work anymore", "en"),
    ],
)
async def test_an_employee_says_hello_and_that_the_printer_is_broken(
    services: Services, text: str, language: str
) -> None:
    chat = await Chat.start(services, language=language)
    await chat.say(text)
    linked = [link.url.rsplit("/", 1)[-1] for reply in chat.replies for link in reply.links]
    offered = [b.payload for reply in chat.replies for b in reply.buttons]
    articles = linked + [p for p in offered if p.startswith("/article")]
    assert any("printer-" in article for article in articles), chat.text
    async with services.database.sessions() as session:
        gaps = (await session.scalars(select(KnowledgeGapEventRow.query))).all()
    assert text not in gaps, "answered by a printer article, so not a knowledge gap"
