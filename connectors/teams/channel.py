"""The `teams` ChatChannel: ticket updates as proactive messages in the user's personal chat."""

from __future__ import annotations

from bot.channels.registry import ChannelUnavailable
from bot.kernel.domain import Reply
from connectors.teams import translate
from connectors.teams.app import TeamsConnector


class TeamsChannel:
    name = translate.CHANNEL

    def __init__(self, connector: TeamsConnector) -> None:
        self._connector = connector

    async def push(
        self, *, user_id: str, conversation_id: str | None, replies: list[Reply]
    ) -> None:
        address = await self._connector.addresses.get(user_id, self.name)
        if address is None:
            raise ChannelUnavailable(channel=self.name, reason=f"no Teams address for {user_id}")
        try:
            await self._connector.proactive(address.address, replies, email=user_id)
        except ChannelUnavailable:
            raise
        except Exception as exc:  # the SDK raises plain errors for HTTP failures
            raise ChannelUnavailable(channel=self.name, reason=str(exc)[:200]) from exc
