"""What the ITSM tools' knowledge sources share: one HTTP call that turns every failure into
`SourceUnavailable`, the audience "agents only", and languages from the tools' locale codes."""

from __future__ import annotations

from typing import Any

import httpx

from bot.kernel.language import LANGUAGES, Language
from knowledge_index.sources.protocol import SourceUnavailable

# An article whose readers Guichet cannot name as directory groups (a role, a user, a
# scripted criterion, an internal answer) goes to agents only: no directory group bears this
# name, and agents read every entry.
AGENTS_ONLY = ("guichet:agents-only",)


def language_of(code: str | None) -> Language | None:
    """ "fr", "fr_FR", "fr-ca" → "fr"; a language Guichet does not speak → None."""
    prefix = (code or "").replace("_", "-").split("-")[0].casefold()
    return next((language for language in LANGUAGES if language == prefix), None)


async def request(
    client: httpx.AsyncClient,
    source: str,
    method: str,
    path: str,
    *,
    refused: str,
    **kwargs: Any,
) -> httpx.Response:
    """`method path`, its answer when below 400; `SourceUnavailable` otherwise, saying
    `refused` (what to check) on 401/403."""
    try:
        answer = await client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise SourceUnavailable(
            source=source, problem=f"{client.base_url} unreachable: {exc!r}"
        ) from exc
    if answer.status_code in {401, 403}:
        raise SourceUnavailable(
            source=source, problem=f"{path} refused ({answer.status_code}): {refused}"
        )
    if answer.status_code >= 400:
        raise SourceUnavailable(
            source=source, problem=f"{method} {path}: HTTP {answer.status_code}"
        )
    return answer


def json_of(answer: httpx.Response, source: str) -> Any:
    try:
        return answer.json()
    except ValueError as exc:
        raise SourceUnavailable(source=source, problem=f"{answer.url.path}: not JSON") from exc
