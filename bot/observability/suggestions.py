"""The suggestion service, counted: every channel's omnibox goes through it (the API, the web
widget, Slack), so the count is taken here rather than in each of them."""

from __future__ import annotations

from typing import Any

from bot.observability.observer import NO_OBSERVER, Observer
from knowledge_index.index import SearchQuery
from knowledge_index.suggest import Encoded, SearchResults, SuggestionService


class ObservedSuggestions(SuggestionService):
    observer: Observer = NO_OBSERVER

    async def suggest_encoded(self, query: str, *args: Any, **kwargs: Any) -> Encoded:
        # `suggest` answers through this method: counted once either way
        found = await super().suggest_encoded(query, *args, **kwargs)
        self.observer.suggestions_served()
        if found.shown:
            self.observer.answer("suggest", answered=found.confident)
        return found

    async def search(self, query: SearchQuery, *args: Any, **kwargs: Any) -> SearchResults:
        found = await super().search(query, *args, **kwargs)
        self.observer.answer("search", answered=found.confident)
        return found
