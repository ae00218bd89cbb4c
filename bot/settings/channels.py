"""Settings shared by the chat channels (the Slack and Teams ones have their own)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChannelSettings(BaseModel):
    # Queued ticket updates are pushed at once; those a channel could not take are retried
    # this often.
    notify_interval_seconds: float = Field(5.0, gt=0)
