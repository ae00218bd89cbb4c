"""For a module that tests input handling, not the database: SQLite only."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(name="database_url")
def sqlite_only(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}"
