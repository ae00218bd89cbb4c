"""Every log record is redacted, whoever logs it, arguments and tracebacks included."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.privacy.log_filter import install_log_redaction
from bot.privacy.redact import Redactor

pytestmark = pytest.mark.unit


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    install_log_redaction(Redactor({"badge": r"BADGE-\d{4}"}))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("tests.some.library")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        install_log_redaction(Redactor())


def test_message_and_arguments(output: io.StringIO) -> None:
    logging.getLogger("tests.some.library").info(
        "user %s said %r", "marie", "mon mdp : Soleil#2024, carte 4111 1111 1111 1111, BADGE-0042"
    )
    line = output.getvalue()
    assert "Soleil#2024" not in line
    assert "4111" not in line
    assert "BADGE-0042" not in line
    assert line.startswith("tests.some.library user marie said")
    assert "[REDACTED:secret]" in line
    assert "[REDACTED:card]" in line
    assert "[REDACTED:badge]" in line


def test_traceback(output: io.StringIO) -> None:
    try:
        raise RuntimeError("upstream refused Authorization: Bearer abcdef123456789")
    except RuntimeError:
        logging.getLogger("tests.some.library").exception("sync failed")
    text = output.getvalue()
    assert "Traceback" in text
    assert "RuntimeError: upstream refused" in text
    assert "abcdef123456789" not in text


def test_clean_records_are_untouched(output: io.StringIO) -> None:
    logging.getLogger("tests.some.library").info("%d tickets synced to %s", 3, "servicenow")
    assert output.getvalue() == "tests.some.library 3 tickets synced to servicenow\n"


def test_query_strings_of_access_logs(output: io.StringIO) -> None:
    logging.getLogger("tests.some.library").info(
        '%s - "%s %s HTTP/1.1" %d',
        "10.0.0.7:5123",
        "GET",
        "/api/v1/suggest?q=mon+mdp+%3A+Soleil%232024&lang=fr",
        200,
    )
    line = output.getvalue()
    assert "Soleil" not in line
    assert '"GET /api/v1/suggest?q=mon mdp : [REDACTED:secret] HTTP/1.1" 200' in line


def test_email_addresses(output: io.StringIO) -> None:
    """Logs only: stored records keep addresses, a log line never has one; a masked address
    (the self-service's `a•••@domain`) is no address and stays readable."""
    logging.getLogger("tests.some.library").warning(
        "lookup of %s failed; code sent to z•••@norvane.example; see %s",
        "zoe.martin+it@norvane.example",
        "/api/v1/users/ann%40norvane.example",
    )
    line = output.getvalue()
    assert "zoe.martin" not in line and "ann" not in line
    assert line == (
        "tests.some.library lookup of [REDACTED:email] failed; code sent to "
        "z•••@norvane.example; see /api/v1/users/[REDACTED:email]\n"
    )


def test_email_in_a_traceback(output: io.StringIO) -> None:
    try:
        raise LookupError("no directory entry for zoe.martin@norvane.example")
    except LookupError:
        logging.getLogger("tests.some.library").exception("directory lookup failed")
    assert "zoe.martin@norvane.example" not in output.getvalue()
    assert "LookupError: no directory entry for [REDACTED:email]" in output.getvalue()
