"""Settings of the web widget (`GUICHET_WEB__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator


class WebSettings(BaseModel):
    """Who may embed the widget and how the host portal vouches for the user.

    The portal signs a JWT for the signed-in employee, with a shared secret (HS256,
    `portal_key`) or its private key (RS256, checked with `portal_public_key`, PEM text).
    """

    portal_key: SecretStr | None = Field(None, description="HS256 secret shared with the portal")
    portal_public_key: str | None = Field(None, description="RS256 public key of the portal, PEM")
    token_issuer: str | None = Field(None, description="required `iss` when set")
    token_audience: str = Field("guichet", min_length=1, description="required `aud`")
    token_leeway_seconds: int = Field(30, ge=0, le=600, description="clock skew allowed on exp")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="origins of the intranet pages that embed the widget (CORS); none: same origin",
    )
    frame_ancestors: str = Field(
        "'none'",
        description="who may frame Guichet's own pages (console, ticket and article pages): "
        "the CSP frame-ancestors sources, e.g. \"'self' https://intranet.example.org\"; "
        "'none': nobody (and X-Frame-Options: DENY). The widget's files are not concerned",
    )
    keepalive_seconds: float = Field(15.0, gt=0, description="comment line on an idle stream")
    # A stream ends after this and the widget reconnects at once with Last-Event-ID: a server
    # shutting down waits for open streams, so none may last long.
    stream_seconds: float = Field(15.0, gt=0, description="longest life of one event stream")
    events_kept: int = Field(200, ge=1, description="pushed messages kept per user for a reconnect")

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not origin.startswith(("http://", "https://")) or origin.endswith("/"):
                raise ValueError(f"an origin like 'https://intranet.example.org', got {origin!r}")
        return origins

    @field_validator("frame_ancestors")
    @classmethod
    def _frame_ancestors(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value or any(c in value for c in ';,"<>'):
            raise ValueError(
                "CSP frame-ancestors sources separated by spaces, e.g. "
                "\"'self' https://intranet.example.org\", or \"'none'\""
            )
        return value

    @field_validator("portal_public_key")
    @classmethod
    def _pem(cls, key: str | None) -> str | None:
        if key is not None and "-----BEGIN PUBLIC KEY-----" not in key:
            raise ValueError("a PEM public key ('-----BEGIN PUBLIC KEY-----...')")
        return key
