"""One linear migration history, and databases migrated by the branched history before it."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from bot.storage.conversations import ConversationStore
from bot.storage.database import BRANCHED_REVISIONS, MIGRATIONS_DIR, Database, alembic_config
from bot.storage.tables import Base

pytestmark = pytest.mark.unit

# The branches in the order they were added (git history of migrations/versions).
ADDED = [
    "0003_tickets",
    "0002_knowledge",
    "0006_insights",
    "0005_auth",
    "0004_channels",
    "0005_console",
    "0007_idempotency_keys",
]
BRANCHED_STATES = {
    "every-branch": ADDED,
    "before-idempotency-keys": ADDED[:6],
    "0006-without-0004": ADDED[:4],
    "first-branch-alone": ADDED[:1],
}


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """Migrations start from a database without any table (not the suite's migrated copy)."""
    return empty_database_url


def _chain() -> list[str]:
    return [
        r.revision for r in reversed(list(ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()))
    ]


def test_the_history_is_one_chain_in_the_order_of_the_numbers() -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    revisions = list(reversed(list(script.walk_revisions())))
    chain = [r.revision for r in revisions]
    assert script.get_bases() == ["0001"] and script.get_heads() == [chain[-1]]
    assert [r.down_revision for r in revisions] == [None, *chain[:-1]]
    assert chain == sorted(chain)
    assert chain[: len(BRANCHED_REVISIONS) + 1] == ["0001", *sorted(BRANCHED_REVISIONS)]


async def test_upgrade_head_downgrade_base_and_upgrade_head_again(database_url: str) -> None:
    database = Database(database_url)
    try:
        await database.migrate()
        assert await _versions(database) == {_chain()[-1]}
        assert await _schema(database) == _expected_schema()
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
        assert await _schema(database) == {"alembic_version": {"version_num"}}
        assert await _versions(database) == set()
        await database.migrate()
        assert await _versions(database) == {_chain()[-1]}
        assert await _schema(database) == _expected_schema()
    finally:
        await database.close()


@pytest.mark.parametrize("branches", BRANCHED_STATES.values(), ids=BRANCHED_STATES.keys())
async def test_a_database_migrated_by_the_branched_history_upgrades_to_the_head(
    database_url: str, tmp_path: Path, branches: list[str]
) -> None:
    old_history = _branched_history(tmp_path / "old-migrations", branches)
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_upgrade_all_heads(old_history))
        assert await _versions(database) == set(branches)  # one row per branch
        kept = await ConversationStore(database).create(channel="rest", user_id="u", language="fr")

        await database.migrate()
        assert await _versions(database) == {_chain()[-1]}
        assert await _schema(database) == _expected_schema()
        assert (await ConversationStore(database).get(kept.id)).user_id == "u"
        await database.migrate()
        assert await _versions(database) == {_chain()[-1]}
    finally:
        await database.close()


async def test_operators_migrate_with_guichet_db_upgrade(database_url: str, tmp_path: Path) -> None:
    database = Database(database_url)
    try:
        old_history = _branched_history(tmp_path / "old-migrations", ADDED)
        async with database.engine.begin() as connection:
            await connection.run_sync(_upgrade_all_heads(old_history))
        environment = {
            **os.environ,
            "GUICHET_DATA_DIR": str(tmp_path),
            "GUICHET_DATABASE_URL": database_url,
        }
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot.app.cli", "db", "upgrade"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert f"Database schema at revision {_chain()[-1]}." in done.stdout
        assert await _versions(database) == {_chain()[-1]}
        assert await database.revision() == _chain()[-1]
    finally:
        await database.close()


def _branched_history(folder: Path, branches: Sequence[str]) -> Path:
    """The migrations as a release before the chain had them: `branches` each off 0001."""
    shutil.copytree(MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (folder / "versions").glob("0*.py"):
        source = path.read_text()
        found = re.search(r'^revision = "(.+)"$', source, flags=re.MULTILINE)
        assert found is not None, path
        if found[1] == "0001":
            continue
        if found[1] not in branches:
            path.unlink()
            continue
        off_0001 = re.sub(r"^down_revision = .*$", 'down_revision = "0001"', source, flags=re.M)
        path.write_text(off_0001)
    return folder


def _upgrade_all_heads(script_location: Path) -> Callable[[Connection], None]:
    """What `Database.migrate` did with the branched history."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config(connection)
        config.set_main_option("script_location", str(script_location))
        command.upgrade(config, "heads")

    return upgrade


async def _versions(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
        return {row[0] for row in rows}


async def _schema(database: Database) -> dict[str, set[str]]:
    def read(connection: Connection) -> dict[str, set[str]]:
        inspector = inspect(connection)
        return {
            name: {c["name"] for c in inspector.get_columns(name)}
            for name in inspector.get_table_names()
        }

    async with database.engine.connect() as connection:
        return await connection.run_sync(read)


def _expected_schema() -> dict[str, set[str]]:
    tables = {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
    return {**tables, "alembic_version": {"version_num"}}
