"""`guichet db upgrade`: migrate the database without starting anything else."""

from __future__ import annotations

import asyncio

import typer

from bot.app.cli.common import console, settings_or_exit
from bot.storage.database import Database

db_app = typer.Typer(help="The database's schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Bring the schema to the newest migration, as the service does when it starts."""
    settings = settings_or_exit()

    async def run() -> str | None:
        database = Database(settings.effective_database_url)
        try:
            await database.migrate()
            return await database.revision()
        finally:
            await database.close()

    console.print(f"Database schema at revision {asyncio.run(run())}.")
