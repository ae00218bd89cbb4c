"""One-time codes by text message, through an SMS provider's HTTP API.

`SmsProvider` is the plug-in point for the provider (Twilio's Messages API in `twilio.py`);
`SmsSender` is the `CodeSender` that uses one.
"""

from __future__ import annotations

from typing import Protocol

from bot.kernel.delivery import CodeMessage
from bot.kernel.directory import DestinationKind, HealthCheck

NAME = "sms"


class SmsProvider(Protocol):
    name: str

    async def send_text(self, to: str, text: str) -> None:
        """Hand one text to the provider; raises `DeliveryFailed` with the provider's reason
        (never the text or the full number)."""
        ...

    async def health(self) -> list[HealthCheck]:
        """An authenticated, read-only call (the account), nothing sent."""
        ...

    async def aclose(self) -> None: ...


class SmsSender:
    name = NAME
    kinds = frozenset({DestinationKind.SMS})

    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    async def send(self, message: CodeMessage) -> None:
        await self.provider.send_text(message.destination.address, message.text)

    async def health(self) -> list[HealthCheck]:
        return await self.provider.health()

    async def aclose(self) -> None:
        await self.provider.aclose()
