"""A channel user keeps one conversation, and gets a new one when theirs was erased."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from bot.api.schemas import MAX_MESSAGE_CHARS
from bot.channels.conversations import UserConversations
from bot.services import Services
from bot.storage.tables import ConversationRow

pytestmark = pytest.mark.unit


async def test_one_conversation_per_user_and_a_new_one_after_erasure(services: Services) -> None:
    chats = UserConversations("slack")
    await chats.handle(services.engine, "ann@norvane.example", "hello")
    await chats.handle(services.engine, "ann@norvane.example", "thanks")
    await chats.handle(services.engine, "bo@norvane.example", "hello")
    ann = await services.conversations.latest_for_user(
        channel="slack", user_id="ann@norvane.example"
    )
    assert ann is not None
    assert [t.text for t in ann.transcript if t.role == "user"] == ["hello", "thanks"]

    async with services.database.sessions.begin() as session:
        await session.execute(delete(ConversationRow).where(ConversationRow.id == ann.id))
    replies = await chats.handle(services.engine, "ann@norvane.example", "hello again")
    assert replies
    again = await services.conversations.latest_for_user(
        channel="slack", user_id="ann@norvane.example"
    )
    assert again is not None and again.id != ann.id
    assert [t.text for t in again.transcript if t.role == "user"] == ["hello again"]


async def test_a_message_past_the_size_limit_is_cut(services: Services) -> None:
    chats = UserConversations("teams")
    await chats.handle(services.engine, "ann@norvane.example", "Outlook crashes. " * 1000)
    ann = await services.conversations.latest_for_user(
        channel="teams", user_id="ann@norvane.example"
    )
    assert ann is not None
    [said] = [t.text for t in ann.transcript if t.role == "user"]
    assert len(said) == MAX_MESSAGE_CHARS
    assert said.startswith("Outlook crashes. Outlook crashes.")
