"""The hook the core reports its events through; by default it does nothing.

The dialogue engine, the ticket service, the sync worker and the suggestion service each hold
one (`observer`); the composition root hands them the same `PrometheusObserver`. Each method is
called once per event, on the request's path: an implementation must stay a counter increment.
"""

from __future__ import annotations

from typing import Literal

# Where an answer-or-"not sure" verdict was given: the chat, the omnibox, the search page.
AnswerSource = Literal["chat", "suggest", "search"]


class Observer:
    """Every event, ignored. Subclasses count them."""

    def request(self, route: str, method: str, status_class: str, seconds: float) -> None:
        """An HTTP request answered, by route template (`/api/v1/tickets/{reference}`)."""

    def message(self, channel: str) -> None:
        """A user's message reached the dialogue engine from `channel` (web, slack, api...)."""

    def answer(self, source: AnswerSource, *, answered: bool) -> None:
        """The knowledge base answered (`answered`) or was not sure (an abstention)."""

    def suggestions_served(self) -> None:
        """One omnibox request answered with suggestions."""

    def handoff(self, reason: str) -> None:
        """A conversation was handed to the agents (`user_request`, `frustration`...)."""

    def ticket_created(self, category: str, priority: str) -> None:
        """A ticket was stored (and queued for the ITSM backends)."""

    def sync_error(self, backend: str, operation: str) -> None:
        """A push to (`create`, `status`, `comment`) or a poll of (`poll`) a backend failed."""


NO_OBSERVER = Observer()
