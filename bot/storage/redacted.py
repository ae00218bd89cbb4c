"""Redaction on the storage's write path: the one place every stored text passes through.

The free-text columns of `tables.py` (transcripts, ticket fields and comments, hand-off
summaries, notifications, audit data, what people typed in the omnibox, ...) are declared with
the types below; SQLAlchemy hands every value bound to them, whatever the statement (an ORM
insert or update, `update().values()`, a `where` comparison), to `process_bind_param`, which
redacts it with the redactor of the database it goes to. Nothing reaches such a column in
clear, whichever store or route wrote it. Identifiers and machine values (e-mails, references,
hashes, statuses) are plain columns: redacting a key could make two keys one.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.privacy.redact import Redactor

_DEFAULT = Redactor()
# Each engine has a dialect object of its own: the database's redactor (with the configured
# patterns, GUICHET_PRIVACY__PATTERNS) is found through it.
_BY_DIALECT: WeakKeyDictionary[Dialect, Redactor] = WeakKeyDictionary()


def redact_with(dialect: Dialect, redactor: Redactor) -> None:
    """Values bound for the engine of `dialect` are redacted by `redactor`."""
    _BY_DIALECT[dialect] = redactor


def redactor_for(dialect: Dialect) -> Redactor:
    return _BY_DIALECT.get(dialect, _DEFAULT)


class RedactedString(TypeDecorator[str]):
    """A string column stored redacted (and cut to its length, the markers being longer than
    some of what they replace)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        redacted = redactor_for(dialect).redact(value)
        length = getattr(self.impl_instance, "length", None)
        return redacted[:length] if length and redacted != value else redacted


class RedactedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else redactor_for(dialect).redact(value)


class RedactedJSON(TypeDecorator[Any]):
    """A JSON column whose every string (keys aside) is stored redacted."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return redactor_for(dialect).redact_data(value)
