"""`guichet eval search --set real`: Guichet beside the peers on employees' own words."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from bot.app.cli.common import console, settings_or_exit
from bot.kernel.errors import GuichetError
from bot.settings import PACKAGE_ROOT

if TYPE_CHECKING:
    from knowledge_index.real_eval.realset import Split

REAL_DIR = PACKAGE_ROOT / "knowledge_index" / "eval" / "real"
POSTGRES_ENV = "GUICHET_EVAL_POSTGRES"
SPLIT_CHOICES: dict[str, tuple[Split, ...]] = {
    "tune": ("tune",),
    "heldout": ("heldout",),
    "both": ("tune", "heldout"),
}


def run_real(
    *,
    directory: Path,
    split: str,
    peers: bool,
    postgres: str | None,
    markdown: bool,
    misses: bool,
    check: bool,
    write_baseline: bool,
) -> None:
    from knowledge_index.embedders import load_embedder
    from knowledge_index.peers import PEERS, PeerOptions
    from knowledge_index.real_eval import tables, targets
    from knowledge_index.real_eval.realset import BASELINE, load_splits, unknown_groups
    from knowledge_index.real_eval.session import evaluate_with_peers
    from knowledge_index.service import open_knowledge_base

    splits = SPLIT_CHOICES.get(split)
    if splits is None:
        console.print(f"[red]--split {split!r}[/red]: expected tune, heldout or both.")
        raise typer.Exit(2)
    if check and targets.CHECKED_SPLIT not in splits:
        console.print("[red]--check[/red] judges the held-back split: use --split heldout|both.")
        raise typer.Exit(2)
    settings = settings_or_exit()
    try:
        sets = load_splits(directory, splits)
        knowledge = open_knowledge_base(
            settings.knowledge.kb_dir,
            settings.index_dir,
            load_embedder(settings.knowledge.embedder),
        )
        groups = set(knowledge.require().entries.group_names)
        unknown = unknown_groups(sets, groups)
        if unknown:
            for group, ids in sorted(unknown.items()):
                console.print(f"[red]Unknown group[/red] {group!r} expected by {', '.join(ids)}")
            raise typer.Exit(2)
        options = PeerOptions(postgres_url=postgres) if postgres else PeerOptions()
        report = asyncio.run(
            evaluate_with_peers(
                knowledge,
                sets,
                suggest_threshold=settings.knowledge.suggest_threshold,
                confidence_threshold=settings.knowledge.confidence_threshold,
                peers=PEERS.names() if peers else (),
                options=options,
            )
        )
    except GuichetError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(
        f"Thresholds: confidence {settings.knowledge.confidence_threshold} (search and the "
        "omnibox say 'not sure' below it; the AUC is of that confidence), suggest "
        f"{settings.knowledge.suggest_threshold} (nothing shown below it)."
    )
    for section in tables.sections(report):
        table = Table(*tables.HEADER, title=section.title, title_justify="left")
        for row in section.rows:
            table.add_row(*row)
        console.print(table)
    if markdown:
        typer.echo(tables.markdown(report))
    if misses:
        for miss in report.misses:
            if miss.form == "full" and miss.system.startswith("guichet"):
                console.print(
                    f"[dim]{miss.split} {miss.system} {miss.query.lang}[/dim] "
                    f"{miss.query.q!r}: expected {'|'.join(miss.query.expect)}, "
                    f"got {', '.join(miss.got) or 'nothing'}",
                    markup=True,
                    highlight=False,
                )
    if write_baseline:
        targets.write_baseline(directory / BASELINE, report)
        console.print(f"recall@5 baseline written to {directory / BASELINE}")
    if targets.CHECKED_SPLIT not in splits:
        return
    failures = targets.failures(report)
    for failure in failures:
        console.print(f"[red]Target missed:[/red] {failure}", highlight=False)
    if check and failures:
        raise typer.Exit(1)
