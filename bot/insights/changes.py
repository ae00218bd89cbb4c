"""Changes and releases, and the tickets that follow from them (a spike after a deployment)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.kernel.domain import utcnow
from bot.kernel.errors import Conflict, NotFound, TicketNotFound
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import ChangeRow, TicketEventRow, TicketRow

ChangeKind = Literal["change", "release"]
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")


class ChangeNotFound(NotFound):
    def __init__(self, *, reference: str) -> None:
        super().__init__(kind="change", key=reference)


class NewChange(BaseModel):
    reference: str = Field(description="e.g. CHG-2031 or portal-4.2", examples=["CHG-2031"])
    kind: ChangeKind = "change"
    title: str = Field(min_length=1, max_length=200)
    deployed_at: datetime = Field(description="when it went live (ISO 8601, with a zone)")

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str) -> str:
        if not _REFERENCE.match(value):
            raise ValueError("1-64 letters, digits and . _ : / -, starting with a letter or digit")
        return value

    @field_validator("deployed_at")
    @classmethod
    def _zoned(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-11-05T08:00:00Z")
        return value.astimezone(UTC)


class Change(NewChange):
    id: int
    created_by: str
    created_at: datetime


def _change(row: ChangeRow) -> Change:
    return Change(
        id=row.id,
        reference=row.reference,
        kind=row.kind,
        title=row.title,
        deployed_at=as_utc(row.deployed_at),
        created_by=row.created_by,
        created_at=as_utc(row.created_at),
    )


class ChangeStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def register(self, new: NewChange, *, actor: str) -> Change:
        try:
            async with self._sessions.begin() as session:
                row = ChangeRow(**new.model_dump(), created_by=actor, created_at=utcnow())
                session.add(row)
                await session.flush()
                return _change(row)
        except IntegrityError as exc:
            raise Conflict(
                reference=new.reference,
                problem="is already registered",
                allowed="another reference",
            ) from exc

    async def get(self, reference: str) -> Change:
        async with self._sessions() as session:
            row = await session.scalar(select(ChangeRow).where(ChangeRow.reference == reference))
        if row is None:
            raise ChangeNotFound(reference=reference)
        return _change(row)

    async def recent(self, *, limit: int = 100) -> list[Change]:
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(ChangeRow).order_by(ChangeRow.deployed_at.desc()).limit(limit)
                )
            ).all()
        return [_change(row) for row in rows]

    async def tag(self, ticket_reference: str, change: str | None, *, actor: str) -> str:
        """Tag a ticket with a registered change (None removes the tag); the history says who."""
        if change is not None:
            change = (await self.get(change)).reference
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(TicketRow)
                .where(TicketRow.reference == ticket_reference.upper())
                .with_for_update()
            )
            if row is None:
                raise TicketNotFound(reference=ticket_reference)
            if row.change_ref != change:
                session.add(
                    TicketEventRow(
                        ticket_id=row.id,
                        at=utcnow(),
                        actor=actor,
                        kind="update",
                        data={"change_ref": {"from": row.change_ref, "to": change}},
                    )
                )
                row.change_ref = change
            return row.reference or ticket_reference

    async def tickets_of(self, reference: str) -> list[str]:
        async with self._sessions() as session:
            found = (
                await session.scalars(
                    select(TicketRow.reference)
                    .where(TicketRow.change_ref == reference)
                    .order_by(TicketRow.id)
                )
            ).all()
        return [ref for ref in found if ref]
