"""Retention: old turns, idle conversations and transcript copies go; tickets stay."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from bot.app.cli.main import app
from bot.app.web import create_app
from bot.kernel.domain import Reply, Turn, utcnow
from bot.kernel.errors import ConversationNotFound
from bot.kernel.ticket_models import NewTicket
from bot.privacy.retention import cutoff_for, purge, purge_due
from bot.services import Services
from bot.settings.privacy import PrivacySettings
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.tables import ConversationRow, EscalationRow, NotificationRow, TurnRow
from bot.storage.tickets import TicketStore
from bot.tickets.notify import TicketNotifier

pytestmark = pytest.mark.unit
OLD = timedelta(days=400)


def _ticket(conversation_id: str | None) -> NewTicket:
    return NewTicket(
        kind="incident",
        requester="ann@norvane.example",
        channel="api",
        conversation_id=conversation_id,
        title="VPN down",
        description="VPN down since 9",
        category="network",
        impact="team",
        urgency="high",
        priority="P3",
        language="en",
        details={"transcript": [{"role": "user", "text": "VPN down"}], "intent": "vpn"},
    )


async def _age(database: Database, conversation_id: str) -> None:
    async with database.sessions.begin() as session:
        await session.execute(
            update(ConversationRow)
            .where(ConversationRow.id == conversation_id)
            .values(updated_at=utcnow() - OLD)
        )


async def test_old_turns_and_idle_conversations_go_recent_ones_stay(database: Database) -> None:
    store, tickets = ConversationStore(database), TicketStore(database)
    old = await store.create(channel="api", user_id="ann@norvane.example", language="en")
    await store.save(old, [Turn(role="user", text="old question", at=utcnow() - OLD)])
    await _age(database, old.id)
    await tickets.escalate(
        conversation_id=old.id, requester="ann", reason="asked", summary={"transcript": []}
    )
    mixed = await store.create(channel="api", user_id="bob@norvane.example", language="en")
    await store.save(
        mixed,
        [
            Turn(role="user", text="last year", at=utcnow() - OLD),
            Turn(role="user", text="today", at=utcnow()),
        ],
    )
    # idle for long, but its ticket is still open: the requester is told in it
    waiting = await store.create(channel="api", user_id="cy@norvane.example", language="en")
    await tickets.create(_ticket(waiting.id), now=utcnow() - OLD)
    await _age(database, waiting.id)

    report = await purge(database, utcnow() - timedelta(days=365))

    assert (report.turns, report.conversations) == (2, 1)
    with pytest.raises(ConversationNotFound):
        await store.get(old.id)
    assert [turn.text for turn in (await store.get(mixed.id)).transcript] == ["today"]
    assert (await store.get(waiting.id)).transcript == []
    async with database.sessions() as session:
        assert (await session.scalars(select(EscalationRow))).all() == []
        assert len((await session.scalars(select(TurnRow))).all()) == 1


async def test_tickets_keep_their_fields_but_not_their_transcript_copy(
    database: Database,
) -> None:
    tickets = TicketStore(database)
    old = await tickets.create(_ticket(None), now=utcnow() - OLD)
    await tickets.comment(old.reference, author="ann", body="still down", public=True)
    recent = await tickets.create(_ticket(None))

    report = await purge(database, utcnow() - timedelta(days=365))

    assert report.ticket_transcripts == 1
    kept = await tickets.get(old.reference)
    assert (kept.title, kept.description, kept.status) == ("VPN down", "VPN down since 9", "new")
    assert "transcript" not in kept.details
    assert kept.details["intent"] == "vpn"
    assert "transcript_purged_at" in kept.details
    assert [c.body for c in await tickets.comments(old.reference)] == ["still down"]
    assert (await tickets.get(recent.reference)).details["transcript"]
    # a second run finds nothing more to do
    again = await purge(database, utcnow() - timedelta(days=365))
    assert (again.turns, again.conversations, again.ticket_transcripts) == (0, 0, 0)


async def test_old_notifications_go(database: Database) -> None:
    async with database.sessions.begin() as session:
        for age in (OLD, timedelta(days=1)):
            session.add(
                NotificationRow(
                    user_id="ann",
                    conversation_id=None,
                    channel="web",
                    replies={"replies": []},
                    created_at=utcnow() - age,
                    delivered_at=None,
                )
            )
    assert (await purge(database, utcnow() - timedelta(days=365))).notifications == 1


def test_zero_days_keeps_everything() -> None:
    assert cutoff_for(PrivacySettings(retention_days=0)) is None
    now = utcnow()
    assert cutoff_for(PrivacySettings(retention_days=30), now) == now - timedelta(days=30)


async def test_purge_due_uses_the_setting(database: Database) -> None:
    store = ConversationStore(database)
    conversation = await store.create(channel="api", user_id="ann", language="en")
    await store.save(conversation, [Turn(role="user", text="x", at=utcnow() - timedelta(days=40))])
    assert await purge_due(database, PrivacySettings(retention_days=0)) is None
    report = await purge_due(database, PrivacySettings(retention_days=30))
    assert report is not None and report.turns == 1


def test_purge_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["purge", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "0 turns, 0 conversations" in result.output
    monkeypatch.setenv("GUICHET_PRIVACY__RETENTION_DAYS", "0")
    kept = CliRunner().invoke(app, ["purge"])
    assert kept.exit_code == 0 and "keep forever" in kept.output


async def test_the_service_purges_when_it_starts(services: Services) -> None:
    conversation = await services.conversations.create(channel="api", user_id="ann", language="en")
    await services.conversations.save(
        conversation,
        [Turn(role="user", text="old", at=utcnow() - OLD), Turn(role="user", text="new")],
    )
    app = create_app(services.settings, services)
    async with app.router.lifespan_context(app):
        for _ in range(100):
            transcript = (await services.conversations.get(conversation.id)).transcript
            if len(transcript) == 1:
                break
            await asyncio.sleep(0.05)
    assert [turn.text for turn in transcript] == ["new"]


async def test_a_closed_ticket_outlives_its_conversation(database: Database) -> None:
    """Reopened upstream after the purge: the requester is still told, on the ticket's channel."""
    store, tickets = ConversationStore(database), TicketStore(database)
    conversation = await store.create(channel="slack", user_id="ann", language="en")
    ticket = await tickets.create(_ticket(conversation.id), now=utcnow() - OLD)
    ticket = await tickets.change(
        ticket.reference, actor="agent", kind="status", fields={"status": "closed"}
    )
    await _age(database, conversation.id)
    assert (await purge(database, utcnow() - timedelta(days=365))).conversations == 1

    notifier = TicketNotifier(database, store)
    await notifier.notify(ticket, [Reply(text="Your ticket was reopened")])
    async with database.sessions() as session:
        [row] = (await session.scalars(select(NotificationRow))).all()
    assert (row.conversation_id, row.channel) == (None, "api")
