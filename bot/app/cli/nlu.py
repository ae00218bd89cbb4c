"""`guichet eval nlu` and `guichet rasa export|train|serve`."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.app.cli.common import console, settings_or_exit
from bot.settings import PACKAGE_ROOT, Settings
from nlu.evaluation import Report
from nlu.protocol import IntentParser

EVAL_DIR = PACKAGE_ROOT / "nlu" / "eval"
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
    settings: Settings, engine: str, *, start_rasa: bool = False
) -> AsyncIterator[IntentParser]:
    """The parser of `engine`; with `start_rasa`, a Rasa server trained and run for the while."""
    from knowledge_index.embedders import load_embedder
    from nlu.data import load_training_data
    from nlu.rasa_runtime import RasaWorkspace, rasa_server, train_rasa
    from nlu.registry import PARSERS, ParserContext

    data = load_training_data(settings.nlu.data_dir)
    if engine == "rasa" and start_rasa:
        workspace = RasaWorkspace(settings.data_dir / "rasa")
        model = await asyncio.to_thread(
            train_rasa, data, workspace, settings.nlu.confidence_threshold
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


def _figures(report: Report) -> Table:
    table = Table("measure", "value", title=f"{report.name}: {len(report.predictions)} messages")
    table.add_row("macro-F1 (intents)", f"{report.macro_f1:.3f}")
    table.add_row("accuracy", f"{report.accuracy:.3f}")
    table.add_row("out-of-scope precision", f"{report.out_of_scope.precision:.3f}")
    table.add_row("out-of-scope recall", f"{report.out_of_scope.recall:.3f}")
    table.add_row("entity precision", f"{report.entity_f1.precision:.3f}")
    table.add_row("entity recall", f"{report.entity_f1.recall:.3f}")
    table.add_row("entity F1", f"{report.entity_f1.f1:.3f}")
    table.add_row("calibration error (ECE)", f"{report.calibration_error:.3f}")
    return table


def _per_label(report: Report, kind: str) -> Table:
    """Precision, recall and F1 per intent or per entity."""
    scores = report.intents if kind == "intent" else report.entities
    support = "support" if kind == "intent" else "tokens"
    table = Table(kind, "precision", "recall", "F1", support, title=f"{report.name}: {kind}s")
    for name, score in scores.items():
        table.add_row(
            name,
            f"{score.precision:.2f}",
            f"{score.recall:.2f}",
            f"{score.f1:.2f}",
            str(score.support),
        )
    return table


def _confusions(report: Report, limit: int = 12) -> Table:
    table = Table("expected", "predicted", "count", title=f"{report.name}: top confusions")
    for expected, predicted, count in report.confusions[:limit]:
        table.add_row(expected, predicted, str(count))
    return table


def _summary(report: Report) -> dict[str, object]:
    return {
        "language": report.name,
        "messages": len(report.predictions),
        "macro_f1": round(report.macro_f1, 4),
        "accuracy": round(report.accuracy, 4),
        "out_of_scope_precision": round(report.out_of_scope.precision, 4),
        "out_of_scope_recall": round(report.out_of_scope.recall, 4),
        "entity_f1": round(report.entity_f1.f1, 4),
        "calibration_error": round(report.calibration_error, 4),
        "intents": {k: round(v.f1, 4) for k, v in report.intents.items()},
        "confusions": report.confusions[:20],
    }


def eval_nlu(
    data: Annotated[
        Path, typer.Option(help="A Rasa NLU file, or a folder of <language>/*.yml files.")
    ] = EVAL_DIR,
    engine: Annotated[
        str | None, typer.Option(help="embedded or rasa; GUICHET_NLU__ENGINE if absent.")
    ] = None,
    start_rasa: Annotated[
        bool, typer.Option(help="With --engine rasa: train (cached) and run Rasa for the run.")
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON here.")
    ] = None,
) -> None:
    """Per-intent precision/recall/F1, macro-F1, confusions, out-of-scope P/R, entity F1."""
    from nlu.data import load_test_data
    from nlu.evaluation import evaluate

    settings = settings_or_exit()
    examples = load_test_data(data)
    chosen = engine or settings.nlu.engine

    async def run() -> list[Report]:
        async with open_parser(settings, chosen, start_rasa=start_rasa) as parser:
            with console.status(f"Parsing {len(examples)} messages with {chosen}"):
                return await evaluate(parser, examples)

    reports = asyncio.run(run())
    console.print(f"[bold]Engine {chosen}[/bold] on {data}")
    for report in reports:
        console.print(_figures(report))
    for report in reports[:-1] if len(reports) > 1 else reports:
        console.print(_per_label(report, "intent"))
        console.print(_per_label(report, "entity"))
        console.print(_confusions(report))
    if json_out is not None:
        json_out.write_text(
            json.dumps({"engine": chosen, "reports": [_summary(r) for r in reports]}, indent=2)
        )
