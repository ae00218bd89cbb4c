"""Typed settings of the request limits: `GUICHET_LIMITS__*` (nested in bot.settings)."""

from __future__ import annotations

from limits import parse
from pydantic import BaseModel, Field, field_validator


class LimitSettings(BaseModel):
    """Rates are `N/second|minute|hour|day` (e.g. "30/minute"); empty: no limit of that kind.

    Users are counted by their authenticated e-mail (or the owner of the conversation they
    write to), addresses by the client address uvicorn reports: behind a load balancer, set
    GUICHET_FORWARDED_ALLOW_IPS so that it is the employee's, not the balancer's.
    """

    max_body_bytes: int = Field(1_048_576, ge=1024, description="larger request bodies get 413")
    enabled: bool = True
    messages_per_user: str = "30/minute"
    messages_per_ip: str = "120/minute"
    suggestions_per_user: str = "300/minute"
    suggestions_per_ip: str = "1200/minute"
    writes_per_user: str = "60/minute"
    writes_per_ip: str = "240/minute"
    # A whole Slack workspace or Teams tenant (chat channels only; empty: no limit), for a flood
    # from many accounts at once; its size depends on the organisation, hence no default.
    messages_per_workspace: str = ""
    suggestions_per_workspace: str = ""
    writes_per_workspace: str = ""
    # Vendor webhooks arrive from the vendor's few addresses on behalf of everyone (Slack,
    # Teams' Bot Connector, a Rasa server calling the action server): not limited per address.
    # An entry ending in "/" is a prefix, any other an exact path.
    ip_exempt_paths: list[str] = Field(
        default_factory=lambda: ["/slack/", "/api/messages", "/webhook"]
    )
    redis_key_prefix: str = "guichet:ratelimit"

    @field_validator(
        "messages_per_user",
        "messages_per_ip",
        "suggestions_per_user",
        "suggestions_per_ip",
        "writes_per_user",
        "writes_per_ip",
        "messages_per_workspace",
        "suggestions_per_workspace",
        "writes_per_workspace",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        if value.strip():
            try:
                parse(value)
            except ValueError as exc:
                raise ValueError(f"a rate like '30/minute', got {value!r}") from exc
        return value.strip()
