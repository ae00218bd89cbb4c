"""The one place where Guichet's errors become HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.errors import Conflict, GuichetError, InvalidRequest, NotFound, NotReady

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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GuichetError, _guichet_error)
