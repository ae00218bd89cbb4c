"""The one place where Guichet's errors become HTTP responses."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.errors import Conflict, GuichetError, InvalidRequest, NotFound, NotReady
from bot.scale.errors import DatabaseUnavailable

STATUS: list[tuple[type[GuichetError], int]] = [
    (NotFound, 404),
    (InvalidRequest, 400),
    (Conflict, 409),
    (NotReady, 503),
]


def status_for(error: GuichetError) -> int:
    return next((code for kind, code in STATUS if isinstance(error, kind)), 500)


async def _guichet_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, GuichetError)
    return JSONResponse(
        status_code=status_for(error),
        content={
            "error": type(error).__name__,
            "detail": error.describe(),
            "fields": {k: str(v) for k, v in error.fields.items()},
        },
    )


async def _invalid_request(_request: Request, error: Exception) -> Response:
    """FastAPI's 422, rendered as ASCII JSON: a lone surrogate echoed from the input (valid
    JSON, "\\ud800") made FastAPI's own handler fail with a 500."""
    assert isinstance(error, RequestValidationError)
    body = json.dumps({"detail": jsonable_encoder(error.errors())}, ensure_ascii=True)
    return Response(body, status_code=422, media_type="application/json")


async def _database_unavailable(request: Request, error: Exception) -> Response:
    """The database dropped or refused the connection (restart, failover): a 503 a client may
    retry, naming the reason, instead of a 500."""
    cause = getattr(error, "orig", None) or error
    reason = f"{type(cause).__name__}: {str(cause).strip().splitlines()[0][:200]}"
    response = await _guichet_error(request, DatabaseUnavailable(reason=reason))
    response.headers["Retry-After"] = "1"
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GuichetError, _guichet_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(RequestValidationError, _invalid_request)
