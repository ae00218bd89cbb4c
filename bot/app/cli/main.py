"""The `guichet` command: serve, build the index, train, chat in the terminal, check set-up."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from bot.app.cli import accounts as auth_cli
from bot.app.cli import db as storage_cli
from bot.app.cli import index as knowledge_cli
from bot.app.cli import nlu as nlu_cli
from bot.app.cli import nlu_eval
from bot.app.cli import privacy as privacy_cli
from bot.app.cli import rasa_actions as rasa_actions_cli
from bot.app.cli.common import console, progress_bar, settings_or_exit
from bot.kernel.errors import GuichetError
from bot.kernel.language import Language
from bot.settings import Settings, load_settings

app = typer.Typer(
    help="Guichet, the bilingual IT-support assistant.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(knowledge_cli.index_app, name="index")
eval_app = typer.Typer(help="Measure quality on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
eval_app.command("search")(knowledge_cli.eval_search)
eval_app.command("nlu")(nlu_eval.eval_nlu)
nlu_cli.rasa_app.command("actions-domain")(rasa_actions_cli.actions_domain)
nlu_cli.rasa_app.command("action-token")(rasa_actions_cli.action_token)
app.add_typer(nlu_cli.rasa_app, name="rasa")
app.add_typer(auth_cli.token_app, name="token")
app.add_typer(auth_cli.user_app, name="user")
app.command("purge")(privacy_cli.purge_command)
app.add_typer(storage_cli.db_app, name="db")


def main() -> None:
    """Entry point: Guichet's own errors end the command with their message, not a traceback."""
    try:
        app()
    except GuichetError as exc:
        console.print(f"[red]Error:[/red] {exc}", markup=True, highlight=False)
        raise SystemExit(1) from exc


# Open event streams (widget, console) would otherwise hold a stopping server until they end.
GRACEFUL_SHUTDOWN_SECONDS = 3


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Overrides GUICHET_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides GUICHET_PORT.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes behind the port (PostgreSQL, Redis).")
    ] = 1,
) -> None:
    """Start the HTTP service."""
    settings = settings_or_exit()  # before the service's imports: a wrong setting stops at once
    import uvicorn

    from bot.app import serve as scaled
    from bot.app.web import create_app
    from bot.observability.log_format import configure_logging

    configure_logging(settings)
    if workers > 1:
        scaled.prepare()
        scaled.share_metrics(settings)
        uvicorn.run(
            "bot.app.serve:app",
            factory=True,
            workers=workers,
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level.lower(),
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            **scaled.proxy_options(settings),
            **scaled.UVICORN_LOGGING,
        )
        return
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **scaled.proxy_options(settings),
        **scaled.UVICORN_LOGGING,
    )


@app.command()
def train(
    force: Annotated[bool, typer.Option(help="Retrain even if up to date.")] = False,
) -> None:
    """Train the intent model from the NLU data files."""
    from knowledge_index.embedders import load_embedder
    from nlu.data import load_training_data
    from nlu.embedded import load_or_train
    from nlu.validation import check_training_data

    settings = settings_or_exit()
    data = load_training_data(settings.nlu.data_dir)
    check_training_data(data, settings.nlu.min_examples)
    with progress_bar("Training the intent model") as update:
        model = load_or_train(
            data,
            load_embedder(settings.knowledge.embedder),
            settings.model_dir,
            progress=update,
            force=force,
        )
    console.print(
        f"Intent model: {len(data.examples)} examples, {len(model.labels)} intents, "
        f"saved in {settings.model_dir}."
    )


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="Who you are.")] = "you@example.org",
    language: Annotated[str | None, typer.Option(help="en or fr; detected if absent.")] = None,
) -> None:
    """Talk to the bot in the terminal. Type a button's number to press it; Ctrl-D to quit."""
    if language not in (None, "en", "fr"):
        console.print("[red]--language must be 'en' or 'fr'[/red]")
        raise typer.Exit(2)
    asyncio.run(_chat(settings_or_exit(), user, language))  # type: ignore[arg-type]


async def _chat(settings: Settings, user: str, language: Language | None) -> None:
    from bot.app.services import open_services

    services = await open_services(settings)
    try:
        conversation = await services.engine.start(channel="cli", user_id=user, language=language)
        console.print("[dim]Guichet is listening (Ctrl-D to quit).[/dim]")
        buttons: list[str] = []
        while True:
            try:
                text = await asyncio.to_thread(console.input, "[bold]> [/bold]")
            except (EOFError, KeyboardInterrupt):
                break
            text = text.strip()
            if not text:
                continue
            if text.isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]
            replies = await services.engine.handle(conversation.id, text)
            buttons = []
            for reply in replies:
                console.print("[cyan]Guichet:[/cyan] " + reply.text.replace("[", "\\["))
                for link in reply.links:
                    console.print(f"   🔗 {link.title}: {link.url}", markup=False)
                for button in reply.buttons:
                    buttons.append(button.payload)
                    console.print(f"   [{len(buttons)}] {button.title}", markup=False)
    finally:
        await services.close()


@app.command()
def sync(once: Annotated[bool, typer.Option(help="One round, then exit.")] = False) -> None:
    """Run the ticket sync worker: push the outbox to the ITSM tools, read their changes."""
    from bot.observability.log_format import configure_logging

    settings = settings_or_exit()
    configure_logging(settings)
    asyncio.run(_sync(settings, once))


async def _sync(settings: Settings, once: bool) -> None:
    from bot.app.services import open_services, sync_worker
    from bot.observability.tracing import Tracing

    services = await open_services(settings)
    worker = sync_worker(services)
    tracing = Tracing.configured(settings.otel)
    if tracing is not None:  # the pushes to the ITSM tools, in the traces of their messages
        tracing.start(services.database.engine)
    try:
        if worker is None:
            console.print(
                "No ITSM backend configured (GUICHET_TICKETS__SYNC_BACKENDS): "
                "Guichet is the ticket store, nothing to sync."
            )
            return
        if once:
            delivered, applied = await worker.deliver_once(), await worker.poll_once()
            if worker.maintenance is not None:
                await worker.maintenance.run_due()
            console.print(f"Delivered {delivered} change(s), applied {applied} from upstream.")
            return
        stop = asyncio.Event()
        console.print(f"Syncing with {', '.join(worker.backends)} (Ctrl-C to stop).")
        await worker.run(stop, settings.tickets.sync_interval_seconds)
    finally:
        if worker is not None:
            await worker.aclose()
        await services.close()
        if tracing is not None:
            tracing.stop()


@app.command()
def doctor() -> None:
    """Check settings, database, model, NLU data, index, directory and code delivery."""
    table = Table("check", "result")
    failures = asyncio.run(_doctor(table))
    console.print(table)
    if failures:
        console.print(f"[red]{failures} problem(s) found.[/red]")
        raise typer.Exit(1)
    console.print("[green]Everything looks fine.[/green]")


async def _doctor(table: Table) -> int:
    failures = 0

    def report(name: str, ok: bool, detail: str) -> None:
        nonlocal failures
        failures += not ok
        table.add_row(name, ("[green]ok[/green] " if ok else "[red]FAIL[/red] ") + detail)

    try:
        settings = load_settings()
    except GuichetError as exc:  # said before the imports below, which take seconds
        report("settings", False, str(exc))
        return failures
    report("settings", True, f"environment {settings.environment}")

    from sqlalchemy.exc import SQLAlchemyError

    from bot.app.cli.doctor import SECTIONS, run_sections
    from bot.app.sources import source_status
    from bot.storage.database import Database
    from bot.storage.knowledge_sources import KnowledgeSourceStore
    from knowledge_index.documents import KnowledgeContent
    from knowledge_index.embedders import load_embedder
    from knowledge_index.index import KnowledgeIndex
    from nlu.data import load_training_data

    database = Database(settings.effective_database_url)
    try:
        await database.ping()
        report("database", True, database.engine.url.render_as_string(hide_password=True))
        try:
            for ok, line in await source_status(settings, KnowledgeSourceStore(database)):
                report("source", ok, line)
        except SQLAlchemyError:
            report(
                "sources",
                True,
                "no sync recorded yet (the schema is created by `guichet db upgrade` or when "
                "the service starts)",
            )
    except Exception as exc:
        report("database", False, f"{type(exc).__name__}: {exc}. Check GUICHET_DATABASE_URL.")
    finally:
        await database.close()
    embedder = None
    try:
        embedder = load_embedder(settings.knowledge.embedder)
        report("model", True, f"{embedder.name}, {embedder.dimension} dimensions")
    except Exception as exc:
        report("model", False, f"{type(exc).__name__}: {exc}")
    try:
        data = load_training_data(settings.nlu.data_dir)
        report("nlu data", True, f"{len(data.examples)} examples, {len(data.intents)} intents")
    except GuichetError as exc:
        report("nlu data", False, str(exc))
    try:
        content = KnowledgeContent.load(settings.knowledge.kb_dir)
        report(
            "knowledge base",
            True,
            f"{len(content.articles)} articles, {len(content.catalog)} catalog items",
        )
    except GuichetError as exc:
        report("knowledge base", False, str(exc))
    manifest = KnowledgeIndex.read_manifest(settings.index_dir)
    if manifest is None:
        report("index", False, f"none at {settings.index_dir}: run `guichet index build`")
    elif embedder is not None and manifest.embedder != embedder.name:
        report(
            "index",
            False,
            f"built with {manifest.embedder}, configured {embedder.name}: "
            "run `guichet index build`",
        )
    else:
        report("index", True, f"{manifest.entries} entries, built {manifest.built_at:%Y-%m-%d}")
    # The outside services (bot/app/cli/doctor.py: one registry of sections).
    for section, check in await run_sections(settings, SECTIONS.names()):
        report(f"{section}: {check.name}", check.ok, check.detail)
    return failures
