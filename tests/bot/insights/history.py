"""A week of service-desk history at fixed times, for KPI tests whose figures are worked out
by hand (tests/bot/insights/test_kpis.py holds the arithmetic).

Period: 2026-11-02 00:00 to 2026-11-09 00:00 UTC; computed "now": 2026-11-20 00:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.tables import (
    AnswerFeedbackRow,
    ChangeRow,
    ConversationRow,
    EscalationRow,
    KnowledgeGapEventRow,
    TicketEventRow,
    TicketRow,
    TurnRow,
)

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _conversation(cid: str, channel: str, language: str, created: datetime) -> ConversationRow:
    return ConversationRow(
        id=cid,
        channel=channel,
        user_id=f"{cid}@norvane.example",
        language=language,
        language_locked=False,
        state={},
        created_at=created,
        updated_at=created,
    )


def _turn(cid: str, seq: int, role: str, moment: datetime, intent: str | None) -> TurnRow:
    data: dict[str, Any] = {"intent": intent} if intent else {}
    return TurnRow(conversation_id=cid, seq=seq, role=role, text="...", data=data, at=moment)


def _vote(key: str, language: str, helpful: bool, moment: datetime, cid: str | None) -> Any:
    return AnswerFeedbackRow(
        query_key=key,
        language=language,
        entry_group="vpn-connect",
        helpful=helpful,
        conversation_id=cid,
        created_at=moment,
    )


def _miss(key: str, language: str, moment: datetime) -> KnowledgeGapEventRow:
    return KnowledgeGapEventRow(
        query_key=key, query=key, language=language, best_score=0.2, at=moment
    )


def _ticket(number: int, created: datetime, **fields: Any) -> TicketRow:
    values: dict[str, Any] = {
        "reference": f"INC-{number:06d}",
        "kind": "incident",
        "requester": "someone@norvane.example",
        "channel": "web",
        "conversation_id": None,
        "title": f"ticket {number}",
        "description": "...",
        "category": "network",
        "impact": "person",
        "urgency": "low",
        "priority": "P3",
        "status": "new",
        "language": "en",
        "details": {},
        "created_at": created,
        "updated_at": created,
    }
    values.update(fields)
    return TicketRow(id=number, **values)


def _status(ticket: int, moment: datetime, before: str, after: str) -> TicketEventRow:
    return TicketEventRow(
        ticket_id=ticket,
        at=moment,
        actor="agent@norvane.example",
        kind="status",
        data={"status": {"from": before, "to": after}},
    )


def _update(ticket: int, moment: datetime, name: str, before: Any, after: Any) -> TicketEventRow:
    return TicketEventRow(
        ticket_id=ticket,
        at=moment,
        actor="agent@norvane.example",
        kind="update",
        data={name: {"from": before, "to": after}},
    )


def _created(ticket: int, moment: datetime) -> TicketEventRow:
    return TicketEventRow(
        ticket_id=ticket,
        at=moment,
        actor="someone@norvane.example",
        kind="created",
        data={"status": "new", "priority": "P3"},
    )


async def seed(database: Database) -> None:
    conversations = [
        _conversation("c1", "web", "en", at(2, 9)),  # solved by an article: deflected
        _conversation("c2", "web", "fr", at(2, 10)),  # solved, but a ticket came of it
        _conversation("c3", "slack", "en", at(3, 9)),  # escalated to an agent
        _conversation("c4", "web", "en", at(4, 9)),  # asked, no vote
        _conversation("c5", "web", "en", at(4, 10)),  # the employee never wrote: not counted
        _conversation("c6", "web", "en", at(1, 9)),  # before the period
    ]
    turns = [
        _turn("c1", 1, "user", at(2, 9), "vpn_problem"),
        _turn("c1", 2, "bot", at(2, 9), None),
        _turn("c1", 3, "user", at(2, 9, 5), "affirm"),
        _turn("c2", 1, "user", at(2, 10), "vpn_problem"),
        _turn("c3", 1, "user", at(3, 9), "human_handoff"),
        _turn("c4", 1, "user", at(4, 9), "printer_problem"),
        _turn("c5", 1, "bot", at(4, 10), None),
        _turn("c6", 1, "user", at(1, 9), "vpn_problem"),
    ]
    feedback = [
        _vote("vpn lent", "en", True, at(2, 9, 5), "c1"),
        _vote("vpn coupe", "fr", True, at(2, 10, 5), "c2"),
        _vote("imprimante bloquee", "fr", False, at(4, 9, 5), None),
        _vote("vpn lyon", "en", False, at(5, 11), None),
        _vote("vpn lent", "en", True, at(1, 9, 5), "c6"),  # before the period
    ]
    misses = [
        _miss("menu cantine", "fr", at(3, 12)),
        _miss("menu cantine", "fr", at(6, 12)),
        _miss("vpn lyon", "en", at(5, 10)),
        _miss("parking", "fr", at(1, 12)),  # before the period
    ]
    escalations = [
        EscalationRow(
            conversation_id="c3",
            requester="c3@norvane.example",
            reason="user_request",
            status="waiting",
            summary={},
            created_at=at(3, 9, 1),
        ),
        EscalationRow(
            conversation_id="c6",
            requester="c6@norvane.example",
            reason="user_request",
            status="waiting",
            summary={},
            created_at=at(1, 9, 30),  # before the period
        ),
    ]
    tickets = [
        _ticket(
            1, at(2, 9), conversation_id="c2", status="resolved",
            first_response_due=at(2, 12), first_response_at=at(2, 10),
            resolution_due=at(3, 9), resolved_at=at(2, 13),
        ),
        _ticket(
            2, at(3, 8), category="software", status="resolved", assignee="alice",
            first_response_due=at(3, 8, 30), first_response_at=at(3, 9),
            resolution_due=at(3, 16), resolved_at=at(3, 14),
        ),
        _ticket(
            3, at(4, 10), channel="email", status="in_progress", assignee_group="security",
            first_response_due=at(4, 11), first_response_at=at(4, 12),
            resolution_due=at(5, 10), resolved_at=None,
        ),
        _ticket(
            4, at(5, 9), category="hardware", channel="slack", language="fr",
            first_response_due=at(30, 9), resolution_due=datetime(2026, 12, 5, tzinfo=UTC),
            change_ref="REL-42",
        ),
        _ticket(
            5, at(6, 9), category="access", status="pending", paused_at=at(6, 10),
            first_response_due=at(6, 9, 30), resolution_due=at(7, 9),
        ),
        _ticket(6, datetime(2026, 11, 1, 9, tzinfo=UTC), change_ref="REL-42"),  # before
    ]  # fmt: skip
    events = [
        _created(1, at(2, 9)),
        _status(1, at(2, 10), "new", "assigned"),
        _status(1, at(2, 11), "assigned", "in_progress"),
        _status(1, at(2, 13), "in_progress", "resolved"),
        _created(2, at(3, 8)),
        _update(2, at(3, 8, 30), "assignee", None, "alice"),
        _status(2, at(3, 9), "new", "in_progress"),
        _status(2, at(3, 10), "in_progress", "awaiting_information"),
        _status(2, at(3, 12), "awaiting_information", "in_progress"),
        _status(2, at(3, 14), "in_progress", "resolved"),
        _created(3, at(4, 10)),
        _status(3, at(4, 12), "new", "assigned"),
        _update(3, at(4, 12, 30), "assignee_group", "network", "security"),
        _status(3, at(4, 15), "assigned", "resolved"),
        _status(3, at(5, 9), "resolved", "reopened"),
        _status(3, at(5, 9, 30), "reopened", "in_progress"),
        _created(4, at(5, 9)),
        _created(5, at(6, 9)),
        _status(5, at(6, 10), "new", "pending"),
        _created(6, datetime(2026, 11, 1, 9, tzinfo=UTC)),
    ]
    changes = [
        ChangeRow(
            reference="REL-42", kind="release", title="Portal 4.2",
            deployed_at=at(5, 8), created_by="admin", created_at=at(5, 8),
        ),
        ChangeRow(
            reference="CHG-7", kind="change", title="Firewall rules",
            deployed_at=datetime(2026, 10, 20, tzinfo=UTC), created_by="admin",
            created_at=datetime(2026, 10, 20, tzinfo=UTC),
        ),
    ]  # fmt: skip
    async with database.sessions.begin() as session:
        session.add_all(conversations)
        await session.flush()
        session.add_all([*turns, *feedback, *misses, *escalations, *tickets, *changes])
        await session.flush()
        session.add_all(events)
    if database.url.startswith("postgresql"):  # explicit ids: move the sequence past them
        async with database.engine.begin() as connection:
            await connection.exec_driver_sql(
                "SELECT setval('tickets_id_seq', (SELECT max(id) FROM tickets))"
            )
