"""The `Idempotency-Key` request header of ticket writes (IETF draft "The Idempotency-Key HTTP
Header Field"; Stripe's convention).

A client that retries a write with the key it first sent gets the first response again, with
`Idempotent-Replayed: true`, and nothing is written twice. A key is the caller's own (user id)
and belongs to one route; it is recorded with a hash of the request and the response in the
transaction of the write (bot.storage.idempotency), and lasts
`GUICHET_TICKETS__IDEMPOTENCY_KEY_HOURS`. Only successful writes are recorded: a request that
failed wrote nothing and may be sent again with its key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.deps import ServicesDep
from bot.api.errors import ErrorOut
from bot.auth import CurrentUser
from bot.kernel.domain import utcnow
from bot.kernel.errors import IdempotencyKeyInProgress, IdempotencyKeyInvalid, IdempotencyKeyReused
from bot.kernel.ticket_models import Ticket
from bot.storage.idempotency import IdempotencyStore, KeyClaim, KeyScope, RecordedResponse
from bot.storage.tickets import WriteHook

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# The draft's form is a Structured Field string, `"key"`; Stripe's is the bare key. Both are
# accepted and name the same key.
_QUOTED = re.compile(r'"((?:[^"\\]|\\["\\])*)"')
_PRINTABLE = re.compile(r"[\x20-\x7e]+")

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=KEY_HEADER,
        description=(
            "Makes the write safe to retry: a retry with the same key and the same request gets "
            "the first response again (with `Idempotent-Replayed: true`) and writes nothing. "
            "1-255 printable ASCII characters, e.g. a UUID; the caller's own, per route, for "
            "24 hours by default. The same key with a different request: 422."
        ),
        # Documented, not enforced by FastAPI: a wrong key is a 400 that says what is wrong.
        json_schema_extra={"pattern": r"^[!-~]([ -~]{0,253}[!-~])?$"},
    ),
]


def parse_key(raw: str | None) -> str | None:
    """The key the header names, or None without the header; IdempotencyKeyInvalid if unusable."""
    if raw is None:
        return None
    key = raw.strip(" \t")
    if quoted := _QUOTED.fullmatch(key):
        key = re.sub(r"\\([\"\\])", r"\1", quoted.group(1))
    if not key:
        raise IdempotencyKeyInvalid(problem="must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyInvalid(
            problem=f"must be at most {MAX_KEY_LENGTH} characters, got {len(key)}"
        )
    if not _PRINTABLE.fullmatch(key):
        raise IdempotencyKeyInvalid(problem="must be printable ASCII characters (0x20-0x7E) only")
    return key


def fingerprint(payload: Mapping[str, object]) -> str:
    """SHA-256 of the request as JSON with sorted keys: the same request gives the same hash
    whatever the order or spacing of its fields."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


Write = Callable[[WriteHook | None], Awaitable[Ticket]]
# The route's answer for the ticket written; `session` is the write's transaction when a key
# records it, None otherwise.
Respond = Callable[[Ticket, AsyncSession | None], Awaitable[BaseModel]]


@dataclass(frozen=True)
class Written:
    # None: another request with this key wrote first, and `response` replays its answer.
    ticket: Ticket | None
    response: Response | BaseModel


def _replay(recorded: RecordedResponse) -> Response:
    return Response(
        content=recorded.body,
        status_code=recorded.status_code,
        media_type="application/json",
        headers={REPLAYED_HEADER: "true"},
    )


class IdempotentWrite:
    """One request's key: `start` replays a recorded response, `write` records a new one."""

    def __init__(
        self,
        store: IdempotencyStore | None = None,
        scope: KeyScope | None = None,
        lifetime: timedelta = timedelta(0),
    ) -> None:
        """Without `scope` (no header), requests are written as they come."""
        self.store = store
        self.scope = scope if store is not None else None
        self.lifetime = lifetime
        self._fingerprint: str | None = None

    async def start(self, **request: object) -> Response | None:
        """The response to replay if this key already wrote `request` (path parameters and
        body); IdempotencyKeyReused if the key wrote a different one."""
        if self.store is None or self.scope is None:
            return None
        self._fingerprint = fingerprint(request)
        recorded = await self.store.find(self.scope, now=utcnow())
        return None if recorded is None else self._check(recorded)

    def _check(self, recorded: RecordedResponse) -> Response:
        assert self.scope is not None
        if recorded.fingerprint != self._fingerprint:
            raise IdempotencyKeyReused(key=self.scope.key, route=self.scope.route)
        return _replay(recorded)

    async def write(self, write: Write, respond: Respond, *, status_code: int) -> Written:
        """Run `write`; with a key, record `respond`'s answer in the write's transaction."""
        if self.store is None or self.scope is None:
            ticket = await write(None)
            return Written(ticket=ticket, response=await respond(ticket, None))
        assert self._fingerprint is not None, "start() first"

        async def answer(session: AsyncSession, ticket: Ticket) -> tuple[int, str]:
            return status_code, (await respond(ticket, session)).model_dump_json()

        now = utcnow()
        claim: KeyClaim = self.store.claim(
            self.scope,
            fingerprint=self._fingerprint,
            now=now,
            expires_at=now + self.lifetime,
            respond=answer,
        )
        try:
            ticket = await write(claim)
        except IdempotencyKeyInProgress:
            # A request with this key committed while this one waited: answer as it did.
            recorded = await self.store.find(self.scope, now=utcnow())
            if recorded is None:
                raise
            return Written(ticket=None, response=self._check(recorded))
        assert claim.response is not None
        code, body = claim.response
        return Written(
            ticket=ticket,
            response=Response(content=body, status_code=code, media_type="application/json"),
        )


async def idempotent_write(
    request: Request, services: ServicesDep, caller: CurrentUser, key: IdempotencyKeyHeader = None
) -> IdempotentWrite:
    parsed = parse_key(key)
    route = getattr(request.scope.get("route"), "path", request.url.path)
    scope = (
        None
        if parsed is None
        else KeyScope(user_id=caller.user_id, route=f"{request.method} {route}", key=parsed)
    )
    lifetime = timedelta(hours=services.settings.tickets.idempotency_key_hours)
    return IdempotentWrite(IdempotencyStore(services.database), scope, lifetime)


IdempotentWriteDep = Annotated[IdempotentWrite, Depends(idempotent_write)]
# The default of a route's `IdempotentWriteDep` when other code calls the route function.
WITHOUT_KEY = IdempotentWrite()


def idempotent_responses(success: int) -> dict[int | str, dict[str, Any]]:
    """What a route taking the header documents besides the app's error responses."""
    return {
        success: {
            "headers": {
                REPLAYED_HEADER: {
                    "description": "`true` when this is the recorded response of an earlier "
                    f"request with the same {KEY_HEADER}",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            }
        },
        409: {
            "model": ErrorOut,
            "description": "Conflicts with the current state, or a request with the same "
            f"{KEY_HEADER} is in progress (retry it; see Retry-After)",
        },
        422: {
            "model": ErrorOut,
            "description": f"Validation error, or the {KEY_HEADER} was used for another request",
        },
    }
