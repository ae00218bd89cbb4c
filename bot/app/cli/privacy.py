"""`guichet purge`: apply the retention setting now (the service also does it on its own)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.app.cli.common import console, settings_or_exit
from bot.privacy.retention import PurgeReport, cutoff_for, purge
from bot.storage.database import Database


def purge_command(
    days: Annotated[
        int | None,
        typer.Option(help="Overrides GUICHET_PRIVACY__RETENTION_DAYS for this run.", min=1),
    ] = None,
) -> None:
    """Delete transcripts older than the retention period; tickets keep their fields."""
    settings = settings_or_exit()
    privacy = settings.privacy
    if days is not None:
        privacy = privacy.model_copy(update={"retention_days": days})
    cutoff = cutoff_for(privacy)
    if cutoff is None:
        console.print("Retention is 0 days (keep forever): nothing to purge.")
        return

    async def run() -> PurgeReport:
        database = Database(settings.effective_database_url)
        try:
            await database.migrate()
            return await purge(database, cutoff)
        finally:
            await database.close()

    report = asyncio.run(run())
    console.print(
        f"Purged what is older than {report.cutoff:%Y-%m-%d %H:%M} UTC: {report.turns} turns, "
        f"{report.conversations} conversations, {report.notifications} notifications; "
        f"transcript copies removed from {report.ticket_transcripts} tickets and "
        f"{report.escalation_transcripts} hand-offs; {report.idempotency_keys} expired "
        "idempotency keys.",
        highlight=False,
    )
