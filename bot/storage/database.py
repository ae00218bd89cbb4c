"""Engine, sessions and migrations for SQLite and PostgreSQL alike.

The schema's history is one chain of Alembic revisions under `migrations/versions` (0001,
0002_knowledge, ..., each revising the one before). `Database.migrate` brings a database to
its head: the service and the commands using the database call it when they start, and
`guichet db upgrade` runs it alone (before starting a new version, say). There is no
`alembic.ini`: the migrations run on the connection `migrate` hands over, so the `alembic`
command itself is not the way (`alembic_config` gives tests and tools its configuration).

Until December 2026 every feature's revision branched off 0001 and databases were upgraded to
all heads; `migrate` first rewrites such a database's record as one revision of the chain
(`_adopt_branched_history`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, String, column, event, exc, inspect, select, table
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.privacy.redact import Redactor
from bot.storage.redacted import redact_with

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x67756D69  # "gumi": the advisory lock key of schema migrations
# The revisions that branched off 0001 before the history became one chain.
BRANCHED_REVISIONS = frozenset(
    {
        "0002_knowledge",
        "0003_tickets",
        "0004_channels",
        "0005_auth",
        "0005_console",
        "0006_insights",
        "0007_idempotency_keys",
    }
)
ALEMBIC_VERSION = table("alembic_version", column("version_num", String))
# A connection back in the pool for longer than this is pinged before it is handed out again.
IDLE_PING_SECONDS = 5.0

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # A writer waits for another process's write (the CLI beside a running service) up to 15 s
    # before "database is locked": 5 s was reached on a loaded 2-core machine.
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """SQLAlchemy's `pool_pre_ping`, only for connections idle `idle_seconds` or more.

    A ping on every checkout is a round trip per session (three or four per chat message); a
    connection used a moment ago is alive. One the server dropped since (a restart) is
    replaced before it is handed out, as with `pool_pre_ping`; within `idle_seconds` of its
    last use the statement fails instead, and the pool replaces every connection older than
    the failure.
    """
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(connection: DBAPIConnection, record: ConnectionPoolEntry, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < idle_seconds:
            return  # new, or used a moment ago
        try:
            dialect.do_ping(connection)
        except Exception as error:
            if dialect.is_disconnect(error, connection, None):  # type: ignore[arg-type]
                raise exc.InvalidatePoolError(str(error)) from error  # all reconnect
            raise


class Database:
    """One async engine and its session factory. Free-text columns are stored redacted by
    `redactor` (bot/storage/redacted.py); by default, with the built-in patterns only."""

    def __init__(self, url: str, redactor: Redactor | None = None) -> None:
        self.url = url
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url)
        ping_when_idle(self.engine)
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        redact_with(self.engine.dialect, redactor or Redactor())
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Read-only work: no BEGIN and ROLLBACK round trips around it (each statement sees
        # what was committed when it runs, not one snapshot for the session).
        self.reads: AsyncEngine = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision."""
        async with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Processes starting together migrate one at a time (the lock ends with the
                # transaction); the others then find the schema up to date.
                await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            await connection.run_sync(_upgrade)

    async def revision(self) -> str | None:
        """The migration the schema is at; None before any."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def close(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection) -> Config:
    """The Alembic configuration running the migrations on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config(connection)
    _adopt_branched_history(connection, ScriptDirectory.from_config(config))
    command.upgrade(config, "head")


def _adopt_branched_history(connection: Connection, script: ScriptDirectory) -> None:
    """Record a database migrated by the branched history as the one revision of the chain
    it has reached, applying first the revisions of the chain it misses before that one.

    The branches were added in another order than their numbers (0003, 0002, 0006, 0005_auth,
    0004, 0005_console, 0007) and each release applied the ones it had: a database last
    migrated by an older release may have 0006 but not 0004, and replaying the chain from
    0003 would create 0006's tables a second time.
    """
    applied = _branched_revisions(connection)
    if applied is None:
        return
    chain = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    reached = max(chain.index(revision) for revision in applied)
    with Operations.context(MigrationContext.configure(connection)):
        for revision in chain[:reached]:
            if revision not in applied:
                log.info("applying migration %s missed by the branched history", revision)
                found = script.get_revision(revision)
                assert found is not None
                found.module.upgrade()
    connection.execute(ALEMBIC_VERSION.delete())
    connection.execute(ALEMBIC_VERSION.insert().values(version_num=chain[reached]))
    log.info("branched history %s recorded as %s", sorted(applied), chain[reached])


def _branched_revisions(connection: Connection) -> set[str] | None:
    """The revisions a database migrated by the branched history has applied; None when
    its record is one revision of the chain (or it has none)."""
    inspector = inspect(connection)
    if not inspector.has_table("alembic_version"):
        return None
    rows = set(connection.scalars(select(ALEMBIC_VERSION.c.version_num)))
    if not rows or not rows <= BRANCHED_REVISIONS:
        return None
    # Each branch revised 0001 alone: one row per branch applied, 0001 under all of them.
    if len(rows) > 1:
        return {"0001", *rows}
    # 0003_tickets was the first branch, alone until 0002_knowledge came: as one revision of
    # the chain it would mean 0002_knowledge too, whose first table tells.
    if rows == {"0003_tickets"} and not inspector.has_table("incident_notices"):
        return {"0001", "0003_tickets"}
    return None
