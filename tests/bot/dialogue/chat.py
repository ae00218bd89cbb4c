"""A small driver that talks to the engine the way a channel does, for readable tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.kernel.domain import Reply
from bot.kernel.language import Language
from bot.services import Services


@dataclass
class Chat:
    services: Services
    conversation_id: str
    replies: list[Reply] = field(default_factory=list)
    # As a connector that verified the sender (Slack, Teams, the widget): may decide approvals.
    proven: bool = False

    @classmethod
    async def start(
        cls,
        services: Services,
        user: str = "alice@norvane.example",
        language: Language | None = None,
        channel: str = "api",
        *,
        proven: bool = False,
    ) -> Chat:
        conversation = await services.engine.start(channel=channel, user_id=user, language=language)
        return cls(services, conversation.id, proven=proven)

    async def say(self, text: str, language: Language | None = None) -> str:
        self.replies = await self.services.engine.handle(
            self.conversation_id, text, language=language, proven=self.proven
        )
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.replies)

    @property
    def buttons(self) -> dict[str, str]:
        return {b.title: b.payload for reply in self.replies for b in reply.buttons}

    async def press(self, title: str) -> str:
        return await self.say(self.buttons[title])

    async def press_pushed(self, title: str) -> str:
        """Press a button of the last message pushed into the conversation (a notification)."""
        conversation = await self.services.conversations.get(self.conversation_id)
        buttons = {b.title: b.payload for b in conversation.transcript[-1].buttons}
        return await self.say(buttons[title])

    async def state(self) -> tuple[str, dict[str, object]]:
        conversation = await self.services.conversations.get(self.conversation_id)
        return conversation.language, conversation.state.slots
