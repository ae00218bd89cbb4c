"""Approvals that reach the approver: who decides (the directory), what they are sent, who may
decide, the decision's trace, reminders and escalation by moving the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.addresses import ChannelAddressStore
from bot.kernel.approvals import NotTheApprover, approver_rule
from bot.kernel.domain import Reply, utcnow
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.services import Services
from bot.storage.tables import NotificationRow
from bot.tickets.approvals import AlreadyDecided
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow

MARIE = "marie.dupont@norvane.example"
CLAIRE = "claire.martin@norvane.example"
JOHN = "john.smith@norvane.example"
PAUL = "paul.bernard@norvane.example"


async def order_monitor(services: Services, user: str = MARIE, language: str = "fr") -> Ticket:
    """`user` orders a 24" monitor in the widget; the request waits for approval."""
    chat = await Chat.start(services, user=user, language=language, channel="web")  # type: ignore[arg-type]
    await chat.say('/order_equipment{"catalog_item": "monitor-24"}')
    await chat.press("Site de Lyon" if language == "fr" else "Lyon office")
    await chat.press("Oui" if language == "fr" else "Yes")
    reference = chat.replies[-1].links[0].url.removeprefix("/tickets/")
    return await services.tickets.get(reference)


async def on_the_web(services: Services, email: str, language: str = "fr") -> Chat:
    """`email` has the widget open: a conversation, and the web as the last channel used."""
    chat = await Chat.start(services, user=email, language=language, channel="web", proven=True)  # type: ignore[arg-type]
    await ChannelAddressStore(services.database).touch(
        email=email, channel="web", address={"conversation_id": chat.conversation_id}
    )
    return chat


async def queued_for(services: Services, email: str) -> list[list[Reply]]:
    async with services.database.sessions() as session:
        rows = (
            await session.scalars(
                select(NotificationRow)
                .where(NotificationRow.user_id == email)
                .order_by(NotificationRow.id)
            )
        ).all()
    return [[Reply.model_validate(r) for r in row.replies["replies"]] for row in rows]


def test_the_catalog_names_a_manager_a_group_or_nobody() -> None:
    assert str(approver_rule("manager")) == "manager"
    assert str(approver_rule("group:purchasing")) == "group:purchasing"
    assert str(approver_rule("security")) == "group:security"
    with pytest.raises(ValueError, match="'manager', 'none' or 'group:<directory group>'"):
        approver_rule("the boss")


async def test_the_manager_from_the_directory_is_asked_in_their_language_and_decides(
    services: Services,
) -> None:
    claire = await on_the_web(services, CLAIRE)
    ticket = await order_monitor(services)
    assert ticket.details["approvers"] == [CLAIRE]
    assert ticket.details["approval_route"] == "manager"
    assert ticket.details["approver_name"] == "Claire Martin"

    [[asked]] = await queued_for(services, CLAIRE)
    assert "Marie Dupont" in asked.text and ticket.reference in asked.text
    assert "Écran 24 pouces" in asked.text and "Lieu de livraison\u00a0: Site de Lyon" in asked.text
    assert "190" in asked.text and "manager" in asked.text.lower()
    assert [b.title for b in asked.buttons] == ["Approuver", "Refuser"]

    # someone else pressing the same button: refused, nothing changes
    john = await on_the_web(services, JOHN, "en")
    refused = await john.say(asked.buttons[0].payload)
    assert "Only the approver" in refused and "Nothing was changed" in refused
    assert (await services.tickets.get(ticket.reference)).status == "pending"

    done = await claire.say(asked.buttons[0].payload)
    assert "vous avez approuvé" in done.lower() and "Marie Dupont" in done
    approved = await services.tickets.get(ticket.reference)
    assert approved.status == "assigned" and approved.details["approval"] == "approved"
    assert approved.details["approver_decision_by"] == CLAIRE
    history = await services.tickets.store.history(ticket.reference)
    assert [e.actor for e in history if e.kind == "approval"] == [CLAIRE]
    [comment] = await services.tickets.store.comments(ticket.reference)
    assert comment.author == CLAIRE and comment.public
    assert comment.body == "Approuvé par Claire Martin."

    again = await claire.say(asked.buttons[1].payload)
    assert "déjà été approuvée par Claire Martin" in again
    with pytest.raises(AlreadyDecided):
        await services.approvals.decide(ticket.reference, by=CLAIRE, approved=False)

    told = (await queued_for(services, MARIE))[-1][0].text
    assert "approuvée par Claire Martin" in told and ticket.reference in told


async def test_rejecting_asks_for_a_reason_the_requester_reads(services: Services) -> None:
    claire = await on_the_web(services, CLAIRE, "en")
    ticket = await order_monitor(services, JOHN, "en")
    [[asked]] = await queued_for(services, CLAIRE)
    assert [b.title for b in asked.buttons] == ["Approve", "Reject"]  # as she speaks on the web
    why = await claire.say(asked.buttons[1].payload)
    assert "Why do you reject" in why
    assert (await services.tickets.get(ticket.reference)).status == "pending"
    done = await claire.say("We have spare monitors in the Lyon stock room")
    assert "you rejected" in done
    rejected = await services.tickets.get(ticket.reference)
    assert rejected.status == "rejected" and rejected.details["approval"] == "rejected"
    assert rejected.details["approval_reason"] == "We have spare monitors in the Lyon stock room"
    told = (await queued_for(services, JOHN))[-1][0].text
    assert "not approved by Claire Martin" in told and "spare monitors" in told


async def test_without_a_manager_the_service_desk_decides_and_the_history_says_why(
    services: Services,
) -> None:
    ticket = await order_monitor(services, PAUL)  # the director has no manager
    assert ticket.details["approval_route"] == "service_desk"
    assert ticket.details["approval_why"] == "no_manager"
    assert [e.kind for e in await services.tickets.store.history(ticket.reference)][-1] == (
        "approval_requested"
    )
    await services.auth.create_user("desk@norvane.example", role="agent", password="x" * 16)
    with pytest.raises(NotTheApprover):
        await services.approvals.decide(ticket.reference, by=JOHN, approved=True)
    decision = await services.approvals.decide(
        ticket.reference, by="desk@norvane.example", approved=True
    )
    assert decision.ticket.status == "assigned" and decision.by_name == "Desk"


async def test_a_manager_who_never_used_guichet_leaves_it_to_the_service_desk(
    services: Services,
) -> None:
    ticket = await order_monitor(services)
    assert ticket.details["approvers"] == [CLAIRE]
    assert ticket.details["approval_why"] == "unreachable"
    assert await queued_for(services, CLAIRE) == []
    # she may still decide when she comes, from the console's API say
    decision = await services.approvals.decide(ticket.reference, by=CLAIRE, approved=False)
    assert decision.ticket.status == "rejected"


async def test_any_member_of_the_items_group_may_decide(services: Services) -> None:
    sam = await on_the_web(services, "sam.taylor@norvane.example", "en")
    ticket = await services.tickets.create(
        NewTicket(
            kind="request",
            requester=JOHN,
            channel="web",
            conversation_id=None,
            title="Order: admin rights",
            description="admin rights",
            category="request",
            impact="person",
            urgency="low",
            priority="P5",
            language="en",
            details={"approver": "group:service-desk", "approval": "waiting", "fields": {}},
        )
    )
    await services.tickets.transition(ticket.reference, "pending", actor="guichet:approval")
    ticket = await services.approvals.request(ticket.reference)
    assert ticket.details["approvers"] == ["sam.taylor@norvane.example"]
    [[asked]] = await queued_for(services, "sam.taylor@norvane.example")
    assert "You are asked as a member of service-desk." in asked.text
    assert "you approved" in await sam.say(asked.buttons[0].payload)


async def test_a_reminder_after_n_hours_then_the_service_desk_after_m(services: Services) -> None:
    await on_the_web(services, CLAIRE)
    ticket = await order_monitor(services)
    start = utcnow()
    settings = services.settings.approvals
    services.approvals.clock = lambda: start + timedelta(hours=settings.remind_after_hours - 1)
    assert await services.approvals.check_overdue() == (0, 0)
    services.approvals.clock = lambda: start + timedelta(hours=settings.remind_after_hours + 1)
    assert await services.approvals.check_overdue() == (1, 0)
    assert await services.approvals.check_overdue() == (0, 0)  # once
    reminder = (await queued_for(services, CLAIRE))[-1][0]
    assert reminder.text.startswith("Rappel") and len(reminder.buttons) == 2

    services.approvals.clock = lambda: start + timedelta(hours=settings.escalate_after_hours + 1)
    assert await services.approvals.check_overdue() == (0, 1)
    escalated = await services.tickets.get(ticket.reference)
    assert escalated.details["approval_route"] == "service_desk"
    assert escalated.details["approval_why"] == "overdue"
    assert escalated.status == "pending"
    kinds = [e.kind for e in await services.tickets.store.history(ticket.reference)]
    assert kinds[-2:] == ["approval_reminded", "approval_escalated"]
    assert await services.approvals.check_overdue() == (0, 0)
    assert [t.reference for t in await services.approvals.waiting()] == [ticket.reference]
