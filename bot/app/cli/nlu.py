"""`guichet rasa export|train|serve`, and the engines `guichet eval nlu` opens."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Annotated

import typer

from bot.app.cli.common import console, settings_or_exit
from bot.settings import PACKAGE_ROOT, Settings
from nlu.protocol import IntentParser

EVAL_DIR = PACKAGE_ROOT / "nlu" / "eval"
REAL_DIR = PACKAGE_ROOT / "nlu" / "eval_real"
rasa_app = typer.Typer(
    help="Rasa 3.6.21 trained on Guichet's data, in its own environment (.venv-rasa).",
    no_args_is_help=True,
)


@rasa_app.command("export")
def rasa_export(
    target: Annotated[Path, typer.Argument(help="Folder to write the project into.")] = Path(
        "rasa-project"
    ),
) -> None:
    """Write a complete Rasa project (config.yml, domain.yml, data/nlu/*.yml)."""
    from nlu.data import load_training_data
    from nlu.rasa_project import export_project
    from nlu.validation import check_training_data

    settings = settings_or_exit()
    data = load_training_data(settings.nlu.data_dir)
    check_training_data(data, settings.nlu.min_examples)
    fingerprint = export_project(data, target, settings.nlu.confidence_threshold)
    console.print(
        f"Rasa project written to {target} ({len(data.examples)} examples, "
        f"{len(data.intents)} intents, fingerprint {fingerprint}). "
        f"Train it with `guichet rasa train` or `rasa train` inside it."
    )


@rasa_app.command("train")
def rasa_train(
    force: Annotated[bool, typer.Option(help="Retrain even if up to date.")] = False,
) -> None:
    """Export the project and train it with Rasa (creates .venv-rasa first if needed)."""
    from nlu.data import load_training_data
    from nlu.rasa_runtime import RasaWorkspace, train_rasa
    from nlu.validation import check_training_data

    settings = settings_or_exit()
    data = load_training_data(settings.nlu.data_dir)
    check_training_data(data, settings.nlu.min_examples)
    workspace = RasaWorkspace(settings.data_dir / "rasa")
    with console.status("Training Rasa (DIET, 100 epochs: a few minutes)"):
        model = train_rasa(data, workspace, settings.nlu.confidence_threshold, force=force)
    console.print(f"Rasa model: {model}")


@rasa_app.command("serve")
def rasa_serve(
    port: Annotated[int, typer.Option(help="Port of Rasa's HTTP API.")] = 5005,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Run `rasa run --enable-api` on the trained model (training it first if needed)."""
    from nlu.data import load_training_data
    from nlu.rasa_runtime import RasaWorkspace, rasa_environment, serve_command, train_rasa

    settings = settings_or_exit()
    data = load_training_data(settings.nlu.data_dir)
    workspace = RasaWorkspace(settings.data_dir / "rasa")
    with console.status("Checking the Rasa model"):
        model = train_rasa(data, workspace, settings.nlu.confidence_threshold)
    console.print(
        f"Serving {model.name} on http://{host}:{port} (set GUICHET_NLU__ENGINE=rasa and "
        f"GUICHET_NLU__RASA_URL=http://{host}:{port} to use it). Ctrl-C stops it."
    )
    with suppress(KeyboardInterrupt):
        subprocess.run(serve_command(model, host, port), env=rasa_environment(), check=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def open_parser(
    settings: Settings, engine: str, *, start_rasa: bool = False, rasa_epochs: int = 100
) -> AsyncIterator[IntentParser]:
    """The parser of `engine`; with `start_rasa`, a Rasa server trained and run for the while.

    Rasa is trained on the same data as the embedded engine, once per content (cached).
    """
    from knowledge_index.embedders import load_embedder
    from nlu.data import load_training_data
    from nlu.rasa_runtime import RasaWorkspace, rasa_server, train_rasa
    from nlu.registry import PARSERS, ParserContext

    data = load_training_data(settings.nlu.data_dir)
    if engine == "rasa" and start_rasa:
        workspace = RasaWorkspace(settings.data_dir / "rasa")
        model = await asyncio.to_thread(
            lambda: train_rasa(
                data, workspace, settings.nlu.confidence_threshold, epochs=rasa_epochs
            )
        )
        with rasa_server(model, workspace, port=_free_port()) as server:
            url = server.url
            nlu = settings.nlu.model_copy(update={"rasa_url": url})
            async with open_parser(settings.model_copy(update={"nlu": nlu}), engine) as parser:
                yield parser
        return
    embedder = load_embedder(settings.knowledge.embedder)
    parser = await PARSERS.get(engine)(
        ParserContext(settings=settings, embedder=embedder, data=data)
    )
    try:
        yield parser
    finally:
        close = getattr(parser, "aclose", None)
        if close is not None:
            await close()
