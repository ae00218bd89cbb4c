"""The one typed settings object, read once at start-up.

Values come, highest priority first, from keyword arguments, environment variables
(`GUICHET_*`, nested with `__`, e.g. `GUICHET_NLU__ENGINE`), then an optional `guichet.toml`.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.kernel.errors import SettingsInvalid
from bot.kernel.formats import is_zone
from bot.kernel.language import Language
from bot.kernel.sla import DEFAULT_POLICIES, BusinessCalendar, SlaPolicy
from bot.kernel.tickets import DEFAULT_MATRIX, IMPACTS, PRIORITIES, URGENCIES
from bot.settings.approvals import ApprovalSettings
from bot.settings.assets import AssetSettings
from bot.settings.changes import ChangeSettings
from bot.settings.channels import ChannelSettings
from bot.settings.delivery import DeliverySettings
from bot.settings.directory import DirectorySettings
from bot.settings.insights import InsightsSettings
from bot.settings.itsm import ItsmSettings
from bot.settings.limits import LimitSettings
from bot.settings.operations import LogSettings, MetricsSettings, OtelSettings
from bot.settings.privacy import PrivacySettings
from bot.settings.rasa_actions import RasaActionSettings
from bot.settings.secret_strength import GENERATE, MIN_BITS, MIN_LENGTH, weakness
from bot.settings.sources import SourceSettings
from bot.settings.teams import TeamsSettings
from bot.settings.toml_source import TomlWithoutSecrets
from bot.settings.web import WebSettings

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_KB_DIR = PACKAGE_ROOT / "knowledge_index" / "sample_kb"
SAMPLE_NLU_DIR = PACKAGE_ROOT / "nlu" / "data"
DEFAULT_SECRET = "change-me-in-production"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class NluSettings(BaseModel):
    engine: str = "embedded"
    data_dir: Path = SAMPLE_NLU_DIR
    # Confidences are calibrated: 0.4 is where the held-out set's out-of-scope precision and
    # recall both pass 0.9 (docs/nlu.md; figures in docs/benchmarks/nlu.md).
    confidence_threshold: float = Field(0.4, ge=0.0, le=1.0)
    min_examples: int = Field(10, ge=1, description="per intent and language, checked on train")
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = Field(10.0, gt=0)


class KnowledgeSettings(BaseModel):
    kb_dir: Path = SAMPLE_KB_DIR
    embedder: str = "use-multilingual"
    # The best fused score `guichet eval search --data` counts as an answer in its out-of-domain
    # figure; the service itself decides "sure" by the confidence below.
    answer_threshold: float = Field(0.45, ge=0.0, le=1.0)
    # Search, the omnibox and the chat say "not sure" under this confidence of the abstention
    # model (knowledge_index/abstention.py, a probability fitted on the real-text tune split).
    confidence_threshold: float = Field(0.5, ge=0.0, le=1.0)
    # The chat gives its best article as the answer outright from this confidence of the same
    # model, and offers the closest ones as buttons below it: a wrong answer costs more there
    # (on the real-text tune split 0.7 answers as many English tickets rightly as the former
    # best score of 0.45 did, and 0.5 five times as many wrongly).
    chat_answer_confidence: float = Field(0.7, ge=0.0, le=1.0)
    # What is shown is not how sure we are: the omnibox and search show every entry from this
    # score (under it, nothing in common with the query) and say "not sure" apart; cutting at
    # 0.3 left answerable tickets of the real-text set without any result.
    suggest_threshold: float = Field(0.15, ge=0.0, le=1.0)
    # The chat's "is it one of these?" buttons: a few, good enough to be worth a click.
    chat_suggest_threshold: float = Field(0.3, ge=0.0, le=1.0)
    # Build or update the index at start-up when the content changed; production builds
    # it with `guichet index update` instead, and a missing index then fails /readyz.
    build_on_start: bool = True
    # Where documents come from besides the folder (Request Tracker's articles, ...).
    sources: SourceSettings = SourceSettings()


class HandOffSettings(BaseModel):
    """What the bot says about the wait when it hands a conversation to an agent. The service
    desk's hours are the tickets' business calendar (`tickets.calendar`)."""

    estimate_days: int = Field(
        7, ge=1, le=90, description="the wait is estimated from take-overs of this many days"
    )
    estimate_min_samples: int = Field(
        5,
        ge=1,
        description="fewer take-overs than this in those days: no estimate is given",
    )


class TicketSettings(BaseModel):
    """Priority matrix, SLA policies and the ITSM tools tickets are synced with."""

    priority_matrix: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_MATRIX.items()}
    )
    sla: dict[str, SlaPolicy] = Field(default_factory=lambda: dict(DEFAULT_POLICIES))
    calendar: BusinessCalendar = BusinessCalendar()
    handoff: HandOffSettings = HandOffSettings()
    sync_backends: list[str] = Field(
        default_factory=list,
        description="ITSM backends every ticket is pushed to; empty: Guichet is the ticket store",
    )
    run_sync_worker: bool = True
    sync_interval_seconds: float = Field(5.0, gt=0)
    # A worker's hold on an outbox item; another takes it over after this if the worker dies.
    # Longer than an ITSM call can last (GUICHET_ITSM__TIMEOUT_SECONDS).
    sync_lease_seconds: float = Field(60.0, gt=0)
    max_backoff_seconds: float = Field(600.0, gt=0)
    # How long an `Idempotency-Key` sent with a ticket write replays its response; expired keys
    # are deleted by the retention purge.
    idempotency_key_hours: float = Field(24.0, gt=0)

    @field_validator("priority_matrix")
    @classmethod
    def _complete_matrix(cls, matrix: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for impact in IMPACTS:
            for urgency in URGENCIES:
                if matrix.get(impact, {}).get(urgency) not in PRIORITIES:
                    raise ValueError(
                        f"a priority P1-P5 for every impact {IMPACTS} x urgency {URGENCIES}; "
                        f"missing or wrong: {impact}/{urgency}"
                    )
        return matrix


class OidcSettings(BaseModel):
    """Single sign-on for the console; mounted only when `issuer` is set."""

    issuer: str | None = Field(None, description="e.g. https://login.example.org/realms/it")
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    scopes: str = "openid email profile"
    # The role of a person who signs in for the first time; an admin raises it.
    default_role: Literal["employee", "agent", "admin"] = "employee"


class AuthSettings(BaseModel):
    """Console sessions and API tokens (bot/auth)."""

    session_minutes: int = Field(480, ge=1, description="a console session ends after this")
    # With Redis, a verified bearer token is believed this long without asking the database
    # again; revocations are heard at once through Redis (bot/auth/token_cache). 0: always ask.
    token_cache_seconds: float = Field(5.0, ge=0)
    # None: secure cookies outside development (the console is served over HTTPS there).
    cookie_secure: bool | None = None
    chat_link_minutes: int = Field(
        10,
        ge=1,
        le=60,
        description="a link the bot gives in chat to the employee's ticket pages signs them in "
        "once, within this many minutes",
    )
    oidc: OidcSettings = OidcSettings()


class ScaleSettings(BaseModel):
    """Several processes side by side (bot/scale): conversation locks, index versions."""

    # A Redis lock expires unless renewed, so a killed process does not hold a conversation.
    lock_ttl_seconds: float = Field(30.0, gt=0)
    # How long a message waits for the previous one of its conversation before a 503.
    lock_wait_seconds: float = Field(30.0, gt=0)
    # How often each process checks the index version pointer (besides Redis notices).
    index_poll_seconds: float = Field(5.0, gt=0)
    # After Redis failed: how long to use the fallback (PostgreSQL or in-process) before retrying.
    redis_retry_seconds: float = Field(2.0, gt=0)


def _is_base_url(value: str) -> bool:
    """An absolute http(s) URL that paths can be appended to: no credentials, query, fragment."""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and not any(c in "?#" or c.isspace() for c in value)
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GUICHET_",
        env_nested_delimiter="__",
        toml_file="guichet.toml",
        extra="forbid",
    )

    environment: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # Where employees' browsers reach Guichet; Slack and Teams links to its pages start with it.
    # None: in development, http://HOST:PORT; elsewhere required when Slack or Teams is set.
    public_url: str | None = None
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    default_language: Language = "en"
    # The time zone times are shown in when the reader's own is not known (their browser's,
    # Slack's or Teams'): an IANA name such as "Europe/Paris".
    default_timezone: str = "Europe/Paris"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log: LogSettings = LogSettings()
    forwarded_allow_ips: str | None = Field(
        None,
        description="the load balancers or reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (comma-separated IPs or CIDRs, or '*' for any); "
        "unset: none, the client address is the connection's",
    )
    nlu: NluSettings = NluSettings()
    knowledge: KnowledgeSettings = KnowledgeSettings()
    itsm: ItsmSettings = ItsmSettings()
    tickets: TicketSettings = TicketSettings()
    directory: DirectorySettings = DirectorySettings()
    approvals: ApprovalSettings = ApprovalSettings()
    # How one-time codes reach people (e-mail over SMTP, SMS, the demo inbox).
    delivery: DeliverySettings = DeliverySettings()
    assets: AssetSettings = AssetSettings()
    # Redis for several processes side by side (locks, live updates, shared rate limits);
    # unset: one process, everything in memory.
    redis_url: str | None = None
    web: WebSettings = WebSettings()
    scale: ScaleSettings = ScaleSettings()
    auth: AuthSettings = AuthSettings()
    insights: InsightsSettings = InsightsSettings()
    changes: ChangeSettings = ChangeSettings()

    # Slack (connectors/slack): /slack/events is mounted when both secrets are set. Flat names,
    # as Slack spells them: GUICHET_SLACK_SIGNING_SECRET, GUICHET_SLACK_BOT_TOKEN.
    slack_signing_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    teams: TeamsSettings = TeamsSettings()
    channels: ChannelSettings = ChannelSettings()
    privacy: PrivacySettings = PrivacySettings()
    limits: LimitSettings = LimitSettings()
    rasa_actions: RasaActionSettings = RasaActionSettings()
    metrics: MetricsSettings = MetricsSettings()
    otel: OtelSettings = OtelSettings()

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+psycopg://")):
            raise ValueError(
                "expected 'sqlite+aiosqlite:///PATH' or 'postgresql+psycopg://USER@HOST:PORT/DB'"
            )
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_zone(value):
            raise ValueError(
                f"an IANA time zone name such as 'Europe/Paris' or 'UTC'; got {value!r}"
            )
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if entries != ["*"]:
            for entry in entries:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError as exc:
                    raise ValueError(
                        "comma-separated IP addresses or networks of the trusted proxies, "
                        f"e.g. '10.0.0.5,10.1.0.0/16', or '*'; got {entry!r}"
                    ) from exc
        return ",".join(entries)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _is_base_url(value):
            raise ValueError(
                "an absolute http(s) URL without credentials, query or fragment, "
                "e.g. 'https://guichet.example.org' or 'https://intranet.example.org/guichet'"
            )
        return value.rstrip("/")  # paths are joined with one slash

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlWithoutSecrets(settings_cls))

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'guichet.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def model_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def log_format(self) -> Literal["json", "text"]:
        """The log lines' format: the one set, else readable text in development only."""
        if self.log.format is not None:
            return self.log.format
        return "text" if self.environment is Environment.DEVELOPMENT else "json"

    @property
    def effective_public_url(self) -> str | None:
        """Guichet's address for links shown outside it, without a final slash: the public URL,
        else in development the address `guichet serve` listens on."""
        if self.public_url or self.environment is not Environment.DEVELOPMENT:
            return self.public_url
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def check_public_url(self) -> None:
        """Refuse Slack or Teams outside development without the address their links open."""
        chat = bool(self.slack_signing_secret and self.slack_bot_token) or bool(self.teams.app_id)
        if chat and self.effective_public_url is None:
            raise SettingsInvalid(
                setting="GUICHET_PUBLIC_URL",
                problem="is not set while Slack or Teams is configured (their links to "
                "ticket and article pages need it)",
                expected="the address employees' browsers use, e.g. 'https://guichet.example.org'",
            )

    def check_secrets(self) -> None:
        """Outside development, refuse a default or guessable secret key (bot/settings/
        secret_strength.py: at least 256 bits of randomness). The value is never shown."""
        if self.environment is Environment.DEVELOPMENT:
            return
        secret = self.secret_key.get_secret_value()
        problem = "is the development default" if secret == DEFAULT_SECRET else weakness(secret)
        if problem:
            raise SettingsInvalid(
                setting="GUICHET_SECRET_KEY",
                problem=problem,
                expected=f"a random value of at least {MIN_BITS} bits ({MIN_LENGTH}+ "
                f"characters, e.g. 43 of base64 or 64 of hexadecimal), set in the environment; "
                f"generate one with {GENERATE}",
            )

    def check_demo_parts(self) -> None:
        """Outside development, refuse the demo directory and the demo inbox: a reset there
        would change nobody's real password and deliver no code."""
        if self.environment is Environment.DEVELOPMENT:
            return
        if self.directory.backend == "builtin":
            raise SettingsInvalid(
                setting="GUICHET_DIRECTORY__BACKEND",
                problem="is 'builtin', the demo directory of development",
                expected="the organisation's directory (e.g. 'ldap', 'entra' or 'keycloak', "
                "with its own GUICHET_DIRECTORY__* settings; see the README's Directory section)",
            )
        for kind, sender in self.delivery.senders().items():
            if sender == "demo":
                raise SettingsInvalid(
                    setting=f"GUICHET_DELIVERY__{kind.upper()}",
                    problem="is 'demo', the demo inbox of development, which reaches nobody",
                    expected="'smtp' for e-mail or 'sms' for text messages (with their "
                    "GUICHET_DELIVERY__SMTP__* or GUICHET_DELIVERY__TWILIO__* settings), or "
                    "'none' to offer no code that way",
                )


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; a wrong value raises SettingsInvalid naming the setting."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        path = "__".join(str(part) for part in first["loc"]).upper()
        raise SettingsInvalid(
            setting=f"GUICHET_{path}",
            problem=f"got {first.get('input')!r}" if "input" in first else "is invalid",
            expected=str(first["msg"]),
        ) from exc
    settings.check_secrets()
    settings.check_public_url()
    settings.check_demo_parts()
    return settings
