"""Queued ticket updates reach the channel the user last used, once, and wait when it is down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bot.channels import dispatch
from bot.channels.addresses import ChannelAddressStore
from bot.channels.dispatch import NotificationDispatcher
from bot.channels.protocol import ChatChannel
from bot.channels.registry import ChannelUnavailable, channel_registry
from bot.kernel.domain import Reply
from bot.kernel.registry import Registry
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.settings import TicketSettings
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.tables import NotificationRow
from bot.storage.tickets import TicketStore
from bot.tickets.notify import TicketNotifier
from bot.tickets.service import TicketService

pytestmark = pytest.mark.unit

ANN = "ann@norvane.example"


@dataclass
class RecordingChannel:
    """A channel that keeps what it was asked to push; `down` makes it refuse like a real outage."""

    name: str
    down: bool = False
    pushed: list[tuple[str, str | None, list[str]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def push(
        self, *, user_id: str, conversation_id: str | None, replies: list[Reply]
    ) -> None:
        if self.down:
            raise ChannelUnavailable(channel=self.name, reason="connection refused")
        self.pushed.append((user_id, conversation_id, [r.text for r in replies]))
        self.arrived.set()


@dataclass
class World:
    database: Database
    conversations: ConversationStore
    addresses: ChannelAddressStore
    tickets: TicketService
    notifier: TicketNotifier
    channels: Registry[ChatChannel]
    dispatcher: NotificationDispatcher
    slack: RecordingChannel
    teams: RecordingChannel


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    database = Database(database_url)
    await database.migrate()
    conversations = ConversationStore(database)
    addresses = ChannelAddressStore(database)
    channels = channel_registry()
    slack, teams = RecordingChannel("slack"), RecordingChannel("teams")
    channels.register("slack", slack)
    channels.register("teams", teams)
    yield World(
        database=database,
        conversations=conversations,
        addresses=addresses,
        tickets=TicketService(TicketStore(database), TicketSettings()),
        notifier=TicketNotifier(database, conversations),
        channels=channels,
        dispatcher=NotificationDispatcher(database, addresses, conversations, channels),
        slack=slack,
        teams=teams,
    )
    await database.close()


async def _ticket(world: World, channel: str) -> Ticket:
    conversation = await world.conversations.create(channel=channel, user_id=ANN, language="en")
    return await world.tickets.create(
        NewTicket(
            kind="incident",
            requester=ANN,
            channel=channel,
            conversation_id=conversation.id,
            title="VPN down",
            description="VPN down since 9",
            category="network",
            impact="person",
            urgency="high",
            priority="P3",
            language="en",
        )
    )


async def _undelivered(world: World) -> int:
    async with world.database.sessions() as session:
        rows = await session.scalars(
            select(NotificationRow).where(NotificationRow.delivered_at.is_(None))
        )
        return len(rows.all())


async def test_update_goes_to_the_ticket_channel_once(world: World) -> None:
    ticket = await _ticket(world, "slack")
    await world.addresses.touch(email=ANN, channel="slack", address={"channel": "D1"})
    await world.notifier.notify(ticket, world.notifier.replies(ticket, status="in_progress"))

    report = await world.dispatcher.deliver_pending()
    assert (report.delivered, report.kept) == (1, 0)
    [(user, conversation_id, texts)] = world.slack.pushed
    assert (user, conversation_id) == (ANN, ticket.conversation_id)
    assert ticket.reference and ticket.reference in texts[0]
    assert await world.dispatcher.deliver_pending() == type(report)(0, 0)
    assert len(world.slack.pushed) == 1 and await _undelivered(world) == 0


async def test_update_follows_the_user_to_the_channel_used_last(world: World) -> None:
    ticket = await _ticket(world, "slack")
    await world.addresses.touch(email=ANN, channel="slack", address={"channel": "D1"})
    in_teams = await world.conversations.create(channel="teams", user_id=ANN, language="en")
    await world.addresses.touch(email=ANN, channel="teams", address={"conversation": "a:1"})
    await world.notifier.notify(ticket, world.notifier.replies(ticket, status="resolved"))

    await world.dispatcher.deliver_pending()
    assert world.slack.pushed == []
    [(user, conversation_id, texts)] = world.teams.pushed
    assert (user, conversation_id) == (ANN, in_teams.id)
    # shown in the Teams conversation too, so a plain "yes" there answers "does it work now?"
    teams_conversation = await world.conversations.get(in_teams.id)
    assert [turn.text for turn in teams_conversation.transcript] == texts
    assert teams_conversation.state.awaiting_resolution == ticket.reference


async def test_channel_down_keeps_updates_queued_and_in_order(world: World) -> None:
    ticket = await _ticket(world, "slack")
    await world.addresses.touch(email=ANN, channel="slack", address={"channel": "D1"})
    world.slack.down = True
    await world.notifier.notify(ticket, world.notifier.replies(ticket, status="in_progress"))
    await world.notifier.notify(
        ticket, world.notifier.replies(ticket, comment="On it", author="Bo")
    )

    report = await world.dispatcher.deliver_pending()
    assert (report.delivered, report.kept) == (0, 2)
    assert await _undelivered(world) == 2

    world.slack.down = False
    report = await world.dispatcher.deliver_pending()
    assert (report.delivered, report.kept) == (2, 0)
    assert ["On it" in texts[0] for _, _, texts in world.slack.pushed] == [False, True]


async def test_user_without_a_pushing_channel_keeps_the_update(world: World) -> None:
    ticket = await _ticket(world, "rest")
    await world.notifier.notify(ticket, world.notifier.replies(ticket, status="in_progress"))
    report = await world.dispatcher.deliver_pending()
    assert (report.delivered, report.kept) == (0, 1)
    await world.addresses.touch(email=ANN, channel="teams", address={"conversation": "a:1"})
    assert (await world.dispatcher.deliver_pending()).delivered == 1
    assert world.teams.pushed[0][1] is None  # no Teams conversation yet: the channel opens one


async def test_running_dispatcher_delivers_as_soon_as_woken(world: World) -> None:
    world.notifier.on_queued = world.dispatcher.wake
    stop = asyncio.Event()
    task = asyncio.create_task(world.dispatcher.run(stop, interval=3600))
    try:
        ticket = await _ticket(world, "slack")
        await world.addresses.touch(email=ANN, channel="slack", address={"channel": "D1"})
        await world.notifier.notify(ticket, world.notifier.replies(ticket, status="in_progress"))
        async with asyncio.timeout(5):  # far less than the hour-long interval
            await world.slack.arrived.wait()
    finally:
        stop.set()
        await task


async def test_updates_stuck_for_some_users_do_not_hold_back_the_others(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "BATCH", 2)  # the stuck ones fill the first page
    stuck = await _ticket(world, "rest")  # Ann has no channel that can push
    for _ in range(3):
        await world.notifier.notify(stuck, world.notifier.replies(stuck, status="in_progress"))
    conversation = await world.conversations.create(
        channel="slack", user_id="bo@norvane.example", language="en"
    )
    other = await world.tickets.create(
        NewTicket(
            kind="incident",
            requester="bo@norvane.example",
            channel="slack",
            conversation_id=conversation.id,
            title="Screen flickers",
            description="The screen flickers",
            category="hardware",
            impact="person",
            urgency="low",
            priority="P4",
            language="en",
        )
    )
    await world.addresses.touch(email="bo@norvane.example", channel="slack", address={"c": "D2"})
    await world.notifier.notify(other, world.notifier.replies(other, status="in_progress"))
    report = await world.dispatcher.deliver_pending()
    assert (report.delivered, report.kept) == (1, 3)
    assert [user for user, _, _ in world.slack.pushed] == ["bo@norvane.example"]
