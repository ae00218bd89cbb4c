"""The service's log lines: one JSON object per line (`GUICHET_LOG__FORMAT=json`, the default
outside development) or one readable line (`text`), for Guichet's records, the libraries' and
uvicorn's alike, each with the request and conversation it belongs to (`log_context`).

Every record is redacted where it is made, before any handler sees it (privacy/log_filter.py):
a formatter only lays out what is already clean, and adds no field a caller could fill in but
the access line's, whose values are checked where they are made (`access.py`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from bot.observability.log_context import current
from bot.privacy.log_filter import install_log_redaction
from bot.privacy.redact import Redactor
from bot.settings import Settings

ACCESS_FIELDS = "access"  # the attribute of an access record holding its fields (a dict)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def utc_timestamp(record: logging.LogRecord) -> str:
    """When the record was made, in ISO 8601 UTC to the millisecond: `2026-12-04T21:57:03.120Z`."""
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


def context_fields() -> dict[str, str]:
    """The request and the conversation the line belongs to, when it belongs to one."""
    context = current()
    if context is None:
        return {}
    fields = {}
    if context.request_id is not None:
        fields["request_id"] = context.request_id
    conversation = context.conversation()
    if conversation is not None:
        fields["conversation_id"] = conversation
    return fields


def access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """An access line's own fields (method, route, status, ...); none for other records."""
    fields = getattr(record, ACCESS_FIELDS, None)
    return fields if isinstance(fields, dict) else {}


class JsonLines(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"?, "conversation_id"?, ...}`;
    a traceback is in `exception` (a newline is `\\n` there: the record stays one line)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": utc_timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **context_fields(),
            **access_fields(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


class TextLines(logging.Formatter):
    """`TIME LEVEL logger: message [request_id=... conversation_id=...]`, for a terminal (an
    access line's message says its method, route, status and duration; its client is added)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        line = super().formatMessage(record)
        fields: dict[str, Any] = context_fields()
        client = access_fields(record).get("client")
        if client is not None:
            fields["client"] = client
        if not fields:
            return line
        return f"{line} [{' '.join(f'{name}={value}' for name, value in fields.items())}]"


def formatter(settings: Settings) -> logging.Formatter:
    return JsonLines() if settings.log_format == "json" else TextLines()


def configure_logging(settings: Settings) -> None:
    """Every record of the process (Guichet's, the libraries', uvicorn's) redacted and written
    to stderr by one handler in the chosen format; uvicorn's loggers lose their own handlers
    (run uvicorn with `log_config=None` so that it does not put them back)."""
    install_log_redaction(Redactor(settings.privacy.patterns))
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(settings))
    root = logging.getLogger()
    for previous in list(root.handlers):
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
