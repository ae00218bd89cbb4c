"""A conversation full of secrets, then every text column of every table is read: no password,
card number or IBAN is stored anywhere, whichever store or route wrote it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.types import TypeDecorator, TypeEngine

from bot.auth import Principal
from bot.console.desk import EscalationDesk
from bot.kernel.domain import utcnow
from bot.services import Services
from bot.storage.outbox import OutboxItem
from bot.storage.redacted import RedactedJSON, RedactedString, RedactedText
from bot.storage.tables import Base, OutboxRow
from tests.bot.api.conftest import ClientFor
from tests.bot.dialogue.chat import Chat

ANN, OPS = "ann@norvane.example", "ops@norvane.example"
PASSWORD = "Hunter2-Secret"
CARD = "4111 1111 1111 1111"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
SECRETS = (PASSWORD, CARD, IBAN)
TYPED = f"my password is {PASSWORD}, my card {CARD} and my IBAN {IBAN}"
AGENT_SAYS = f"Your temporary password: {PASSWORD}. Card {CARD} refunded to {IBAN}"

# Identifiers and machine values, stored as they are; every other text column is Redacted*.
VERBATIM = {
    "conversations": {"id", "channel", "user_id", "language"},
    "turns": {"conversation_id", "role"},
    "tickets": {
        "reference", "kind", "requester", "channel", "conversation_id", "category", "impact",
        "urgency", "priority", "status", "language", "assignee_group", "assignee",
        "parent_reference", "change_ref",
    },
    "escalations": {"conversation_id", "requester", "reason", "status", "assignee",
                    "ticket_reference"},
    "ticket_events": {"actor", "kind"},
    "ticket_comments": {"author", "origin"},
    "ticket_sync": {"backend", "upstream_id", "state"},
    "outbox": {"backend", "operation", "state"},
    "sync_cursors": {"backend"},
    "notifications": {"user_id", "conversation_id", "channel"},
    "incident_notices": {"status", "severity", "source", "reference", "kind", "service"},
    "notice_deliveries": {"email"},
    "notice_subscriptions": {"email", "channel", "language"},
    "satisfaction_surveys": {"ticket_reference", "requester", "language"},
    "suggestion_clicks": {"language", "entry_group", "entry_type"},
    "answer_feedback": {"language", "entry_group", "conversation_id"},
    "knowledge_gaps": {"language"},
    "knowledge_gap_events": {"language"},
    "changes": {"reference", "kind", "created_by", "source", "upstream_id", "service", "state",
                "url"},
    "maintenance_announcements": {"email"},
    "channel_addresses": {"email", "channel", "address"},
    "users": {"email", "role", "password_hash"},
    "api_tokens": {"token_hash", "role"},
    "sessions": {"session_hash", "csrf_token", "role"},
    "sign_in_links": {"token_hash", "path", "channel"},
    "audit_log": {"actor", "role", "action", "target_kind"},
    "idempotency_keys": {"route", "key", "fingerprint", "response"},
    # The organisation's articles as their source gives them, and sync positions and errors.
    "knowledge_sources": {"source", "cursor", "last_error"},
    "knowledge_documents": {"source", "document_id", "content_hash", "entry"},
    "one_time_codes": {"user_email", "destination", "digest"},
    "reset_links": {"token_digest", "user_email", "language"},
    "problems": {"reference", "status", "origin", "created_by"},
    "problem_incidents": {"ticket_reference", "linked_by"},
    "problem_events": {"actor", "kind"},
    "problem_sync": {"backend", "upstream_id"},
    "problem_outbox": {"backend", "operation", "state"},
}  # fmt: skip


def _is_text(kind: TypeEngine[Any]) -> bool:
    return isinstance(kind, String | Text | JSON | TypeDecorator)


def _text_columns() -> dict[str, list[str]]:
    return {
        table.name: [column.name for column in table.columns if _is_text(column.type)]
        for table in Base.metadata.sorted_tables
    }


def _leaks(value: object) -> list[str]:
    """The secrets in a stored value, spaces or not."""
    text = str(value)
    squeezed = re.sub(r"\s", "", text)
    return [s for s in SECRETS if s in text or re.sub(r"\s", "", s) in squeezed]


def test_every_text_column_is_stored_redacted_unless_it_holds_identifiers() -> None:
    """A new text column must choose: Redacted*, or an identifier listed above."""
    undecided = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not _is_text(column.type):
                continue
            redacted = isinstance(column.type, RedactedString | RedactedText | RedactedJSON)
            if redacted == (column.name in VERBATIM.get(table.name, set())):
                undecided.append(f"{table.name}.{column.name}")
    assert undecided == []


async def _converse(app: FastAPI, services: Services, client_for: ClientFor) -> None:
    """Everything a conversation full of secrets goes through, by the routes people use."""
    ann, ops = await client_for("employee", ANN), await client_for("agent", OPS)
    anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    async with anonymous:
        # The omnibox: suggestions, a search, a click and a vote, with secrets typed in.
        await anonymous.get("/api/v1/suggest", params={"q": f"vpn mdp : {PASSWORD}"})
        found = await anonymous.post("/api/v1/search", json={"query": f"vpn {TYPED}"})
        assert found.status_code == 200
        entry = found.json()["results"][0]["id"]
        click = {"query": TYPED, "language": "en", "group": "vpn", "type": "faq", "position": 0}
        assert (await anonymous.post("/api/v1/suggest/clicks", json=click)).status_code == 204
        vote = {"query": TYPED, "entry_id": entry, "helpful": False}
        assert (await anonymous.post("/api/v1/search/feedback", json=vote)).status_code == 204

    # The chat: secrets typed, a question nobody answers (a knowledge gap), a hand-off.
    chat = await Chat.start(services, user=ANN, channel="web")
    await chat.say(TYPED)
    await chat.say(f"quantum flux capacitor {CARD} {IBAN} mdp : {PASSWORD}")
    await chat.say("/human_handoff")
    desk = EscalationDesk(services)
    (waiting,) = await desk.queue()
    agent = Principal(
        user_id=(await services.auth.ensure_user(OPS, role="agent")).id,
        email=OPS, display_name="Ops", role="agent", via="token",
    )  # fmt: skip
    await desk.take(waiting.id, agent)
    await desk.write(waiting.id, agent, AGENT_SAYS)  # pushed to Ann, kept as an internal note
    await chat.say(f"thanks, and the PIN is: {PASSWORD}")  # to the agent now
    await desk.resolve(waiting.id, agent)

    # A ticket made with the secrets, a comment from Ann, a public reply from the agent.
    made = await ann.post(
        "/api/v1/tickets",
        json={"requester": ANN, "title": f"card {CARD} blocked", "description": TYPED},
    )
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    url = f"/api/v1/tickets/{reference}"
    said = await ann.post(
        f"{url}/comments", json={"body": TYPED}, headers={"Idempotency-Key": "k1"}
    )
    assert said.status_code == 201, said.text
    replied = await ops.post(f"{url}/comments", json={"body": AGENT_SAYS, "from_agent": True})
    assert replied.status_code == 201, replied.text
    assert (await ops.post(f"{url}/transitions", json={"to": "resolved"})).status_code == 200

    # A store called directly, without the ticket service's rules: the columns still redact.
    await services.tickets.store.comment(
        reference, author=OPS, body=AGENT_SAYS, backends=["request_tracker"]
    )
    await services.tickets.store.change(
        reference, actor=OPS, kind="update", fields={"title": f"IBAN {IBAN}"}
    )
    async with services.database.sessions() as session:
        queued = (await session.scalars(select(OutboxRow))).all()
    for row in queued:
        item = OutboxItem(
            id=row.id, ticket_id=row.ticket_id, backend=row.backend, operation=row.operation,
            payload=row.payload, attempts=row.attempts,
        )  # fmt: skip
        await services.tickets.store.outbox.failed(
            item, error=f"422: {AGENT_SAYS}", retry_at=utcnow()
        )
    await app.state.dispatcher.deliver_pending()


async def test_no_password_card_or_iban_is_stored_in_any_column_after_a_conversation_full_of_them(
    app: FastAPI, services: Services, client_for: ClientFor
) -> None:
    await _converse(app, services, client_for)
    leaks: list[str] = []
    counted: dict[str, int] = {}
    async with services.database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(select(table))).mappings().all()
            counted[table.name] = len(rows)
            for row in rows:
                for name in _text_columns()[table.name]:
                    leaks += [f"{table.name}.{name}: {s}" for s in _leaks(row[name])]
    assert leaks == []
    written = {name for name, count in counted.items() if count}
    # The walk read what the conversation wrote, not empty tables.
    assert {
        "turns", "tickets", "escalations", "ticket_events", "ticket_comments", "outbox",
        "notifications", "suggestion_clicks", "answer_feedback", "knowledge_gaps",
        "knowledge_gap_events", "audit_log", "idempotency_keys",
    } <= written  # fmt: skip


@pytest.mark.parametrize("secret", SECRETS)
async def test_what_is_pushed_to_the_user_s_channel_carries_no_secret(
    app: FastAPI, services: Services, client_for: ClientFor, secret: str
) -> None:
    await _converse(app, services, client_for)
    conversation = await services.conversations.latest_for_user(channel="web", user_id=ANN)
    assert conversation is not None
    assert not any(secret in turn.text for turn in conversation.transcript)


async def test_the_bot_repeats_no_secret_back_to_the_channel(services: Services) -> None:
    """What the engine answers goes to Slack, Teams or the widget as is: redacted first."""
    chat = await Chat.start(services, user=ANN, channel="slack")
    answers = [
        await chat.say(f"please open a ticket: the VPN refuses {TYPED}"),
        await chat.press("Only me"),
        await chat.press("It blocks my work"),
    ]
    assert "Shall I go ahead?" in answers[-1], answers
    answers.append(await chat.press("Yes"))
    assert not [s for s in SECRETS if any(s in answer for answer in answers)], answers
