"""Telling the requester about changes to their ticket, in their language and conversation."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from bot.kernel.domain import Button, Link, Reply, bot_turns, payload, utcnow
from bot.kernel.errors import ConversationNotFound
from bot.kernel.i18n import t
from bot.kernel.messages import status_name, waiting_for
from bot.kernel.ticket_models import Ticket
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.tables import NotificationRow


class TicketNotifier:
    """Appends the update to the requester's conversation and queues it for their channel.

    Channels deliver queued notifications (push to Slack, Teams, the web widget); a user who
    answers "yes"/"no" to "does it work now?" closes or reopens the ticket.
    """

    def __init__(self, database: Database, conversations: ConversationStore) -> None:
        self._sessions = database.sessions
        self._conversations = conversations
        # Called once a notification is queued, to deliver it at once (the channel dispatcher).
        self.on_queued: Callable[[], None] | None = None

    def replies(
        self,
        ticket: Ticket,
        *,
        status: str | None = None,
        comment: str | None = None,
        author: str | None = None,
    ) -> list[Reply]:
        language = ticket.language
        # Every update links to the ticket's page (channels make the path absolute).
        page = [Link(title=ticket.reference, url=f"/tickets/{ticket.reference}")]
        if comment is not None:
            return [
                Reply(
                    text=t(
                        "New reply on {reference} from {author}: {body}",
                        language,
                        reference=ticket.reference,
                        author=author or "IT",
                        body=comment,
                    ),
                    links=page,
                )
            ]
        if status == "resolved":
            return [
                Reply(
                    text=t(
                        'Your ticket {reference} "{title}" is resolved. Does it work now?',
                        language,
                        reference=ticket.reference,
                        title=ticket.title,
                    ),
                    buttons=[
                        Button(
                            title=t("Yes, it works", language),
                            payload=payload("confirm_resolution", ticket=ticket.reference),
                        ),
                        Button(
                            title=t("No, still broken", language),
                            payload=payload("reopen", ticket=ticket.reference),
                        ),
                    ],
                    links=page,
                )
            ]
        return [
            Reply(
                text=t(
                    "Your ticket {reference} is now {status}.",
                    language,
                    reference=ticket.reference,
                    status=self._status(ticket, status, language),
                ),
                links=page,
            )
        ]

    @staticmethod
    def _status(ticket: Ticket, status: str | None, language: str) -> str:
        """The status's name, with what the ticket now waits for ("waiting for your reply")."""
        name = status_name(status or ticket.status, language)
        why = waiting_for(ticket, language) if status in (None, ticket.status) else None
        return f"{name} ({why})" if why else name

    async def notify(self, ticket: Ticket, replies: list[Reply]) -> None:
        conversation = None
        if ticket.conversation_id:
            # Gone when the retention policy purged it (a ticket reopened long after): the
            # notification still reaches the requester on the ticket's channel.
            with contextlib.suppress(ConversationNotFound):
                conversation = await self._conversations.get(ticket.conversation_id)
        if conversation is not None:
            turns = bot_turns(replies, ticket.language)  # type: ignore[arg-type]
            if any(b.payload.startswith("/confirm_resolution") for r in replies for b in r.buttons):
                conversation.state.awaiting_resolution = ticket.reference
            await self._conversations.save(conversation, turns)
        await self.queue(
            ticket.requester,
            conversation.channel if conversation else ticket.channel,
            replies,
            conversation_id=conversation.id if conversation else None,
        )

    async def queue(
        self,
        user_id: str,
        channel: str,
        replies: list[Reply],
        *,
        conversation_id: str | None = None,
    ) -> None:
        """Queue `replies` for `user_id` (an e-mail): the dispatcher pushes them to the channel
        they used last (else `channel`), into their latest conversation there."""
        async with self._sessions.begin() as session:
            session.add(
                NotificationRow(
                    user_id=user_id,
                    conversation_id=conversation_id,
                    channel=channel,
                    replies={"replies": [r.model_dump(mode="json") for r in replies]},
                    created_at=utcnow(),
                    delivered_at=None,
                )
            )
        if self.on_queued is not None:
            self.on_queued()
