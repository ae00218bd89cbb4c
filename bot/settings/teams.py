"""Microsoft Teams settings (`GUICHET_TEAMS__*`); `/api/messages` is mounted when app_id is set."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


class TeamsSettings(BaseModel):
    app_id: str = Field("", description="the bot's Microsoft App ID (Entra app registration)")
    app_password: SecretStr = SecretStr("")
    # The Entra tenant of a single-tenant bot; None for a multi-tenant one.
    tenant_id: str | None = None
    # Issuers whose tokens are accepted on /api/messages (signature, audience, expiry always).
    issuers: list[str] = Field(default_factory=lambda: [BOT_FRAMEWORK_ISSUER])
    # Where the issuers' signing keys are read; None: the SDK's choice (Bot Framework, Entra).
    jwks_url: str | None = None
    # Where the bot gets its own token to call the Bot Connector service; None: Entra's.
    token_url: str | None = None
    token_scope: str = "https://api.botframework.com/.default"
    # Activities name the service the bot answers to (serviceUrl): only HTTPS on Microsoft's
    # hosts and these. Off: any URL the signed token vouches for (a local connector, tests).
    extra_service_hosts: list[str] = Field(default_factory=list)
    restrict_service_urls: bool = True
