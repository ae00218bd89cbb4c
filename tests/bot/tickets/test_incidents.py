"""Who a notice reaches and how often, on SQLite and PostgreSQL: the directory's people of its
sites and departments who have talked to Guichet, each version once whatever the retries and
concurrent announcers; the catch-up round; a parent's resolution resolving its children; one
survey per closed ticket."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.addresses import ChannelAddressStore
from bot.kernel.notices import NewNotice
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.services import Services
from bot.storage.tables import NotificationRow, SatisfactionSurveyRow

pytestmark = pytest.mark.slow

CLAIRE = "claire.martin@norvane.example"  # Finance, Lyon, French (the builtin directory)
JOHN = "john.smith@norvane.example"  # Sales, London
SAM = "sam.taylor@norvane.example"  # IT, London, English


async def _queued(services: Services) -> list[tuple[str, str, str]]:
    """(user, channel, text) of every queued message, oldest first."""
    async with services.database.sessions() as session:
        rows = (await session.scalars(select(NotificationRow).order_by(NotificationRow.id))).all()
    return [(r.user_id, r.channel, r.replies["replies"][0]["text"]) for r in rows]


def _notice(**changes: Any) -> NewNotice:
    text = {
        "title_en": "Printers down in Lyon",
        "title_fr": "Imprimantes en panne à Lyon",
        "body_en": "Fix expected at 14:00.",
        "body_fr": "Retour prévu à 14 h.",
    }
    return NewNotice.model_validate({**text, **changes})


async def test_a_notice_reaches_its_sites_and_departments_once_per_version(
    services: Services,
) -> None:
    addresses = ChannelAddressStore(services.database)
    await addresses.touch(email=CLAIRE, channel="web", address={"conversation_id": "c1"})
    await addresses.touch(email=JOHN, channel="slack", address={"channel": "D0JOHN"})
    await addresses.touch(email=SAM, channel="teams", address={"id": "29:1sam"})

    notice = await services.notices.publish(_notice(sites=["lyon"], departments=["IT"]))
    told = await _queued(services)
    assert sorted((user, channel) for user, channel, _ in told) == [
        (CLAIRE, "web"),
        (SAM, "teams"),
    ]  # John works in London, in Sales: not concerned
    texts = {user: text for user, _, text in told}
    assert texts[CLAIRE].startswith("Imprimantes en panne à Lyon\nRetour prévu à 14 h.")
    assert texts[SAM].startswith("Printers down in Lyon\nFix expected at 14:00.")

    # a retry, two announcers at once and the catch-up round tell nobody twice
    results = await asyncio.gather(*(services.incidents.announce(notice) for _ in range(3)))
    assert results == [0, 0, 0]
    assert await services.incidents.catch_up() == 0
    assert len(await _queued(services)) == 2

    updated = await services.notices.update(
        notice.id, _notice(sites=["Lyon"], departments=["IT"], body_en="Fixed at 13:40.")
    )
    assert updated.version == 2
    closed = await services.notices.close(notice.id)
    assert closed.version == 3 and (await services.notices.close(notice.id)).version == 3
    told = await _queued(services)
    assert len(told) == 6
    updates = {user: text for user, _, text in told[2:4]}
    assert updates[SAM].startswith('Update on the incident "Printers down in Lyon".\nFixed at')
    assert updates[CLAIRE].startswith("Du nouveau sur l'incident «\u00a0Imprimantes")
    finished = {user: text for user, _, text in told[4:]}
    assert finished[SAM].startswith('Incident over: "Printers down in Lyon".')
    assert finished[CLAIRE].startswith("Incident terminé\u00a0: «\u00a0Imprimantes")


async def test_a_version_left_untold_is_told_by_the_catch_up_round(services: Services) -> None:
    await ChannelAddressStore(services.database).touch(
        email=SAM, channel="teams", address={"id": "29:1sam"}
    )
    services.notices.listeners.clear()  # as if the process died right after the write
    notice = await services.notices.publish(_notice(departments=["it"]))
    assert await _queued(services) == []
    assert await services.incidents.catch_up() == 1
    assert await services.incidents.catch_up() == 0
    (told,) = await _queued(services)
    assert told[0] == SAM and told[2].startswith("Printers down in Lyon")
    assert await services.subscriptions.subscribe(
        notice.id, email="Lea@norvane.example", channel="web", language="fr"
    )
    assert await services.subscriptions.subscribed(notice.id, "lea@norvane.example")


async def _ticket(services: Services, requester: str, language: str = "en") -> Ticket:
    return await services.tickets.create(
        NewTicket(
            kind="incident", requester=requester, channel="web", conversation_id=None,
            title="Cannot print", description="The Lyon printers do not print",
            category="hardware", impact="team", urgency="low", priority="P3",
            language=language,
        )
    )  # fmt: skip


async def test_resolving_a_parent_resolves_its_children_and_asks_each_requester(
    services: Services,
) -> None:
    parent = await _ticket(services, "guichet:outage-grouping")
    children = [await _ticket(services, CLAIRE, "fr"), await _ticket(services, JOHN)]
    for child in children:
        await services.tickets.link_parent(child.reference, parent.reference, actor="t")
    closed_before = await _ticket(services, SAM)
    await services.tickets.link_parent(closed_before.reference, parent.reference, actor="t")
    await services.tickets.transition(closed_before.reference, "rejected", actor="agent")

    await services.tickets.transition(parent.reference, "resolved", actor="bo@norvane.example")
    for child in children:
        resolved = await services.tickets.get(child.reference)
        assert resolved.status == "resolved"
    assert (await services.tickets.get(closed_before.reference)).status == "rejected"
    asked = {user: text for user, _, text in await _queued(services)}
    assert set(asked) == {CLAIRE, JOHN}
    assert "Est-ce que tout fonctionne" in asked[CLAIRE]
    assert "Does it work now?" in asked[JOHN]


async def test_a_closed_ticket_brings_one_survey(services: Services) -> None:
    ticket = await _ticket(services, JOHN)
    await services.tickets.transition(ticket.reference, "resolved", actor="agent")
    await services.tickets.transition(ticket.reference, "reopened", actor=JOHN)
    await services.tickets.transition(ticket.reference, "resolved", actor="agent")
    assert await _queued(services) == []  # resolved is not closed
    await services.tickets.transition(ticket.reference, "closed", actor=JOHN)
    ((user, _, text),) = await _queued(services)
    assert user == JOHN and text.startswith(f"Your ticket {ticket.reference} is closed.")
    assert not await services.surveys.ask(await services.tickets.get(ticket.reference))

    surveys = services.surveys
    assert not await surveys.answer(ticket.reference, requester=SAM, score=5)  # not his
    assert not await surveys.answer(ticket.reference, requester=JOHN, score=6)
    assert await surveys.answer(ticket.reference, requester=JOHN, score=2)
    assert await surveys.answer(ticket.reference, requester=JOHN, score=4)  # changed his mind
    assert await surveys.comment(ticket.reference, requester=JOHN, text=" ok in the end ")
    assert await surveys.score(ticket.reference) == (4, "ok in the end")
    async with services.database.sessions() as session:
        rows = (await session.scalars(select(SatisfactionSurveyRow))).all()
    assert [(r.ticket_reference, r.language) for r in rows] == [(ticket.reference, "en")]
