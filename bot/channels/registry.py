"""The channels this process can push to, by name; the app registers them at start-up."""

from __future__ import annotations

from bot.channels.protocol import ChatChannel
from bot.kernel.errors import GuichetError
from bot.kernel.registry import Registry


class ChannelUnavailable(GuichetError):
    message = "channel {channel!r} cannot deliver now: {reason}"


def channel_registry() -> Registry[ChatChannel]:
    """A fresh registry (one per Services, so tests and several apps do not share state)."""
    return Registry[ChatChannel]("chat channel")
