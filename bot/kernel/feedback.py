"""What employees did with search results, as the knowledge index reads and records it."""

from __future__ import annotations

import math
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


# A click or vote counts half as much after this many days, a quarter after twice as many:
# what helped last year may not help since the article or the tool changed.
HALF_LIFE_DAYS = 90.0


def decayed(count: float, age_days: float, half_life_days: float = HALF_LIFE_DAYS) -> float:
    """What `count` clicks or votes `age_days` old weigh today."""
    return count * math.pow(0.5, max(age_days, 0.0) / half_life_days)


@dataclass
class Signals:
    """Counts per entry group, overall and per query key, each click or vote weighed by its
    age (`decayed`): a count recorded today weighs 1."""

    clicks: dict[str, float] = field(default_factory=dict)
    helpful: dict[str, float] = field(default_factory=dict)
    unhelpful: dict[str, float] = field(default_factory=dict)
    query_clicks: dict[tuple[str, str], float] = field(default_factory=dict)
    query_votes: dict[tuple[str, str], float] = field(default_factory=dict)


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
