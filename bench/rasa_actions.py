"""Rasa action server benchmark: how long Guichet takes to answer each call of a Rasa
assistant creating a ticket (start, validation, review and confirmation, creation), and the
whole conversations per second with several users at once (SQLite, in-process HTTP).

Run with `.venv/bin/python -m bench.rasa_actions`. Prints a table.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bot.app.services import load_components, open_services
from bot.app.web import create_app
from bot.services import Services
from bot.settings import load_settings
from bot.settings.limits import LimitSettings
from connectors.rasa_actions.bridge import RasaBridge
from connectors.rasa_actions.domain import actions_domain
from tests.conftest import CACHE
from tests.connectors.rasa_actions.calls import RasaConversation

USERS = 40
CONCURRENCY = 8
PROBLEMS = [
    "my laptop screen flickers when docked",
    "the printer on floor 2 prints blank pages",
    "Outlook asks for my password again and again",
    "the VPN drops every few minutes at the hotel",
]


async def _conversation(
    client: httpx.AsyncClient, domain: dict[str, object], user: str, timings: dict[str, list[float]]
) -> None:
    rasa = RasaConversation(user, domain)

    async def call(action: str, label: str) -> None:
        started = time.perf_counter()
        response = await client.post("/webhook", json=rasa.call(action))
        timings[label].append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        rasa.apply(action, response.json())

    problem = PROBLEMS[hash(user) % len(PROBLEMS)]
    rasa.user(f"Please open a ticket: {problem}", "open_incident")
    await call("action_create_ticket", "action_create_ticket (start)")
    rasa.action("create_ticket_form")
    rasa.loop("create_ticket_form", "impact")
    await call("action_ask_impact", "action_ask_impact")
    rasa.user("/inform", "inform", {"impact": "team", "urgency": "high"})
    rasa.set_slots(impact="team", urgency="high")
    await call("validate_create_ticket_form", "validate_create_ticket_form")
    rasa.loop("create_ticket_form", "confirmed")
    await call("action_ask_confirmed", "action_ask_confirmed (review)")
    rasa.user("/affirm", "affirm")
    rasa.set_slots(confirmed=True)
    rasa.action("create_ticket_form")
    rasa.loop(None)
    await call("action_create_ticket", "action_create_ticket (create)")


async def _run(services: Services, concurrency: int) -> tuple[dict[str, list[float]], float]:
    app = create_app(services.settings, services)
    domain = actions_domain(RasaBridge(services))
    timings: dict[str, list[float]] = defaultdict(list)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(USERS):
        queue.put_nowait(number)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet.test", timeout=60
        ) as client,
    ):
        await _conversation(client, domain, "warm-up@norvane.example", defaultdict(list))

        async def worker() -> None:
            while not queue.empty():
                number = queue.get_nowait()
                await _conversation(client, domain, f"user{number}@norvane.example", timings)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return timings, USERS / elapsed


async def main() -> None:
    components = await load_components(load_settings(data_dir=CACHE))
    table = Table(title=f"Rasa action server: {USERS} ticket conversations (SQLite)")
    for column in ("users at once", "call", "p50 ms", "p95 ms", "conversations/s"):
        table.add_column(column)
    for concurrency in (1, CONCURRENCY):
        with tempfile.TemporaryDirectory() as scratch:
            settings = load_settings(data_dir=Path(scratch), limits=LimitSettings(enabled=False))
            services = await open_services(settings, components)
            try:
                timings, rate = await _run(services, concurrency)
            finally:
                await services.close()
        for index, (label, values) in enumerate(timings.items()):
            ordered = sorted(values)
            p95 = ordered[int(0.95 * (len(ordered) - 1))]
            table.add_row(
                str(concurrency) if index == 0 else "",
                label,
                f"{statistics.median(ordered) * 1000:.0f}",
                f"{p95 * 1000:.0f}",
                f"{rate:.1f}" if index == 0 else "",
            )
    Console().print(table)


if __name__ == "__main__":
    asyncio.run(main())
