"""Conversation storage on SQLite and PostgreSQL, with the Alembic migrations applied."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect

from bot.kernel.domain import Button, Link, Turn, utcnow
from bot.kernel.errors import ConversationNotFound
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database

pytestmark = pytest.mark.unit


async def test_migrations_create_the_schema_and_are_idempotent(database: Database) -> None:
    await database.migrate()
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"conversations", "turns", "tickets", "escalations", "alembic_version"} <= tables


async def test_conversation_round_trip_with_transcript(database: Database) -> None:
    store = ConversationStore(database)
    conversation = await store.create(
        channel="slack", user_id="ann@norvane.example", language="fr", language_locked=True
    )
    conversation.state.slots["impact"] = "team"
    conversation.state.active_action = "create_ticket"
    start = utcnow()
    turns = [
        Turn(role="user", text="bonjour", at=start, language="fr", intent="greet", confidence=0.98),
        Turn(
            role="bot",
            text="Bonjour !",
            at=start + timedelta(milliseconds=5),
            buttons=[Button(title="Mes tickets", payload="/incident_status")],
            links=[Link(title="KB", url="/kb/fr/vpn-connect")],
        ),
    ]
    await store.save(conversation, turns)
    await store.save(
        conversation, [Turn(role="user", text="é ü 🎉 ' \" ;--", at=start + timedelta(seconds=1))]
    )

    loaded = await store.get(conversation.id)
    assert (loaded.channel, loaded.user_id, loaded.language, loaded.language_locked) == (
        "slack",
        "ann@norvane.example",
        "fr",
        True,
    )
    assert loaded.state.slots == {"impact": "team"}
    assert loaded.state.active_action == "create_ticket"
    assert [t.text for t in loaded.transcript] == ["bonjour", "Bonjour !", "é ü 🎉 ' \" ;--"]
    assert loaded.transcript[0].intent == "greet" and loaded.transcript[0].confidence == 0.98
    assert loaded.transcript[1].buttons[0].payload == "/incident_status"
    assert loaded.transcript[1].links[0].url == "/kb/fr/vpn-connect"
    assert loaded.transcript[0].at == start and loaded.transcript[0].at.tzinfo is not None
    assert loaded.updated_at >= loaded.created_at


async def test_unknown_conversation(database: Database) -> None:
    store = ConversationStore(database)
    with pytest.raises(ConversationNotFound) as caught:
        await store.get("missing")
    assert caught.value.fields == {"kind": "conversation", "key": "missing"}


async def test_latest_conversation_of_a_user_on_a_channel(database: Database) -> None:
    store = ConversationStore(database)
    first = await store.create(channel="rest", user_id="u1", language="en")
    second = await store.create(channel="rest", user_id="u1", language="en")
    await store.create(channel="slack", user_id="u1", language="en")
    await store.save(first, [Turn(role="user", text="later")])
    latest = await store.latest_for_user(channel="rest", user_id="u1")
    assert latest is not None and latest.id == first.id != second.id
    assert await store.latest_for_user(channel="rest", user_id="nobody") is None


async def test_state_survives_a_new_database_object(database_url: str) -> None:
    database = Database(database_url)
    await database.migrate()
    conversation = await ConversationStore(database).create(
        channel="api", user_id="u", language="en"
    )
    conversation.state.requested_slot = "urgency"
    await ConversationStore(database).save(conversation, [Turn(role="user", text="hi")])
    await database.close()
    reopened = Database(database_url)
    await reopened.migrate()
    loaded = await ConversationStore(reopened).get(conversation.id)
    await reopened.close()
    assert loaded.state.requested_slot == "urgency"
    assert loaded.transcript[0].text == "hi"
