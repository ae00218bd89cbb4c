"""Redaction of every log record of the process, whatever logger or handler emits it."""

from __future__ import annotations

import logging
import traceback
from typing import Any
from urllib.parse import unquote_plus

from bot.privacy.redact import Redactor

_active: Redactor | None = None
_original_factory = logging.getLogRecordFactory()


def _redacted(redactor: Redactor, text: str) -> str:
    redacted = redactor.redact(text)
    if "%" in text or "+" in text:
        # Access logs carry query strings: "?q=my+password+is+..." is caught once decoded.
        decoded = unquote_plus(text)
        if decoded != text and redactor.spans(decoded):
            redacted = redactor.redact(decoded)
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
        record.exc_text = redactor.redact(text)
    return record


def install_log_redaction(redactor: Redactor) -> None:
    """Redact the message (arguments merged) and traceback of every record created from now."""
    global _active
    _active = redactor
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)
