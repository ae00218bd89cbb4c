"""The `slack` ChatChannel: ticket updates posted in the user's direct messages with the app."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.channels.registry import ChannelUnavailable
from bot.kernel.domain import Reply
from connectors.slack import translate
from connectors.slack.app import SlackConnector


class SlackChannel:
    name = translate.CHANNEL

    def __init__(self, connector: SlackConnector) -> None:
        self._connector = connector

    async def push(
        self, *, user_id: str, conversation_id: str | None, replies: list[Reply]
    ) -> None:
        address = await self._connector.addresses.get(user_id, self.name)
        if address is None or "channel" not in address.address:
            raise ChannelUnavailable(channel=self.name, reason=f"no Slack address for {user_id}")
        try:
            await self._connector.post(
                self._connector.client, str(address.address["channel"]), replies, email=user_id
            )
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            raise ChannelUnavailable(channel=self.name, reason=str(exc)[:200]) from exc

    async def aclose(self) -> None:
        await self._connector.aclose()
