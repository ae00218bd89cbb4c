"""`guichet index build|update|status|sync` and `guichet eval search`."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.app.cli.common import console, progress_bar, settings_or_exit
from bot.app.cli.eval_real import POSTGRES_ENV, REAL_DIR, run_real
from bot.kernel.errors import GuichetError
from bot.settings import PACKAGE_ROOT, Settings
from knowledge_index.sources.sync import SyncResult

DEFAULT_EVAL = PACKAGE_ROOT / "knowledge_index" / "eval" / "queries.yaml"
index_app = typer.Typer(help="Build, update and inspect the knowledge index.", no_args_is_help=True)


def _write(force: bool) -> None:
    from bot.app.sources import synced_entries
    from knowledge_index.embedders import load_embedder
    from knowledge_index.service import update_index

    settings = settings_or_exit()
    embedder = load_embedder(settings.knowledge.embedder)
    synced = asyncio.run(synced_entries(settings))
    with progress_bar("Embedding passages") as update:
        index, changes = update_index(
            settings.knowledge.kb_dir,
            settings.index_dir,
            embedder,
            force=force,
            progress=update,
            synced=synced,
        )
    if settings.redis_url and changes.any:
        from bot.scale.index_versions import announce_version

        if announce_version(settings.redis_url, settings.index_dir) is None:
            console.print(
                "[yellow]Redis unreachable: services pick the new version up by "
                "polling (within GUICHET_SCALE__INDEX_POLL_SECONDS).[/yellow]"
            )
    manifest = index.manifest
    console.print(
        f"Index at {settings.index_dir}: {manifest.entries} entries, {manifest.passages} "
        f"passages ({manifest.vector_index} search), embedder {manifest.embedder} "
        f"({manifest.dimension} dimensions), built {manifest.built_at:%Y-%m-%d %H:%M}."
    )
    console.print(
        f"{changes.added} added, {changes.changed} changed, {changes.removed} removed, "
        f"{changes.unchanged} unchanged; {manifest.embedded} passages embedded."
    )


@index_app.command("build")
def build(
    force: Annotated[bool, typer.Option(help="Re-embed everything, even if up to date.")] = False,
) -> None:
    """Build the knowledge index of the configured knowledge base (only what changed)."""
    _write(force)


@index_app.command("update")
def update() -> None:
    """Re-embed only the entries whose content changed; drop the deleted ones."""
    _write(False)


@index_app.command("status")
def status() -> None:
    """What the served index holds, and what an update would change."""
    from knowledge_index.embedders import load_embedder
    from knowledge_index.index import KnowledgeIndex
    from knowledge_index.service import compare

    settings = settings_or_exit()
    manifest = KnowledgeIndex.read_manifest(settings.index_dir)
    if manifest is None:
        console.print(f"[red]No index at {settings.index_dir}[/red]: run `guichet index build`.")
        raise typer.Exit(1)
    table = Table("index", str(settings.index_dir), show_header=True)
    for name, value in [
        ("embedder", f"{manifest.embedder} ({manifest.dimension} dimensions)"),
        ("entries / passages", f"{manifest.entries} / {manifest.passages}"),
        ("vector search", manifest.vector_index),
        ("built", f"{manifest.built_at:%Y-%m-%d %H:%M:%S} UTC"),
    ]:
        table.add_row(name, value)
    console.print(table)
    embedder = load_embedder(settings.knowledge.embedder)
    try:
        index = KnowledgeIndex.load(settings.index_dir, embedder)
    except GuichetError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    from bot.app.sources import synced_entries
    from knowledge_index.service import all_entries

    synced = asyncio.run(synced_entries(settings))
    changes = compare(all_entries(settings.knowledge.kb_dir, synced), index)
    if changes.any:
        console.print(
            f"Out of date: {changes.added} to add, {changes.changed} changed, "
            f"{changes.removed} to remove. Run `guichet index update`."
        )
        raise typer.Exit(1)
    console.print(f"Up to date with {settings.knowledge.kb_dir}.")


@index_app.command("sync")
def sync(
    source: Annotated[
        str | None, typer.Argument(help="The source to sync: folder, request_tracker, ...")
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Sync the folder and every enabled source.")
    ] = False,
) -> None:
    """Read what changed in a knowledge source since its last sync (created, changed,
    deleted), store it and update the index; exit 1 when a source could not be read."""
    from bot.app.sources import source_context
    from knowledge_index.sources.registry import configured_sources

    settings = settings_or_exit()
    known = configured_sources(source_context(settings))
    if every == (source is not None):
        console.print("Name one source, or --all. Configured: " + ", ".join(known) + ".")
        raise typer.Exit(2)
    names = known if every else [source or ""]
    if not every and source not in known:
        console.print(
            f"[red]Unknown or disabled source {source!r}[/red]; configured: {', '.join(known)} "
            "(enable one with GUICHET_KNOWLEDGE__SOURCES__ENABLED)."
        )
        raise typer.Exit(2)
    results = asyncio.run(_sync(settings, names))
    table = Table("source", "created", "changed", "deleted", "unchanged", "errors")
    for result in results:
        table.add_row(
            result.source, str(result.created), str(result.changed), str(result.deleted),
            str(result.unchanged), "; ".join(result.errors) or "none",
        )  # fmt: skip
    console.print(table)
    if any(result.errors for result in results):
        console.print(
            "[yellow]Some documents or sources could not be read: the index keeps what was "
            "synced before.[/yellow]"
        )
        raise typer.Exit(1)


async def _sync(settings: Settings, names: list[str]) -> list[SyncResult]:
    from bot.app.sources import SourceSync, lazy_detector
    from bot.storage.database import Database
    from bot.storage.knowledge_sources import KnowledgeSourceStore
    from knowledge_index.embedders import load_embedder

    database = Database(settings.effective_database_url)
    try:
        await database.migrate()
        embedder = load_embedder(settings.knowledge.embedder)
        syncing = SourceSync(
            settings, KnowledgeSourceStore(database), embedder, lazy_detector(settings)
        )
        with progress_bar("Embedding passages") as update:
            results, changes = await syncing.sync(
                names, report=lambda line: console.print(line, highlight=False), progress=update
            )
        if changes is not None:
            console.print(
                f"Index: {changes.added} added, {changes.changed} changed, "
                f"{changes.removed} removed, {changes.unchanged} unchanged."
            )
        else:
            console.print("Nothing changed: the index stays as it is.")
        return results
    finally:
        await database.close()


class EvalSet(StrEnum):
    sample = "sample"
    real = "real"


class EvalSplit(StrEnum):
    tune = "tune"
    heldout = "heldout"
    both = "both"


def eval_search(
    data: Annotated[
        Path, typer.Option("--data", help="Labelled queries (YAML).", exists=True, dir_okay=False)
    ] = DEFAULT_EVAL,
    misses: Annotated[bool, typer.Option(help="List the queries that missed.")] = False,
    check: Annotated[bool, typer.Option(help="Exit 1 when a target is missed.")] = False,
    which: Annotated[
        EvalSet,
        typer.Option(
            "--set",
            help="sample: the project's queries (--data); real: employees' ticket texts "
            "(--real-dir), search and omnibox beside the peers.",
        ),
    ] = EvalSet.sample,
    real_dir: Annotated[
        Path,
        typer.Option(help="Folder of the real set (tune.yaml, heldout.yaml).", file_okay=False),
    ] = REAL_DIR,
    split: Annotated[
        EvalSplit, typer.Option(help="Real set: which split; the held-back one is never tuned on.")
    ] = EvalSplit.both,
    peers: Annotated[
        bool, typer.Option(help="Real set: run PostgreSQL full-text search and bm25s too.")
    ] = True,
    postgres: Annotated[
        str | None,
        typer.Option(
            envvar=POSTGRES_ENV,
            help="Real set: PostgreSQL database of the full-text peer (a temporary schema).",
        ),
    ] = None,
    markdown: Annotated[
        bool, typer.Option(help="Real set: also print the tables as Markdown (docs/benchmarks).")
    ] = False,
    write_baseline: Annotated[
        bool, typer.Option(help="Real set: record Guichet's recall@5 as the suite's baseline.")
    ] = False,
) -> None:
    """Top-1, recall@5 and MRR of search on labelled queries, full and prefixes; with
    `--set real`, search and the omnibox beside the peers, and how well they say "not sure"."""
    if which is EvalSet.real:
        run_real(
            directory=real_dir,
            split=split.value,
            peers=peers,
            postgres=postgres,
            markdown=markdown,
            misses=misses,
            check=check,
            write_baseline=write_baseline,
        )
        return
    from knowledge_index.embedders import load_embedder
    from knowledge_index.evaluation import LabelledSet, evaluate
    from knowledge_index.service import open_knowledge_base

    settings = settings_or_exit()
    labelled = LabelledSet.load(data)
    knowledge = open_knowledge_base(
        settings.knowledge.kb_dir, settings.index_dir, load_embedder(settings.knowledge.embedder)
    )
    report = asyncio.run(
        evaluate(knowledge, labelled, answer_threshold=settings.knowledge.answer_threshold)
    )
    table = Table("queries", "language", "n", "top-1", "recall@5", "MRR")
    for form, scores in (("full", report.full), ("prefix (60%)", report.prefix)):
        for language in ("all", "en", "fr"):
            s = scores.get(language)
            if s is not None:
                table.add_row(
                    form, language, str(s.queries), f"{s.top1:.3f}", f"{s.recall5:.3f}",
                    f"{s.mrr:.3f}",
                )  # fmt: skip
    console.print(table)
    console.print(
        f"Out of domain: {report.out_of_domain} queries, {report.not_sure:.1%} answered "
        f"'not sure' (best score < {report.answer_threshold}); in-domain answered "
        f"confidently: {report.confident_in_domain:.1%}."
    )
    if misses:
        for miss in report.misses:
            console.print(
                f"[dim]{miss.form:6} {miss.lang}[/dim] {miss.q!r}: expected "
                f"{'|'.join(miss.expect)}, got {', '.join(miss.got)}",
                markup=True,
                highlight=False,
            )
    failures = report.failures()
    for failure in failures:
        console.print(f"[red]Target missed:[/red] {failure}")
    if check and failures:
        raise typer.Exit(1)
