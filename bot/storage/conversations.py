"""Persisted conversations: header, dialogue state and the full transcript."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update

from bot.kernel.domain import Conversation, DialogueState, Turn, utcnow
from bot.kernel.errors import ConversationNotFound
from bot.kernel.language import Language
from bot.privacy.redact import Redactor
from bot.storage.database import Database
from bot.storage.redacted import redactor_for
from bot.storage.tables import ConversationRow, TurnRow

# A message's statements, built once: building one and computing its cache key cost more
# CPU than SQLAlchemy's and psycopg's work to run it.
_HEADER = select(
    ConversationRow.channel,
    ConversationRow.user_id,
    ConversationRow.language,
    ConversationRow.language_locked,
    ConversationRow.state,
    ConversationRow.created_at,
    ConversationRow.updated_at,
).where(ConversationRow.id == bindparam("conversation_id"))
_TURNS = (
    select(TurnRow.role, TurnRow.text, TurnRow.data, TurnRow.at)
    .where(TurnRow.conversation_id == bindparam("conversation_id"))
    .order_by(TurnRow.seq)
)
_SAVE_HEADER = (
    update(ConversationRow)
    .where(ConversationRow.id == bindparam("conversation_id"))
    .values(
        language=bindparam("new_language"),
        language_locked=bindparam("new_language_locked"),
        state=bindparam("new_state"),
        updated_at=bindparam("new_updated_at"),
    )
)
# Each turn takes the number after the last one stored, read by the same statement: a
# statement of a transaction sees the rows its earlier statements inserted, and the header's
# update above holds the row lock that orders savers of one conversation.
_NEXT_SEQ = (
    select(func.coalesce(func.max(TurnRow.seq), 0) + 1)
    .where(TurnRow.conversation_id == bindparam("conversation_id"))
    .scalar_subquery()
)
_ADD_TURN = insert(TurnRow).values(
    conversation_id=bindparam("conversation_id"),
    seq=_NEXT_SEQ,
    role=bindparam("turn_role"),
    text=bindparam("turn_text"),
    data=bindparam("turn_data"),
    at=bindparam("turn_at"),
)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored moment is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ConversationStore:
    def __init__(self, database: Database, redactor: Redactor | None = None) -> None:
        self._sessions = database.sessions
        # A message reads and saves its conversation with plain statements on a connection:
        # the ORM's session, identity map and flush cost more CPU than the statements.
        self._engine = database.engine
        self._reads = database.reads
        # Turns and slots are stored with secrets, cards and IBANs redacted.
        self.redactor = redactor or Redactor()

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)

    async def create(
        self, *, channel: str, user_id: str, language: Language, language_locked: bool = False
    ) -> Conversation:
        now = utcnow()
        conversation = Conversation(
            id=str(uuid.uuid4()),
            channel=channel,
            user_id=user_id,
            language=language,
            language_locked=language_locked,
            created_at=now,
            updated_at=now,
        )
        async with self._sessions.begin() as session:
            session.add(
                ConversationRow(
                    id=conversation.id,
                    channel=channel,
                    user_id=user_id,
                    language=language,
                    language_locked=language_locked,
                    state=conversation.state.model_dump(mode="json"),
                    created_at=now,
                    updated_at=now,
                )
            )
        return conversation

    async def get(self, conversation_id: str) -> Conversation:
        # Under the conversation's lock when a message is handled: nothing to isolate from.
        key = {"conversation_id": conversation_id}
        async with self._reads.connect() as connection:
            row = (await connection.execute(_HEADER, key)).first()
            if row is None:
                raise ConversationNotFound(conversation_id=conversation_id)
            turns = (await connection.execute(_TURNS, key)).all()
        return Conversation(
            id=conversation_id,
            channel=row.channel,
            user_id=row.user_id,
            language=row.language,
            language_locked=row.language_locked,
            state=DialogueState.model_validate(row.state),
            transcript=[
                Turn.model_validate({**t.data, "role": t.role, "text": t.text, "at": as_utc(t.at)})
                for t in turns
            ],
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )

    async def owner(self, conversation_id: str) -> str:
        """Whose conversation it is, without reading its transcript."""
        owner: str = (await self._header(conversation_id, ConversationRow.user_id)).user_id
        return owner

    async def language(self, conversation_id: str) -> Language:
        """The conversation's current language, without reading its transcript."""
        language: Language = (
            await self._header(conversation_id, ConversationRow.language)
        ).language
        return language

    async def _header(self, conversation_id: str, *columns: Any) -> Row[Any]:
        async with self._sessions() as session:
            found = (
                await session.execute(select(*columns).where(ConversationRow.id == conversation_id))
            ).first()
        if found is None:
            raise ConversationNotFound(conversation_id=conversation_id)
        return found

    async def latest_for_user(self, *, channel: str, user_id: str) -> Conversation | None:
        async with self._sessions() as session:
            conversation_id = await session.scalar(
                select(ConversationRow.id)
                .where(ConversationRow.channel == channel, ConversationRow.user_id == user_id)
                .order_by(ConversationRow.updated_at.desc())
                .limit(1)
            )
        return await self.get(conversation_id) if conversation_id else None

    async def save(self, conversation: Conversation, new_turns: list[Turn]) -> None:
        """Store the new turns and the updated header and state, all or nothing."""
        conversation.updated_at = utcnow()
        # The free-text columns redact what they are given with the database's redactor; a
        # store given a redactor of its own applies it first.
        redact = self.redactor is not redactor_for(self._engine.dialect)
        state = conversation.state.model_dump(mode="json")
        async with self._engine.begin() as connection:
            # The update locks the row, as SELECT ... FOR UPDATE did, in one round trip less:
            # savers of one conversation take their turn numbers one after the other.
            updated = await connection.execute(
                _SAVE_HEADER,
                {
                    "conversation_id": conversation.id,
                    "new_language": conversation.language,
                    "new_language_locked": conversation.language_locked,
                    "new_state": self.redactor.redact_data(state) if redact else state,
                    "new_updated_at": conversation.updated_at,
                },
            )
            if not updated.rowcount:
                raise ConversationNotFound(conversation_id=conversation.id)
            if not new_turns:
                return
            rows = []
            for turn in new_turns:
                data = turn.model_dump(
                    mode="json", exclude={"role", "text", "at"}, exclude_defaults=True
                )
                rows.append(
                    {
                        "conversation_id": conversation.id,
                        "turn_role": turn.role,
                        "turn_text": self.redactor.redact(turn.text) if redact else turn.text,
                        "turn_data": self.redactor.redact_data(data) if redact else data,
                        "turn_at": turn.at,
                    }
                )
            # One statement per turn, in order (executemany: one round trip), each numbering
            # its turn after the ones before.
            await connection.execute(_ADD_TURN, rows)
