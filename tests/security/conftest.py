"""The attacks of the outside probe (issue 13), one module per surface, against the real app
(SQLite and PostgreSQL): the app and its clients come from the API tests."""

from __future__ import annotations

from tests.bot.api.conftest import anonymous, app, client, client_for

__all__ = ["anonymous", "app", "client", "client_for"]
