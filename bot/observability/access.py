"""Each HTTP request's id and its access line: a pure ASGI middleware around the whole app.

It takes the request's id (`log_context.request_id_of`), returns it in the `X-Request-ID`
response header, puts it on the request's server span when tracing is on, and makes every log
line written while the request is served carry it. When the request is done it writes one
access line (`guichet.access`, INFO): method, route template, status, duration, client address,
and the request and conversation ids. The raw path and its query string are never written: a
template (`/api/v1/tickets/{reference}`) says which route answered without what was in the URL.

It is the outermost of the app's middleware (inside Starlette's error middleware, which the
tracing middleware wraps): a 500 that error middleware makes of an unhandled error lacks the
header, but its traceback, logged by the server after this, carries the id.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.observability import log_context, spans
from bot.observability.http import METHODS, route_template
from bot.observability.log_format import ACCESS_FIELDS

log = logging.getLogger("guichet.access")
# An IPv4 or IPv6 address: with every proxy trusted ('*'), uvicorn takes the client's address
# from X-Forwarded-For as the caller wrote it.
_ADDRESS = re.compile(r"[0-9A-Fa-f:.]{2,45}")
SPAN_ATTRIBUTE = "guichet.request_id"


class RequestLog:
    def __init__(self, app: ASGIApp, *, access: bool) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = log_context.request_id_of(scope["headers"])
        status = 500  # what the client gets when the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(log_context.REQUEST_ID_HEADER, request_id)
            await send(message)

        token = log_context.enter_request(request_id, scope)
        spans.annotate(SPAN_ATTRIBUTE, request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            self._log(scope, status, started)
            # Not left: the server logs the error after this, in this request's own task (a
            # task per request, whose context ends with it), and that line belongs here too.
            raise
        self._log(scope, status, started)
        log_context.leave(token)

    def _log(self, scope: Scope, status: int, started: float) -> None:
        if not self.access or not log.isEnabledFor(logging.INFO):
            return
        method = scope["method"] if scope["method"] in METHODS else "other"
        route = route_template(scope)
        milliseconds = round((time.perf_counter() - started) * 1000, 1)
        client = scope.get("client")
        address = client[0] if client and _ADDRESS.fullmatch(client[0]) else None
        fields = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": milliseconds,
            "client": address,
        }
        # Made here rather than by `log.info`: its values are all checked or the code's own, so
        # the redaction every other record goes through (a few microseconds) has nothing to
        # find, nor has the caller's frame anything to tell (logging looks it up for each one).
        message = "%s %s %d %.1f ms"
        args = (method, route, status, milliseconds)
        record = logging.LogRecord(log.name, logging.INFO, __file__, 0, message, args, None)
        setattr(record, ACCESS_FIELDS, fields)
        log.handle(record)
