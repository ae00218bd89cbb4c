"""The relational schema. Alembic migrations in `migrations/` create it; keep both in step."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.redacted import RedactedJSON, RedactedString, RedactedText

# Free text (what people typed or wrote, and what is made of it) is stored redacted: the
# Redacted* types of bot/storage/redacted.py, JSON documents by default. Plain String, Text and
# JSON are for identifiers and machine values only; tests/security/test_redaction.py holds the
# list of those and fails on a text column that is in neither.


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: RedactedJSON,
    }


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    language: Mapped[str] = mapped_column(String(8))
    language_locked: Mapped[bool]
    state: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (Index("ix_turns_conversation_seq", "conversation_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int]
    role: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(RedactedText)
    data: Mapped[dict[str, Any]]
    at: Mapped[datetime]


class TicketRow(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    requester: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(RedactedString(200))
    description: Mapped[str] = mapped_column(RedactedText)
    category: Mapped[str] = mapped_column(String(32))
    impact: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(24))
    language: Mapped[str] = mapped_column(String(8))
    details: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # lifecycle and SLA (migration 0003_tickets)
    assignee_group: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(255))
    parent_reference: Mapped[str | None] = mapped_column(String(32), index=True)
    first_response_due: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    # the change or release a ticket follows from (migration 0006_insights)
    change_ref: Mapped[str | None] = mapped_column(String(64), index=True)


class EscalationRow(Base):
    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    requester: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    # handled from the console (migration 0005_console)
    assignee: Mapped[str | None] = mapped_column(String(255))
    taken_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    ticket_reference: Mapped[str | None] = mapped_column(String(32))


class TicketEventRow(Base):
    """The history of a ticket: who changed what, when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]


class TicketCommentRow(Base):
    __tablename__ = "ticket_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(RedactedText)
    public: Mapped[bool]
    origin: Mapped[str] = mapped_column(String(64))


class TicketSyncRow(Base):
    """Where a ticket stands with one ITSM backend."""

    __tablename__ = "ticket_sync"
    __table_args__ = (Index("ix_ticket_sync_backend_ticket", "backend", "ticket_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    backend: Mapped[str] = mapped_column(String(64))
    upstream_id: Mapped[str | None] = mapped_column(String(128), index=True)
    state: Mapped[str] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(RedactedText)
    updated_at: Mapped[datetime]


class OutboxRow(Base):
    """A change waiting to be delivered to a backend; kept until delivered, retried with backoff."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    backend: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(RedactedText)
    created_at: Mapped[datetime]


class SyncCursorRow(Base):
    """Up to when the changes of one backend have been read."""

    __tablename__ = "sync_cursors"

    backend: Mapped[str] = mapped_column(String(64), primary_key=True)
    since: Mapped[datetime]


class NotificationRow(Base):
    """A message for a user outside a reply (ticket updates), for their last channel."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(32))
    replies: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class IncidentNoticeRow(Base):
    """A notice about an ongoing incident or outage, shown first in suggestions while active."""

    __tablename__ = "incident_notices"
    __table_args__ = (Index("ix_incident_notices_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    title_en: Mapped[str] = mapped_column(RedactedString(200))
    title_fr: Mapped[str] = mapped_column(RedactedString(200))
    body_en: Mapped[str] = mapped_column(RedactedText)
    body_fr: Mapped[str] = mapped_column(RedactedText)
    tags: Mapped[list[str]] = mapped_column(RedactedJSON)
    url: Mapped[str | None] = mapped_column(RedactedString(500))
    source: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(64))
    # Whom it concerns besides the linked tickets' requesters (migration 0011_incident_reach)
    sites: Mapped[list[str]] = mapped_column(RedactedJSON, default=list)
    departments: Mapped[list[str]] = mapped_column(RedactedJSON, default=list)
    # Each publish, update and close is a new version; people are told once per version.
    version: Mapped[int] = mapped_column(Integer, default=1)
    announced_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # A planned maintenance ("maintenance") has a window; an incident ("incident") has none.
    kind: Mapped[str] = mapped_column(String(16), default="incident", server_default="incident")
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    service: Mapped[str | None] = mapped_column(String(200))


class NoticeDeliveryRow(Base):
    """That one person was told about one version of a notice: the unique index makes it once."""

    __tablename__ = "notice_deliveries"
    __table_args__ = (
        Index("ix_notice_deliveries_once", "notice_id", "version", "email", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("incident_notices.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(255))
    told_at: Mapped[datetime]


class NoticeSubscriptionRow(Base):
    """An employee who asked to hear about a notice ("Notify me" in the omnibox)."""

    __tablename__ = "notice_subscriptions"
    __table_args__ = (Index("ix_notice_subscriptions_once", "notice_id", "email", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("incident_notices.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]


class SatisfactionSurveyRow(Base):
    """The one-question survey sent when a ticket closes, and its answer."""

    __tablename__ = "satisfaction_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_reference: Mapped[str] = mapped_column(String(32), unique=True)
    requester: Mapped[str] = mapped_column(String(255), index=True)
    language: Mapped[str] = mapped_column(String(8))
    asked_at: Mapped[datetime] = mapped_column(index=True)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(RedactedText)
    answered_at: Mapped[datetime | None]


class SuggestionClickRow(Base):
    """A suggestion the user chose for what they typed."""

    __tablename__ = "suggestion_clicks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    query_key: Mapped[str] = mapped_column(RedactedString(200), index=True)
    language: Mapped[str] = mapped_column(String(8))
    entry_group: Mapped[str] = mapped_column(String(200), index=True)
    entry_type: Mapped[str] = mapped_column(String(32))
    position: Mapped[int]
    created_at: Mapped[datetime]


class AnswerFeedbackRow(Base):
    """Answers to "was this helpful?": yes or no, for what was asked."""

    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    query_key: Mapped[str] = mapped_column(RedactedString(200), index=True)
    language: Mapped[str] = mapped_column(String(8))
    entry_group: Mapped[str] = mapped_column(String(200), index=True)
    helpful: Mapped[bool]
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]


class KnowledgeGapRow(Base):
    """A question the knowledge base had no good answer for, counted, for the gap report."""

    __tablename__ = "knowledge_gaps"
    __table_args__ = (Index("ix_knowledge_gaps_key", "query_key", "language", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    query_key: Mapped[str] = mapped_column(RedactedString(200))
    query: Mapped[str] = mapped_column(RedactedString(500))
    language: Mapped[str] = mapped_column(String(8))
    count: Mapped[int]
    best_score: Mapped[float]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class KnowledgeGapEventRow(Base):
    """One time a question found no good answer, for the gaps' trend (migration 0006_insights)."""

    __tablename__ = "knowledge_gap_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    query_key: Mapped[str] = mapped_column(RedactedString(200))
    query: Mapped[str] = mapped_column(RedactedString(500))
    language: Mapped[str] = mapped_column(String(8))
    best_score: Mapped[float]
    at: Mapped[datetime] = mapped_column(index=True)


class ChangeRow(Base):
    """A change or release deployed at a known time; tickets can be tagged with it."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(RedactedString(200))
    deployed_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # Read from an ITSM tool's change calendar (None: registered by hand): its window is
    # [deployed_at, ends_at].
    source: Mapped[str | None] = mapped_column(String(64))
    upstream_id: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(200))
    ends_at: Mapped[datetime | None]
    state: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(500))


class MaintenanceAnnouncementRow(Base):
    """A planned maintenance announced to one person: once per person per maintenance."""

    __tablename__ = "maintenance_announcements"
    __table_args__ = (
        Index("ix_maintenance_announcements_notice_email", "notice_id", "email", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[datetime]


class ChannelAddressRow(Base):
    """Where a user (by e-mail) can be reached on one channel, and when they last used it."""

    __tablename__ = "channel_addresses"
    __table_args__ = (Index("ix_channel_addresses_email_channel", "email", "channel", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[dict[str, Any]] = mapped_column(JSON)  # the channel's ids: verbatim
    last_used_at: Mapped[datetime]


class UserRow(Base):
    """A person who signs in to the console or owns API tokens (migration 0005_auth)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str] = mapped_column(RedactedString(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool]
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(RedactedString(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class SessionRow(Base):
    """A console session; the cookie holds the signed id, the table its SHA-256."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # The most the session gives, whatever the user's role: `employee` for a session opened
    # from a chat link (migration 0009_sign_in_links); None: the user's role.
    role: Mapped[str | None] = mapped_column(String(16))


class SignInLinkRow(Base):
    """A one-time sign-in link the bot gave in chat; only the token's SHA-256 is stored."""

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(500))  # the page it opens, and only that one
    channel: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class AuditRow(Base):
    """Who did what to what, when: every agent and admin action."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_kind", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(255), index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(RedactedString(255))
    data: Mapped[dict[str, Any]]


class IdempotencyKeyRow(Base):
    """An `Idempotency-Key` a caller sent with a ticket write, and the response it got
    (migration 0007_idempotency_keys); written in the same transaction as the ticket."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_scope", "user_id", "route", "key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # No foreign key to users: this branch of migrations may run before 0005_auth's; a key
    # outlives its user by at most the key's lifetime.
    user_id: Mapped[int]
    route: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    # The answer as sent, made of rows stored redacted; verbatim, as a replay must match it.
    response: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class KnowledgeSourceRow(Base):
    """Where each knowledge source's sync stands (migration 0008_knowledge_sources)."""

    __tablename__ = "knowledge_sources"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The source's own opaque position (a time, a map of file hashes): machine values.
    cursor: Mapped[str | None] = mapped_column(Text)
    last_sync: Mapped[datetime | None]
    last_success: Mapped[datetime | None]
    documents: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class KnowledgeDocumentRow(Base):
    """A document synced from a knowledge source, as the index's entry (JSON). Articles of the
    organisation, not what people typed: stored verbatim. The folder source keeps only the
    hash (the folder is its own store)."""

    __tablename__ = "knowledge_documents"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    entry: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime]


class OneTimeCodeRow(Base):
    """A one-time code sent to a person (bot/self_service/codes.py): only its keyed digest,
    never the code; rows stay an hour after they are spent, to count codes per hour
    (migration 0010_self_service)."""

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_email: Mapped[str] = mapped_column(String(255), index=True)
    destination: Mapped[str] = mapped_column(String(64))  # the destination's id, not its address
    digest: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int]
    spent: Mapped[bool]  # used, replaced by a newer code, or out of tries
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]


class ResetLinkRow(Base):
    """A one-time link to the password reset page: only the keyed digest of its token
    (migration 0010_self_service)."""

    __tablename__ = "reset_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_email: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class ProblemRow(Base):
    """A problem record: the cause behind incidents, its workaround (migration 0013_problems)."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(RedactedString(200))
    description: Mapped[str] = mapped_column(RedactedText)
    status: Mapped[str] = mapped_column(String(24), index=True)
    root_cause: Mapped[str] = mapped_column(RedactedText)
    workaround_en: Mapped[str] = mapped_column(RedactedText)
    workaround_fr: Mapped[str] = mapped_column(RedactedText)
    origin: Mapped[str | None] = mapped_column(String(64))
    published: Mapped[bool]
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ProblemIncidentRow(Base):
    """An incident linked to a problem."""

    __tablename__ = "problem_incidents"
    __table_args__ = (
        Index("ix_problem_incidents_pair", "problem_id", "ticket_reference", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    ticket_reference: Mapped[str] = mapped_column(String(32), index=True)
    linked_by: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime]


class ProblemEventRow(Base):
    """The history of a problem: who changed what, when."""

    __tablename__ = "problem_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    problem_id: Mapped[int] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]


class ProblemSyncRow(Base):
    """A problem's upstream id in one ITSM tool."""

    __tablename__ = "problem_sync"
    __table_args__ = (
        Index("ix_problem_sync_backend_problem", "backend", "problem_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    backend: Mapped[str] = mapped_column(String(64))
    upstream_id: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime]


class ProblemOutboxRow(Base):
    """A problem change waiting to be delivered to an ITSM tool, like the tickets' outbox."""

    __tablename__ = "problem_outbox"
    __table_args__ = (Index("ix_problem_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    problem_id: Mapped[int] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), index=True
    )
    backend: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(RedactedText)
    created_at: Mapped[datetime]
