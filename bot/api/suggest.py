"""Omnibox suggestions as you type, full search, and what users did with the results.

Public, for the omnibox and the widget of anonymous visitors: suggestions, search, clicks and
"was this helpful?" votes (the knowledge base only; a vote or a click only nudges ranking, and
the rate limits apply per IP). The gap report is for agents.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import ServicesDep
from bot.auth import AgentUser, MaybeUser
from bot.kernel.errors import NotFound
from bot.kernel.feedback import Gap
from bot.kernel.formats import is_zone
from bot.kernel.language import Language
from knowledge_index.documents import EntryType
from knowledge_index.feedback import record_answer_vote
from knowledge_index.index import SearchQuery
from knowledge_index.suggest import (
    MAX_SEARCH_CHARACTERS,
    MAX_SUGGEST_CHARACTERS,
    SearchResults,
    Suggestions,
    SuggestionService,
)

router = APIRouter(prefix="/api/v1", tags=["search"])


async def get_suggestions(services: ServicesDep) -> SuggestionService:
    return services.suggestions


SuggestionsDep = Annotated[SuggestionService, Depends(get_suggestions)]


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_SEARCH_CHARACTERS)
    language: Language | None = Field(None, description="of the answers; default: the service's")
    limit: int = Field(10, ge=1, le=50)
    types: list[EntryType] | None = Field(None, description="only these kinds of entries")


class Click(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(max_length=MAX_SEARCH_CHARACTERS, description="what had been typed")
    language: Language
    group: str = Field(min_length=1, max_length=200, description="the suggestion's group")
    type: str = Field(min_length=1, max_length=32)
    position: int = Field(ge=0, le=100, description="0 for the first suggestion")


class AnswerVote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_SEARCH_CHARACTERS)
    entry_id: str = Field(min_length=1, max_length=200, description="the result's id")
    helpful: bool
    conversation_id: str | None = Field(None, max_length=36)


@router.get("/suggest", response_model=Suggestions)
async def suggest(
    services: ServicesDep,
    user: MaybeUser,
    q: Annotated[str, Query(max_length=MAX_SUGGEST_CHARACTERS, description="what is typed")] = "",
    lang: Annotated[Language | None, Query(description="en or fr")] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
    tz: Annotated[
        str, Query(max_length=64, description="the reader's IANA zone, for maintenance times")
    ] = "",
) -> Response:
    """Suggestions from the second character: notices, actions, catalog, procedures, known
    errors; always ending with "create a ticket with this text" and "chat with an agent".
    Entries restricted to some groups come only to their members (and to agents)."""
    # The service's bytes as they are (a model's JSON, kept in its cache): FastAPI would
    # validate the model again and encode it at every keystroke.
    found = await services.suggestions.suggest_encoded(
        q,
        language=lang or services.settings.default_language,
        limit=limit,
        reader=await services.readers.of(user),
        zone=tz if is_zone(tz) else None,
    )
    return Response(found.body, media_type="application/json")


@router.post("/search", response_model=SearchResults)
async def search(
    body: SearchRequest, services: ServicesDep, suggestions: SuggestionsDep, user: MaybeUser
) -> SearchResults:
    """Full results for a query; `confident` tells whether the best one answers it."""
    return await suggestions.search(
        SearchQuery(
            body.query,
            body.language or services.settings.default_language,
            limit=body.limit,
            types=body.types,
            reader=await services.readers.of(user),
        )
    )


@router.post("/suggest/clicks", status_code=204)
async def click(body: Click, suggestions: SuggestionsDep) -> Response:
    """The user chose a suggestion: it will rank higher for what they typed."""
    await suggestions.click(
        query=body.query,
        language=body.language,
        group=body.group,
        entry_type=body.type,
        position=body.position,
    )
    return Response(status_code=204)


@router.post("/search/feedback", status_code=204)
async def answer_feedback(body: AnswerVote, services: ServicesDep) -> Response:
    """ "Was this helpful?": yes raises the answer for this question, no lowers it."""
    index = services.knowledge.index
    if index is None or index.by_id(body.entry_id) is None:
        raise NotFound(kind="entry", key=body.entry_id)
    await record_answer_vote(
        services.engine.knowledge,
        query=body.query,
        entry_id=body.entry_id,
        helpful=body.helpful,
        conversation_id=body.conversation_id,
    )
    return Response(status_code=204)


@router.get("/search/gaps", response_model=list[Gap])
async def knowledge_gaps(
    services: ServicesDep, _agent: AgentUser, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[Gap]:
    """Questions the knowledge base answered badly, most asked first (the gap report)."""
    return await services.feedback.gaps(limit=limit)
