"""What a log line says about the work it belongs to: the id of the HTTP request it was written
for and the conversation it concerns, held in a context variable, so that every line written
while a request is served (by Guichet or a library, in the tasks the request starts) carries
them without being passed anything.

A request's id is the caller's `X-Request-ID` when it is a short token of safe characters
(a load balancer's or a proxy's, so that their logs and Guichet's meet), else a new one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

from starlette.types import Scope

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID = 128
_HEADER = REQUEST_ID_HEADER.lower().encode()
# Letters, digits and `._:-`: nothing a log reader or a header could take for something else.
_REQUEST_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_REQUEST_ID - 1}}}")
# Conversations are created with a UUID (storage/conversations.py); a path segment of another
# shape is no conversation, and may be anything the caller typed there.
_CONVERSATION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(slots=True)
class LogContext:
    request_id: str | None = None
    # The request's ASGI scope: the router puts the path parameters in it once it matched.
    scope: Scope | None = None
    conversation_id: str | None = None

    def conversation(self) -> str | None:
        """The conversation a dialogue turn named, else the request path's `conversation_id`."""
        if self.conversation_id is not None or self.scope is None:
            return self.conversation_id
        found = self.scope.get("path_params", {}).get("conversation_id")
        return found if isinstance(found, str) and _CONVERSATION_ID.fullmatch(found) else None


_current: ContextVar[LogContext | None] = ContextVar("guichet_log_context", default=None)


def current() -> LogContext | None:
    return _current.get()


def request_id_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's `X-Request-ID` when it is valid, else a new id (32 hexadecimal digits)."""
    for name, value in headers:
        if name == _HEADER:
            given = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(given):
                return given
            break
    return secrets.token_hex(16)


def enter_request(request_id: str, scope: Scope) -> Token[LogContext | None]:
    """From now on in this context, log lines belong to this request (`leave` ends it)."""
    return _current.set(LogContext(request_id, scope))


def leave(token: Token[LogContext | None]) -> None:
    _current.reset(token)


@contextmanager
def conversation(conversation_id: str) -> Iterator[None]:
    """Log lines written inside belong to this conversation; during a request, the rest of the
    request's lines too (its access line among them)."""
    valid = conversation_id if _CONVERSATION_ID.fullmatch(conversation_id) else None
    context = _current.get()
    if context is not None and context.request_id is not None:
        context.conversation_id = valid
        yield
        return
    token = _current.set(LogContext(conversation_id=valid))
    try:
        yield
    finally:
        _current.reset(token)
