"""Typed settings of one-time code delivery: `GUICHET_DELIVERY__*` (nested in Settings).

`email`, `sms` and `voice` name the sender (`connectors.delivery.registry.SENDERS`) that
reaches each kind of destination the directory gives: `smtp`, `sms` (through the provider of
`sms_provider`), `demo` (the demo inbox of development) or `none`. Only destinations whose kind
has a sender are offered to the employee.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

NONE = "none"


class SmtpSettings(BaseModel):
    """The mail server codes are e-mailed through (`GUICHET_DELIVERY__SMTP__*`)."""

    host: str = ""
    port: int = Field(587, ge=1, le=65535)
    # starttls: plain connection upgraded with STARTTLS (port 587); tls: TLS from the first
    # byte (port 465); none: no encryption (a relay on the same host only).
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    sender: str = Field("", description="the From address, e.g. 'IT help <it-help@example.org>'")
    # A private certificate authority's bundle (PEM) for the server's certificate.
    ca_file: str | None = None
    timeout_seconds: float = Field(10.0, gt=0)


class TwilioSettings(BaseModel):
    """Twilio's Programmable Messaging (`GUICHET_DELIVERY__TWILIO__*`)."""

    account_sid: str = ""
    auth_token: SecretStr = SecretStr("")
    # The number (E.164) or alphanumeric sender id texts come from, or a Messaging Service.
    sender: str = ""
    messaging_service_sid: str = ""
    api_url: str = "https://api.twilio.com"
    timeout_seconds: float = Field(10.0, gt=0)


class DeliverySettings(BaseModel):
    email: str = "demo"
    sms: str = "demo"
    voice: str = NONE
    smtp: SmtpSettings = SmtpSettings()
    sms_provider: str = "twilio"
    twilio: TwilioSettings = TwilioSettings()

    @field_validator("email", "sms", "voice")
    @classmethod
    def _sender_name(cls, value: str) -> str:
        return value.strip().lower() or NONE

    def senders(self) -> dict[str, str]:
        """The sender of each destination kind that has one."""
        chosen = {"email": self.email, "sms": self.sms, "voice": self.voice}
        return {kind: name for kind, name in chosen.items() if name != NONE}
