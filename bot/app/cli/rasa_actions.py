"""`guichet rasa actions-domain`: the Rasa domain file of the actions Guichet serves;
`guichet rasa action-token`: the token Rasa must send to it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
import yaml

from bot.app.cli.common import console, settings_or_exit


def actions_domain(
    target: Annotated[
        Path, typer.Argument(help="File to write, beside the assistant's own domain files.")
    ] = Path("domain/guichet.yml"),
) -> None:
    """Write the slots, forms and actions a Rasa assistant needs to call Guichet's actions."""
    from bot.app.services import open_services
    from connectors.rasa_actions.bridge import RasaBridge
    from connectors.rasa_actions.domain import actions_domain as build

    settings = settings_or_exit()

    async def write() -> int:
        services = await open_services(settings)
        try:
            domain = build(RasaBridge(services))
        finally:
            await services.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(domain, sort_keys=False, allow_unicode=True))
        return len(domain["actions"])

    count = asyncio.run(write())
    console.print(
        f"Rasa domain written to {target} ({count} actions). Point `action_endpoint` of the "
        f"assistant's endpoints.yml at http://{settings.host}:{settings.port}/webhook, "
        "with the token `guichet rasa action-token` prints."
    )


def action_token() -> None:
    """Print the token Rasa sends to Guichet's action server (endpoints.yml's `token`)."""
    from connectors.rasa_actions.token import expected_token

    token = expected_token(settings_or_exit())
    if not token:
        console.print(
            "[red]GUICHET_RASA_ACTIONS__TOKEN is not set: outside development the action "
            "server is closed until it is.[/red]"
        )
        raise typer.Exit(1)
    console.print(token, markup=False, highlight=False)
