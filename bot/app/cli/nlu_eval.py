"""`guichet eval nlu`: the intent engines scored on a labelled set, alone or beside Rasa DIET."""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.app.cli.common import console, settings_or_exit
from bot.app.cli.nlu import EVAL_DIR, REAL_DIR, open_parser
from bot.settings import Settings
from nlu.data import Example
from nlu.evaluation import Report


class EvalSet(StrEnum):
    DEFAULT = "default"
    REAL = "real"


class RealSplit(StrEnum):
    ALL = "all"
    TUNE = "tune"
    HELDOUT = "heldout"


class Peer(StrEnum):
    RASA = "rasa"


def labelled_sets(data: Path | None, chosen: EvalSet, split: RealSplit) -> list[tuple[str, Path]]:
    """(label, path) of every set to score; the held-back split comes last."""
    if data is not None:
        return [(data.name or str(data), data)]
    if chosen is EvalSet.DEFAULT:
        return [("default", EVAL_DIR)]
    splits = ("tune", "heldout") if split is RealSplit.ALL else (split.value,)
    return [(f"real {name}", REAL_DIR / name) for name in splits]


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
    table.add_row("parse p95 (ms)", f"{report.parse_p95_ms:.1f}")
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


def _details(label: str, engine: str, reports: list[Report]) -> None:
    console.print(f"[bold]Engine {engine}[/bold] on {label}")
    for report in reports:
        console.print(_figures(report))
    for report in reports[:-1] if len(reports) > 1 else reports:
        console.print(_per_label(report, "intent"))
        console.print(_per_label(report, "entity"))
        console.print(_confusions(report))


def side_by_side(label: str, by_engine: dict[str, list[Report]]) -> Table:
    """One row per language and engine, so that the engines are read next to each other."""
    table = Table(
        "language",
        "engine",
        "messages",
        "macro-F1",
        "out-of-scope P",
        "out-of-scope R",
        "parse p95 (ms)",
        title=f"{label}: {' vs '.join(by_engine)}",
    )
    languages = [r.name for r in next(iter(by_engine.values()))]
    for language in languages:
        for engine, reports in by_engine.items():
            report = next(r for r in reports if r.name == language)
            table.add_row(
                language,
                engine,
                str(len(report.predictions)),
                f"{report.macro_f1:.3f}",
                f"{report.out_of_scope.precision:.3f}",
                f"{report.out_of_scope.recall:.3f}",
                f"{report.parse_p95_ms:.1f}",
            )
    return table


def _summary(report: Report, label: str, engine: str) -> dict[str, object]:
    return {
        "set": label,
        "engine": engine,
        "language": report.name,
        "messages": len(report.predictions),
        "macro_f1": round(report.macro_f1, 4),
        "accuracy": round(report.accuracy, 4),
        "out_of_scope_precision": round(report.out_of_scope.precision, 4),
        "out_of_scope_recall": round(report.out_of_scope.recall, 4),
        "entity_f1": round(report.entity_f1.f1, 4),
        "calibration_error": round(report.calibration_error, 4),
        "parse_p95_ms": round(report.parse_p95_ms, 2),
        "intents": {k: round(v.f1, 4) for k, v in report.intents.items()},
        "confusions": report.confusions[:20],
    }


async def _score(
    settings: Settings,
    engines: list[str],
    sets: list[tuple[str, list[Example]]],
    *,
    start_rasa: bool,
    rasa_epochs: int,
) -> dict[str, dict[str, list[Report]]]:
    """label -> engine -> reports, each engine opened once for all the sets."""
    from nlu.evaluation import evaluate

    results: dict[str, dict[str, list[Report]]] = {label: {} for label, _ in sets}
    for engine in engines:
        async with open_parser(
            settings, engine, start_rasa=start_rasa, rasa_epochs=rasa_epochs
        ) as parser:
            for label, examples in sets:
                with console.status(f"{engine}: parsing {len(examples)} messages of {label}"):
                    results[label][engine] = await evaluate(parser, examples)
    return results


def eval_nlu(
    data: Annotated[
        Path | None,
        typer.Option(help="A Rasa NLU file, or a folder of <language>/*.yml files (not --set)."),
    ] = None,
    set_: Annotated[
        EvalSet,
        typer.Option(
            "--set",
            help="default: nlu/eval, written with the data; real: employees' ticket texts "
            "(nlu/eval_real), tune and held-back splits scored apart.",
        ),
    ] = EvalSet.DEFAULT,
    split: Annotated[
        RealSplit, typer.Option(help="With --set real: which split to score.")
    ] = RealSplit.ALL,
    engine: Annotated[
        str | None, typer.Option(help="embedded or rasa; GUICHET_NLU__ENGINE if absent.")
    ] = None,
    compare: Annotated[
        Peer | None,
        typer.Option(help="Also score this peer, trained on the same data, and print both."),
    ] = None,
    start_rasa: Annotated[
        bool, typer.Option(help="With --engine rasa: train (cached) and run Rasa for the run.")
    ] = False,
    rasa_epochs: Annotated[
        int, typer.Option(min=1, help="DIET epochs when Rasa is trained for the run.")
    ] = 100,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON here.")
    ] = None,
) -> None:
    """Per-intent precision/recall/F1, macro-F1, confusions, out-of-scope P/R, entity F1."""
    from nlu.data import load_test_data

    settings = settings_or_exit()
    chosen = engine or settings.nlu.engine
    engines = [chosen]
    if compare is not None:
        if chosen == compare.value:
            console.print(f"[red]--compare {compare.value} needs another --engine[/red]")
            raise typer.Exit(2)
        engines.append(compare.value)
    sets = [(label, load_test_data(path)) for label, path in labelled_sets(data, set_, split)]
    results = asyncio.run(
        _score(
            settings,
            engines,
            sets,
            start_rasa=start_rasa or compare is not None,
            rasa_epochs=rasa_epochs,
        )
    )
    for label, by_engine in results.items():
        if compare is None:
            _details(label, chosen, by_engine[chosen])
        else:
            console.print(side_by_side(label, by_engine))
    if json_out is not None:
        summaries = [
            _summary(report, label, name)
            for label, by_engine in results.items()
            for name, reports in by_engine.items()
            for report in reports
        ]
        json_out.write_text(json.dumps({"engine": chosen, "reports": summaries}, indent=2))
