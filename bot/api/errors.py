"""The one place where Guichet's errors become HTTP responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.api.page_language import accepted_language, page_language
from bot.kernel.errors import (
    Conflict,
    Forbidden,
    GuichetError,
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    NotReady,
)
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.observability import log_context
from bot.protection.errors import PayloadTooLarge, RateLimited
from bot.scale.errors import DatabaseUnavailable

STATUS: list[tuple[type[GuichetError], int]] = [
    (NotFound, 404),
    (InvalidRequest, 400),
    (Conflict, 409),
    (NotReady, 503),
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (PayloadTooLarge, 413),
    (RateLimited, 429),
    (IdempotencyKeyReused, 422),
    (IdempotencyKeyInProgress, 409),
]


def status_for(error: GuichetError) -> int:
    return next((code for kind, code in STATUS if isinstance(error, kind)), 500)


def _auth_headers(error: GuichetError) -> dict[str, str] | None:
    """RFC 6750: a 401 names the scheme, and the error when a token was sent."""
    if not isinstance(error, NotAuthenticated):
        return None
    bearer_error = error.fields.get("bearer_error")
    suffix = f', error="{bearer_error}"' if bearer_error else ""
    return {"WWW-Authenticate": f'Bearer realm="guichet"{suffix}'}


def _console_page(request: Request, error: GuichetError) -> Response | None:
    """A browser on a console page is sent to the login page, or told it may not enter."""
    if not request.url.path.startswith("/console") or request.method not in ("GET", "HEAD"):
        return None
    if "text/html" not in request.headers.get("accept", "").lower():
        return None  # an API client (Accept: application/json, */*) keeps the JSON 401
    if isinstance(error, NotAuthenticated):
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/console/login?next={quote(back)}", 303)
    if isinstance(error, Forbidden):
        return _console_refused(request)
    return None


def _console_refused(request: Request) -> HTMLResponse:
    """An employee on the console: what it is for, and the way back, in their language."""
    services = getattr(request.app.state, "services", None)
    language = page_language(request, services) if services is not None else "en"
    heading = escape(t("The console is for the service desk", language))
    text = escape(
        t(
            "Your account is an employee account. The agent console needs an agent account: "
            "ask your IT service desk if you should have one.",
            language,
        )
    )
    back = escape(t("Back to my tickets", language))
    other = escape(t("Sign in with another account", language))
    return HTMLResponse(
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{heading}</title><link rel="stylesheet" href="/console/static/console.css">'
        f'</head><body><main id="refused"><h1>{heading}</h1><p>{text}</p>'
        f'<p><a href="/tickets">{back}</a> · <a href="/console/logout">{other}</a></p>'
        "</main></body></html>",
        status_code=403,
    )


async def _guichet_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, GuichetError)
    page = _console_page(request, error)
    if page is not None:
        return page
    return JSONResponse(
        headers=_auth_headers(error),
        status_code=status_for(error),
        content={
            "error": type(error).__name__,
            "detail": error.describe(),
            "fields": {k: str(v) for k, v in error.fields.items()},
        },
    )


INVALID_INPUT = "InvalidInput"


def _location(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """'body.impact', 'query.limit', 'path.notice_id': where the request is wrong."""
    return ".".join(str(part) for part in loc) or "body"


def _invalid_input(fields: dict[str, str]) -> Response:
    """A 422 in the one error shape, `fields` naming each place that is wrong. Rendered as ASCII
    JSON: a lone surrogate echoed from the input ("\\ud800") made a UTF-8 body fail (a 500)."""
    content = {
        "error": INVALID_INPUT,
        "detail": "; ".join(f"{where}: {problem}" for where, problem in fields.items()),
        "fields": fields,
    }
    return Response(json.dumps(content, ensure_ascii=True), 422, media_type="application/json")


def _too_long(item: Mapping[str, Any], language: Language) -> str:
    """A text over its limit, said to the person who typed it: how long it is, the limit, what
    to do (never the text itself, which pydantic's message would not echo but its input does)."""
    limit = item.get("ctx", {}).get("max_length")
    length = len(item["input"]) if isinstance(item.get("input"), str) else None
    if length is None or limit is None:
        return str(item["msg"])
    return t(
        "too long: {length} characters, the limit is {limit}; shorten it or split it",
        language,
        length=f"{length:,}".replace(",", "\u202f" if language == "fr" else ","),
        limit=f"{limit:,}".replace(",", "\u202f" if language == "fr" else ","),
    )


async def _invalid_request(request: Request, error: Exception) -> Response:
    """FastAPI's 422, in Guichet's error shape rather than FastAPI's `{"detail": [...]}`; a
    text over its limit is told in the caller's language (Accept-Language)."""
    assert isinstance(error, RequestValidationError)
    language = accepted_language(request.headers.get("accept-language", "")) or "en"
    fields: dict[str, str] = {}
    for item in error.errors():
        where, problem = _location(item["loc"]), str(item["msg"])
        if item["type"] == "json_invalid":  # its location is ("body", character position)
            where, problem = "body", f"{problem} at character {item['loc'][-1]}"
        elif item["type"] == "string_too_long":
            problem = _too_long(item, language)
        fields.setdefault(where, problem)
    return _invalid_input(fields)


async def _database_unavailable(request: Request, error: Exception) -> Response:
    """The database dropped or refused the connection (restart, failover): a 503 a client may
    retry, naming the reason, instead of a 500."""
    cause = getattr(error, "orig", None) or error
    reason = f"{type(cause).__name__}: {str(cause).strip().splitlines()[0][:200]}"
    response = await _guichet_error(request, DatabaseUnavailable(reason=reason))
    response.headers["Retry-After"] = "1"
    return response


class BodyTooLarge(HTTPException):
    """Raised by the body size limit where a route reads its body; FastAPI lets an
    HTTPException through its body parsing, where it would turn any other error into a 400."""

    def __init__(self, error: PayloadTooLarge) -> None:
        super().__init__(status_code=413, detail=error.describe())
        self.error = error


class ErrorOut(BaseModel):
    """Every error Guichet answers with: the error's name, what is wrong, and its fields."""

    error: str
    detail: str
    fields: dict[str, str]


# Documented on every route (FastAPI merges them into each operation), so that clients and the
# schemathesis fuzzing in the suite know every status the service may answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    **{
        code: {"model": ErrorOut, "description": description}
        for code, description in (
            (400, "Bad request"),
            (401, "No valid credentials"),
            (403, "Not allowed for this caller"),
            (404, "Not found"),
            (409, "Conflicts with the current state"),
            (413, "Request body too large"),
            (429, "Too many requests; see Retry-After"),
            (503, "A component is not ready; retry later"),
        )
    },
    422: {"model": ErrorOut, "description": "Invalid input: `fields` names each place"},
}


async def _http_error(_request: Request, error: Exception) -> Response:
    """Starlette's own errors (a body that is not UTF-8 JSON, an unknown path, a wrong method)
    in Guichet's shape."""
    assert isinstance(error, StarletteHTTPException)
    if isinstance(error.__cause__, UnicodeDecodeError):
        # FastAPI's 400 "There was an error parsing the body": the documented answer to a body
        # that is not UTF-8 is the 422 of any other malformed body
        return _invalid_input({"body": f"not UTF-8 ({error.__cause__.reason})"})
    if error.status_code in (204, 304):
        return Response(status_code=error.status_code, headers=error.headers)
    return JSONResponse(
        status_code=error.status_code,
        headers=error.headers,
        content={
            "error": HTTPStatus(error.status_code).phrase.title().replace(" ", ""),
            "detail": str(error.detail),
            "fields": {},
        },
    )


def error_response(error: GuichetError) -> JSONResponse:
    """The JSON answer for `error`, for ASGI middleware that runs outside the handlers."""
    return JSONResponse(
        status_code=status_for(error),
        content={
            "error": type(error).__name__,
            "detail": error.describe(),
            "fields": {k: str(v) for k, v in error.fields.items()},
        },
    )


async def _rate_limited(request: Request, error: Exception) -> Response:
    assert isinstance(error, RateLimited)
    response = await _guichet_error(request, error)
    response.headers["Retry-After"] = str(error.fields["retry_after"])
    return response


async def _key_in_progress(request: Request, error: Exception) -> Response:
    response = await _guichet_error(request, error)
    response.headers["Retry-After"] = "1"
    return response


async def _body_too_large(request: Request, error: Exception) -> Response:
    assert isinstance(error, BodyTooLarge)
    return await _guichet_error(request, error.error)


async def _unexpected(request: Request, error: Exception) -> Response:
    """A bug: a plain 500 naming the request's id, the one its log lines carry (the server then
    logs the traceback). Starlette's outermost middleware sends it, outside the one that adds
    the id to every other response."""
    context = log_context.current()
    request_id = context.request_id if context is not None else None
    detail = "An unexpected error occurred; it has been logged."
    if request_id is not None:
        detail = f"{detail} Quote request {request_id} when reporting it."
    return JSONResponse(
        status_code=500,
        content={"error": "InternalServerError", "detail": detail, "fields": {}},
        headers={log_context.REQUEST_ID_HEADER: request_id} if request_id else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.add_exception_handler(IdempotencyKeyInProgress, _key_in_progress)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(GuichetError, _guichet_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    # Every connection of the process's pool busy for 30 s: overloaded, say so.
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(RequestValidationError, _invalid_request)
