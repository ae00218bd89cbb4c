"""What an attacker (or a careless employee) puts in URLs ends up in the access log: it must
be redacted there, and the line still written."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from uvicorn.logging import AccessFormatter

from bot.privacy.log_filter import install_log_redaction
from bot.privacy.redact import Redactor
from tests.security.sqlite_only import sqlite_only  # noqa: F401  (the fixture)

pytestmark = pytest.mark.unit


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """uvicorn's access logger with uvicorn's own formatter, as `guichet serve` runs it."""
    install_log_redaction(Redactor())
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
    )
    handler.handleError = lambda record: pytest.fail(f"the formatter failed on {record.args}")  # type: ignore[method-assign]
    logger = logging.getLogger("uvicorn.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _request(path: str, status: int = 200) -> None:
    """What uvicorn's HTTP protocol logs for each request (uvicorn/protocols/http/)."""
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.7:5123", "GET", path, "1.1", status
    )


def test_a_secret_in_a_query_string_is_redacted_and_the_line_still_formatted(
    access_log: io.StringIO,
) -> None:
    """Issue 13, row 15: a redacted access line made AccessFormatter raise a TypeError (a
    99-line traceback per request), its arguments merged into the message."""
    _request("/api/v1/suggest?q=mon+mdp+%3A+Soleil%232024&lang=fr")
    _request("/widget/api/session?access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
    lines = access_log.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith('10.0.0.7:5123 - "GET /api/v1/suggest?q=mon mdp : [REDACTED')
    assert lines[0].endswith('HTTP/1.1" 200 OK')
    assert "Soleil" not in lines[0]
    assert "eyJzdWIiOiJ4In0" not in lines[1] and lines[1].endswith('" 200 OK')


def test_a_clean_access_line_is_untouched(access_log: io.StringIO) -> None:
    _request("/api/v1/suggest?q=vpn&lang=fr", 429)
    assert (
        access_log.getvalue()
        == '10.0.0.7:5123 - "GET /api/v1/suggest?q=vpn&lang=fr HTTP/1.1" 429 Too Many Requests\n'
    )
