"""What employees did with search results, as the knowledge index reads and records it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel


class Gap(BaseModel):
    query: str
    language: str
    count: int
    best_score: float
    first_seen: datetime
    last_seen: datetime


@dataclass
class Signals:
    """Counts per entry group, overall and per query key."""

    clicks: dict[str, int] = field(default_factory=dict)
    helpful: dict[str, int] = field(default_factory=dict)
    unhelpful: dict[str, int] = field(default_factory=dict)
    query_clicks: dict[tuple[str, str], int] = field(default_factory=dict)
    query_votes: dict[tuple[str, str], int] = field(default_factory=dict)


class SearchFeedback(Protocol):
    """Clicks, votes and unanswered questions (the core's feedback store).

    Query keys are the folded words of a query; `group` names an entry and its translations.
    """

    async def signals(self) -> Signals:
        """The counts the ranking uses, possibly a few seconds old."""
        ...

    async def record_click(
        self, *, query_key: str, language: str, group: str, entry_type: str, position: int
    ) -> None: ...

    async def record_vote(
        self,
        *,
        query_key: str,
        language: str,
        group: str,
        helpful: bool,
        conversation_id: str | None = None,
    ) -> None: ...

    async def record_gap(
        self, *, query_key: str, query: str, language: str, best_score: float
    ) -> None:
        """Count a question nothing answered well."""
        ...
