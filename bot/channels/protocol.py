"""The `ChatChannel` plug-in point: one implementation per channel (web, Slack, Teams, REST)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.kernel.domain import Reply


@runtime_checkable
class ChatChannel(Protocol):
    """A channel that can push messages to a user outside a reply to their own message.

    Replies to a user's message go back on the request that carried it (or, for Slack and
    Teams, through the vendor API from the channel's own handler). `push` is for everything
    else: ticket updates, an agent writing from the console, a notice. It delivers `replies`
    to `user_id` (the channel's own user id, as stored on the conversation) in
    `conversation_id` when known, and raises `ChannelUnavailable` when the channel cannot
    deliver now, so the caller keeps the message queued and tries again later.
    """

    name: str

    async def push(
        self, *, user_id: str, conversation_id: str | None, replies: list[Reply]
    ) -> None: ...
