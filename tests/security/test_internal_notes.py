"""An employee tries to read the agents' internal notes on their own ticket, by every route a
ticket's words leave by: the API, the ticket pages, the chat, and the pushes that Slack, Teams
and the web widget deliver. Agents and admins still read them."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from bot.kernel.domain import Reply, payload
from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from bot.storage.tables import NotificationRow
from tests.bot.api.conftest import ClientFor
from tests.bot.dialogue.chat import Chat

ANN, OPS = "ann@norvane.example", "ops@norvane.example"
NOTE = "Internal: Ann is on the old VPN client, do not tell her yet (NOTE-7Q)"
SECRET_WORD = "NOTE-7Q"
PUBLIC = "We are looking into it; please restart the client."


@dataclass
class RecordingChannel:
    """Stands for Slack: keeps what the dispatcher pushes to the user."""

    name: str = "slack"
    pushed: list[str] = field(default_factory=list)

    async def push(
        self, *, user_id: str, conversation_id: str | None, replies: list[Reply]
    ) -> None:
        self.pushed += [reply.text for reply in replies]


@dataclass
class Scene:
    reference: str
    chat: Chat
    ann: httpx.AsyncClient
    ops: httpx.AsyncClient
    slack: RecordingChannel


async def _scene(services: Services, client_for: ClientFor) -> Scene:
    """Ann's ticket, opened from a Slack conversation; the agent writes an internal note, a
    public reply, and resolves it (Ann is asked whether it works now)."""
    slack = RecordingChannel()
    services.channels.register(slack.name, slack)
    chat = await Chat.start(services, user=ANN, channel="slack")
    ticket = await services.tickets.create(
        NewTicket(
            kind="incident", requester=ANN, channel="slack", conversation_id=chat.conversation_id,
            title="VPN drops", description="The VPN drops every minute.", category="network",
            impact="person", urgency="low", priority="P5", language="en",
        )
    )  # fmt: skip
    ann, ops = await client_for("employee", ANN), await client_for("agent", OPS)
    url = f"/api/v1/tickets/{ticket.reference}"
    for body in (
        {"body": NOTE, "public": False, "from_agent": True},
        {"body": PUBLIC, "public": True, "from_agent": True},
    ):
        assert (await ops.post(f"{url}/comments", json=body)).status_code == 201
    for status in ("assigned", "in_progress", "resolved"):
        assert (await ops.post(f"{url}/transitions", json={"to": status})).status_code == 200
    return Scene(ticket.reference, chat, ann, ops, slack)


async def test_the_requester_reads_no_internal_note_through_the_ticket_api(
    services: Services, client_for: ClientFor
) -> None:
    scene = await _scene(services, client_for)
    url = f"/api/v1/tickets/{scene.reference}"

    read = await scene.ann.get(url)
    assert read.status_code == 200
    assert SECRET_WORD not in read.text
    assert [c["body"] for c in read.json()["comments"]] == [PUBLIC]
    assert all(e["data"].get("public") is not False for e in read.json()["history"])

    commented = await scene.ann.post(f"{url}/comments", json={"body": "Still dropping."})
    assert commented.status_code == 201
    assert SECRET_WORD not in commented.text
    listed = await scene.ann.get("/api/v1/tickets")
    assert listed.status_code == 200 and SECRET_WORD not in listed.text
    transcript = await scene.ann.get(f"/api/v1/conversations/{scene.chat.conversation_id}")
    assert transcript.status_code == 200 and SECRET_WORD not in transcript.text


async def test_the_requester_reads_no_internal_note_on_the_ticket_pages(
    services: Services, client_for: ClientFor
) -> None:
    scene = await _scene(services, client_for)
    page = await scene.ann.get(f"/tickets/{scene.reference}")
    assert page.status_code == 200
    assert PUBLIC.split(";")[0] in page.text and SECRET_WORD not in page.text
    mine = await scene.ann.get("/tickets")
    assert mine.status_code == 200 and SECRET_WORD not in mine.text


async def test_the_requester_hears_no_internal_note_in_the_chat_or_the_pushes(
    app: FastAPI, services: Services, client_for: ClientFor
) -> None:
    scene = await _scene(services, client_for)
    await app.state.dispatcher.deliver_pending()
    # Pushed to Slack (Teams and the widget take the same queue): the reply and "does it work?".
    assert any(PUBLIC in text for text in scene.slack.pushed)
    assert not any(SECRET_WORD in text for text in scene.slack.pushed)
    async with services.database.sessions() as session:
        queued = (await session.scalars(select(NotificationRow))).all()
    assert queued and all(SECRET_WORD not in str(row.replies) for row in queued)

    status = await scene.chat.say(payload("incident_status", ticket_number=scene.reference))
    assert scene.reference in status and SECRET_WORD not in status
    answered = await scene.chat.say("no")  # to "does it work now?": reopened
    assert SECRET_WORD not in answered
    conversation = await services.conversations.get(scene.chat.conversation_id)
    assert all(SECRET_WORD not in turn.text for turn in conversation.transcript)


async def test_agents_still_read_the_internal_notes(
    services: Services, client_for: ClientFor
) -> None:
    scene = await _scene(services, client_for)
    read = await scene.ops.get(f"/api/v1/tickets/{scene.reference}")
    assert [(c["body"], c["public"]) for c in read.json()["comments"]] == [
        (NOTE, False),
        (PUBLIC, True),
    ]
    assert any(e["data"].get("public") is False for e in read.json()["history"])
    admin = await client_for("admin", "admin@norvane.example")
    assert NOTE in (await admin.get(f"/api/v1/tickets/{scene.reference}")).text
