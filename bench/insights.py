"""Insights benchmark: KPIs over a month of generated history (SQLite and PostgreSQL), the
knowledge-gap report (embedding and clustering distinct questions), and an agent's article
from the form to the served index (sample knowledge base).

Run with `.venv/bin/python -m bench.insights [--kb-entries 10000]`. Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table

from bench.synthetic_kb import grow
from bot.insights.articles import ArticleWriter, NewArticle
from bot.insights.gaps import GapFinder
from bot.insights.kpis import KpiReport
from bot.insights.period import Period
from bot.settings import SAMPLE_KB_DIR
from bot.storage.database import Database
from bot.storage.tables import (
    AnswerFeedbackRow,
    ConversationRow,
    KnowledgeGapEventRow,
    TicketEventRow,
    TicketRow,
    TurnRow,
)
from knowledge_index.embedders import Embedder, load_embedder
from knowledge_index.index import SearchQuery
from knowledge_index.service import open_knowledge_base

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
END = datetime(2026, 11, 30, tzinfo=UTC)
DAYS = 30
TOPICS = [
    ("canteen menu", "menu de la cantine"), ("visitor parking", "parking visiteur"),
    ("meeting room booking", "réserver une salle"), ("expense report", "note de frais"),
    ("payslip", "fiche de paie"), ("coffee machine broken", "machine à café en panne"),
    ("badge lost", "badge perdu"), ("train tickets", "billets de train"),
    ("office key", "clé du bureau"), ("heating too cold", "chauffage trop froid"),
]  # fmt: skip
WORDS = ["today", "please", "how", "where", "urgent", "again", "aujourd'hui", "svp", "comment"]


def _moment(rng: random.Random) -> datetime:
    return END - timedelta(seconds=rng.uniform(0, DAYS * 86400))


async def _seed(database: Database, tickets: int, rng: random.Random) -> None:
    rows: list[Any] = []
    for n in range(tickets * 2):
        created = _moment(rng)
        cid = str(uuid.UUID(int=rng.getrandbits(128)))
        rows.append(
            ConversationRow(
                id=cid, channel=rng.choice(["web", "slack", "teams"]), user_id=f"u{n}",
                language=rng.choice(["en", "fr"]), language_locked=False, state={},
                created_at=created, updated_at=created,
            )
        )  # fmt: skip
        rows.append(
            TurnRow(conversation_id=cid, seq=1, role="user", text="...",
                    data={"intent": rng.choice(["vpn_problem", "printer_problem", "greet"])},
                    at=created)
        )  # fmt: skip
        if n % 3 == 0:
            rows.append(
                AnswerFeedbackRow(query_key=f"q{n % 50}", language="en", entry_group="g",
                                  helpful=n % 2 == 0, conversation_id=cid, created_at=created)
            )  # fmt: skip
    for n in range(tickets):
        created = _moment(rng)
        rows.append(
            TicketRow(
                id=n + 1, reference=f"INC-{n + 1:06d}", kind="incident", requester="r",
                channel="web", conversation_id=None, title="t", description="d",
                category=rng.choice(["network", "software", "hardware"]), impact="person",
                urgency="low", priority="P4", status="resolved", language="en", details={},
                created_at=created, updated_at=created,
                first_response_due=created + timedelta(hours=4),
                first_response_at=created + timedelta(hours=rng.uniform(0, 6)),
                resolution_due=created + timedelta(hours=24),
                resolved_at=created + timedelta(hours=rng.uniform(1, 30)),
            )
        )  # fmt: skip
    for n in range(tickets // 2):
        rows.append(
            KnowledgeGapEventRow(query_key=f"gap {n % 300}", query=f"gap {n % 300}",
                                 language="fr", best_score=0.2, at=_moment(rng))
        )  # fmt: skip
    async with database.sessions.begin() as session:
        session.add_all(rows)
    events: list[Any] = []
    for n in range(tickets):
        for step, status in enumerate(["assigned", "in_progress", "resolved"]):
            events.append(
                TicketEventRow(ticket_id=n + 1, at=END - timedelta(days=DAYS) + timedelta(
                    minutes=step), actor="a", kind="status", data={"status": {"to": status}})
            )  # fmt: skip
    async with database.sessions.begin() as session:
        session.add_all(events)


async def _kpis(url: str, tickets: int) -> float:
    database = Database(url)
    await database.migrate()
    await _seed(database, tickets, random.Random(7))
    report = KpiReport(database)
    started = time.perf_counter()
    await report.compute(Period(END - timedelta(days=DAYS), END), now=END)
    seconds = time.perf_counter() - started
    await database.close()
    return seconds


def _postgres() -> tuple[str, str]:
    name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _drop(name: str) -> None:
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _gaps(embedder: Embedder, scratch: Path, questions: int) -> tuple[float, float]:
    database = Database(f"sqlite+aiosqlite:///{scratch / f'gaps{questions}.db'}")
    await database.migrate()
    rng = random.Random(questions)
    rows = []
    for n in range(questions):
        en, fr = rng.choice(TOPICS)
        text = f"{rng.choice([en, fr])} {rng.choice(WORDS)} {n}"
        rows.append(
            KnowledgeGapEventRow(query_key=text, query=text, language="en", best_score=0.1,
                                 at=END - timedelta(days=rng.uniform(0, 13)))
        )  # fmt: skip
    async with database.sessions.begin() as session:
        session.add_all(rows)
    finder = GapFinder(database, embedder)
    started = time.perf_counter()
    await finder.report(now=END, days=7)
    first = time.perf_counter() - started
    started = time.perf_counter()
    await finder.report(now=END, days=7)
    again = time.perf_counter() - started
    await database.close()
    return first, again


async def _article(embedder: Embedder, scratch: Path, entries: int | None) -> tuple[float, float]:
    kb_dir, index_dir = scratch / f"kb{entries}", scratch / f"index{entries}"
    if entries is None:
        shutil.copytree(SAMPLE_KB_DIR, kb_dir)
    else:
        grow(kb_dir, entries)
    knowledge = open_knowledge_base(kb_dir, index_dir, embedder)
    writer = ArticleWriter(knowledge, folder="agents")
    started = time.perf_counter()
    await writer.publish(
        NewArticle(
            title_en="Book a visitor parking space",
            body_en="Visitor parking spaces are booked at reception the day before.",
            title_fr="Réserver une place de parking visiteur",
            body_fr="Les places visiteur se réservent à l'accueil la veille.",
        ),
        author="bench",
    )
    publish = time.perf_counter() - started
    started = time.perf_counter()
    hits = await knowledge.search(SearchQuery("parking visiteur", "fr", limit=1))
    assert hits and hits[0].entry.group == "book-a-visitor-parking-space"
    return publish, time.perf_counter() - started


async def main(kb_entries: int | None) -> None:
    table = Table("measure", "value")
    scratch = Path(tempfile.mkdtemp(prefix="guichet-bench-insights-"))
    try:
        embedder = load_embedder("use-multilingual")
        for tickets in (1_000, 10_000):
            sqlite = await _kpis(f"sqlite+aiosqlite:///{scratch / f'kpis{tickets}.db'}", tickets)
            table.add_row(
                f"KPIs, 30 days: {tickets:,} tickets, {2 * tickets:,} conversations, SQLite (s)",
                f"{sqlite:.2f}",
            )
            name, url = _postgres()
            try:
                postgres = await _kpis(url, tickets)
            finally:
                _drop(name)
            table.add_row(
                f"KPIs, 30 days: {tickets:,} tickets, {2 * tickets:,} conversations, "
                "PostgreSQL (s)",
                f"{postgres:.2f}",
            )
        for questions in (200, 2_000):
            first, again = await _gaps(embedder, scratch, questions)
            table.add_row(
                f"gap report, {questions:,} distinct questions: first / again (vectors kept) (s)",
                f"{first:.2f} / {again:.2f}",
            )
        for entries in (None, kb_entries) if kb_entries else (None,):
            publish, search = await _article(embedder, scratch, entries)
            size = f"{entries:,} entries" if entries else "the sample KB (138 entries)"
            table.add_row(f"article EN+FR to the served index, {size} (s)", f"{publish:.2f}")
            table.add_row("search finding it right after (ms)", f"{search * 1000:.1f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    Console().print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb-entries", type=int, help="also grow a knowledge base this large")
    asyncio.run(main(parser.parse_args().kb_entries))
