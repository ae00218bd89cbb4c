"""Typed settings of the request limits: `GUICHET_LIMITS__*` (nested in bot.settings)."""

from __future__ import annotations

from limits import parse
from pydantic import BaseModel, Field, field_validator, model_validator


class SignInLimitSettings(BaseModel):
    """Failed console sign-ins, counted per account and per client address: after
    `free_failures` each failure makes the next try wait, twice as long each time; after
    `lock_after_failures` the account (or address) is locked until `lock_minutes` have passed
    or an admin runs `guichet user unlock`. In Redis when GUICHET_REDIS_URL is set."""

    enabled: bool = Field(True, description="throttle failed console sign-ins")
    free_failures: int = Field(5, ge=1, description="failures before the first wait")
    first_delay_seconds: float = Field(
        2.0, gt=0, description="the first wait; each further failure doubles it"
    )
    lock_after_failures: int = Field(
        10, ge=2, description="failures that lock the account or address"
    )
    lock_minutes: float = Field(15.0, gt=0, description="how long a lock lasts")
    forget_minutes: float = Field(
        60.0, gt=0, description="failures are forgotten this long after the last wait ends"
    )

    @model_validator(mode="after")
    def _lock_after_the_waits(self) -> SignInLimitSettings:
        if self.lock_after_failures <= self.free_failures:
            raise ValueError("lock_after_failures must be more than free_failures")
        return self


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
    lease_hits: int = Field(
        8,
        ge=1,
        description="with Redis, a process takes up to this many hits of a generous limit "
        "(one fiftieth of it at most) in one round trip and spends them within "
        "lease_seconds; 1: one round trip per request",
    )
    lease_seconds: float = Field(
        5.0, gt=0, description="how long the hits taken ahead stay usable in the process"
    )
    sign_in: SignInLimitSettings = SignInLimitSettings()

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
