"""The conversation each user continues on a channel, remembered in the process.

Chat channels (Slack, Teams) have one running conversation per user: looking it up in the
database before every message would read its whole transcript twice (the engine reads it too).
"""

from __future__ import annotations

from bot.api.schemas import MAX_MESSAGE_CHARS
from bot.dialogue.engine import DialogueEngine
from bot.kernel.domain import Reply
from bot.kernel.errors import ConversationNotFound
from bot.kernel.language import Language

MAX_REMEMBERED = 100_000


class UserConversations:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._ids: dict[str, str] = {}

    async def handle(
        self,
        engine: DialogueEngine,
        user_id: str,
        text: str,
        *,
        hint: Language | None = None,
        timezone: str | None = None,
        proven: bool = False,
    ) -> list[Reply]:
        """The engine's replies to `text` in the user's conversation (started when needed).

        `hint`: the language of the user's Slack or Teams client, spoken until they write;
        `timezone`: the user's IANA zone as Slack or Teams knows it (times are shown in it);
        `proven`: the connector verified the request (Slack's signature, Teams' JWT), so the
        message is the user's own (DialogueEngine.handle).
        """
        # Slack and Teams bound a message far above the API's limit: keep its beginning.
        text = text[:MAX_MESSAGE_CHARS]
        conversation_id = self._ids.get(user_id) or await self._find_or_start(engine, user_id)
        try:
            return await engine.handle(
                conversation_id, text, hint=hint, timezone=timezone, proven=proven
            )
        except ConversationNotFound:  # erased meanwhile (privacy requests): a new one
            self._ids.pop(user_id, None)
            conversation_id = await self._find_or_start(engine, user_id)
            return await engine.handle(
                conversation_id, text, hint=hint, timezone=timezone, proven=proven
            )

    async def _find_or_start(self, engine: DialogueEngine, user_id: str) -> str:
        conversation = await engine.conversations.latest_for_user(
            channel=self.channel, user_id=user_id
        ) or await engine.start(channel=self.channel, user_id=user_id)
        if len(self._ids) >= MAX_REMEMBERED:
            self._ids.clear()
        self._ids[user_id] = conversation.id
        return conversation.id
