"""Redaction where it applies: transcripts and slots as stored, tickets at rest, and what the
sync worker sends to an ITSM tool (a local server speaking ServiceNow's Table API)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.kernel.domain import Turn
from bot.kernel.ticket_models import NewTicket
from bot.privacy.redact import Redactor
from bot.services import Services
from bot.settings import TicketSettings
from bot.settings.itsm import ItsmSettings, ServiceNowSettings
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.search_feedback import FeedbackStore
from bot.storage.tables import KnowledgeGapRow
from bot.storage.tickets import TicketStore
from bot.tickets.notify import TicketNotifier
from bot.tickets.service import TicketService
from bot.tickets.sync import SyncWorker
from connectors.itsm.registry import BackendContext, build_backend
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.server import LocalServer
from tests.contracts.fakes.servicenow import Instance, servicenow_app

pytestmark = pytest.mark.unit
CARD = "4111 1111 1111 1111"
IBAN = "FR76 3000 6000 0112 3456 7890 189"


def _ticket(description: str) -> NewTicket:
    return NewTicket(
        kind="incident",
        requester="ann@norvane.example",
        channel="api",
        conversation_id=None,
        title="Refund to IBAN " + IBAN,
        description=description,
        category="other",
        impact="person",
        urgency="low",
        priority="P5",
        language="fr",
        details={"transcript": [{"role": "user", "text": f"ma carte {CARD}"}]},
    )


async def test_turns_and_slots_are_stored_redacted(database: Database) -> None:
    store = ConversationStore(database, Redactor({"badge": r"BADGE-\d{4}"}))
    conversation = await store.create(channel="api", user_id="ann", language="fr")
    conversation.state.slots["description"] = "mon mdp : Soleil#2024 ne marche plus"
    await store.save(
        conversation,
        [
            Turn(role="user", text=f"ma carte {CARD} et mon badge BADGE-0042"),
            Turn(role="bot", text="Merci"),
        ],
    )
    loaded = await store.get(conversation.id)
    assert [turn.text for turn in loaded.transcript] == [
        "ma carte [REDACTED:card] et mon badge [REDACTED:badge]",
        "Merci",
    ]
    assert loaded.state.slots["description"] == "mon mdp : [REDACTED:secret] ne marche plus"


async def test_tickets_and_comments_are_stored_redacted(database: Database) -> None:
    service = TicketService(TicketStore(database), TicketSettings())
    ticket = await service.create(_ticket("my password is Summer2024! and still no access"))
    assert ticket.title == "Refund to IBAN [REDACTED:iban]"
    assert ticket.description == "my password is [REDACTED:secret] and still no access"
    assert ticket.details["transcript"][0]["text"] == "ma carte [REDACTED:card]"
    await service.comment(ticket.reference, author="ann", body=f"new card {CARD}")
    comments = await service.store.comments(ticket.reference)
    assert comments[-1].body == "new card [REDACTED:card]"


@pytest.fixture
def servicenow() -> Iterator[tuple[Instance, str]]:
    app, instance = servicenow_app(Faults())
    server = LocalServer(app).start()
    try:
        yield instance, server.url
    finally:
        server.stop()


async def test_what_reaches_the_itsm_tool_is_redacted(
    database: Database, servicenow: tuple[Instance, str]
) -> None:
    instance, url = servicenow
    store = TicketStore(database)
    # Stored before redaction existed (or by a path that skipped it): the worker still redacts.
    ticket = await store.create(
        _ticket("Authorization: Bearer abcdef0123456789 fails"), backends=["servicenow"]
    )
    await store.comment(
        ticket.reference,
        author="ann",
        body=f"mot de passe : Chaton#7, carte {CARD}",
        backends=["servicenow"],
    )
    service = TicketService(store, TicketSettings(sync_backends=["servicenow"]))
    itsm = ItsmSettings(
        servicenow=ServiceNowSettings(
            base_url=url, username="guichet.integration", password=SecretStr("guichet-pass")
        )
    )
    worker = SyncWorker(
        service,
        {"servicenow": build_backend("servicenow", BackendContext(itsm))},
        TicketNotifier(database, ConversationStore(database)),
    )
    try:
        assert await worker.deliver_once() == 2
    finally:
        await worker.aclose()
    [incident] = instance.tables["incident"]
    assert incident["short_description"] == "Refund to IBAN [REDACTED:iban]"
    assert "abcdef0123456789" not in incident["description"]
    assert "[REDACTED:token]" in incident["description"]
    [journal] = instance.tables["sys_journal_field"]
    assert journal["value"].endswith("mot de passe : [REDACTED:secret], carte [REDACTED:card]")


async def test_a_chat_message_is_kept_redacted(services: Services) -> None:
    engine = services.engine
    conversation = await engine.start(channel="api", user_id="ann@norvane.example")
    await engine.handle(conversation.id, f"I paid with card {CARD} and got no licence")
    stored = await services.conversations.get(conversation.id)
    assert stored.transcript[0].text == "I paid with card [REDACTED:card] and got no licence"
    assert all(CARD not in turn.text for turn in stored.transcript)


async def test_what_people_type_in_the_omnibox_is_kept_redacted(database: Database) -> None:
    feedback = FeedbackStore(database)
    await feedback.record_gap(
        query_key="mon mdp : soleil#2024", query="mon mdp : Soleil#2024", language="fr",
        best_score=0.1,
    )  # fmt: skip
    [gap] = await feedback.gaps(limit=5)
    assert gap.query == "mon mdp : [REDACTED:secret]"
    async with database.sessions() as session:
        keys = (await session.scalars(select(KnowledgeGapRow.query_key))).all()
    assert keys == ["mon mdp : [REDACTED:secret]"]
