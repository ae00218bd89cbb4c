"""Redaction of every log record of the process, whatever logger or handler emits it.

Besides what the redactor finds everywhere (privacy/redact.py), e-mail addresses are taken out
of log lines: stored records keep them (tickets need their requester), logs have no need of
them and are kept and shipped with fewer precautions. A masked one (`a•••@example.org`, as the
self-service logs a code's destination) is left as it is.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any
from urllib.parse import unquote_plus

from bot.privacy.redact import Redactor, marker

_active: Redactor | None = None
_original_factory = logging.getLogRecordFactory()


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_EMAIL_MARKER = marker("email")


def _clean(redactor: Redactor, text: str) -> str:
    redacted = redactor.redact(text)
    return _EMAIL.sub(_EMAIL_MARKER, redacted) if "@" in redacted else redacted


def _redacted(redactor: Redactor, text: str) -> str:
    redacted = _clean(redactor, text)
    if "%" in redacted or "+" in redacted:
        # URLs carry query strings: "?q=my+password+is+..." is caught once decoded (what was
        # found before decoding is out already: "a+b@example.org" is one address, not "a b@").
        decoded = unquote_plus(redacted)
        if decoded != redacted:
            cleaned = _clean(redactor, decoded)
            if cleaned != decoded:
                redacted = cleaned
    return redacted


def _redacted_args(redactor: Redactor, record: logging.LogRecord) -> bool:
    """Redact each string argument in place, keeping the arguments' number and types: some
    formatters read them (uvicorn's AccessFormatter unpacks five of them, and raised a
    TypeError on each access line when they were merged into the message). False when the
    message still holds a secret once formatted (one split across arguments)."""
    if not isinstance(record.args, tuple) or not isinstance(record.msg, str):
        return False
    args = tuple(_redacted(redactor, a) if isinstance(a, str) else a for a in record.args)
    try:
        message = record.msg % args
    except (TypeError, ValueError):
        return False
    if _redacted(redactor, message) != message:
        return False
    record.args = args
    return True


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _original_factory(*args, **kwargs)
    redactor = _active
    if redactor is None:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler to report
        return record
    redacted = _redacted(redactor, message)
    if redacted != message and not _redacted_args(redactor, record):
        record.msg, record.args = redacted, None
    if record.exc_info and record.exc_info[1] is not None:
        # Formatters print exc_text when set: the traceback, exception message included.
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = _clean(redactor, text)
    return record


def install_log_redaction(redactor: Redactor) -> None:
    """Redact the message (arguments merged) and traceback of every record created from now."""
    global _active
    _active = redactor
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)
