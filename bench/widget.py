"""The web widget in a real headless Chromium: how long an employee waits.

Run with `.venv/bin/python -m bench.widget [--queries 60] [--pushes 30]` after `make run` has
built the index and the model under var/ (or with GUICHET_DATA_DIR pointing at them). The app
is served by uvicorn on loopback (SQLite in a temporary directory); Chromium opens the demo
intranet page and, for each labelled query, sets the omnibox's text and measures in the page
the time from the input event to the suggestions shown (the 150 ms debounce included); then
messages pushed through the `web` channel are timed from the push to the chat panel showing
them. Prints percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import tempfile
import time
from pathlib import Path

import uvicorn
from playwright.async_api import Page, async_playwright
from rich.console import Console
from rich.table import Table

from bot.app.cli.index import DEFAULT_EVAL
from bot.app.services import open_services
from bot.app.web import create_app
from bot.channels.protocol import ChatChannel
from bot.kernel.domain import Reply
from bot.settings import load_settings
from knowledge_index.evaluation import LabelledSet

CHROMIUM = "/usr/bin/chromium"
MEASURE_SUGGESTIONS = """async (query) => {
  const root = document.getElementById("guichet-widget").shadowRoot;
  const input = root.getElementById("g-input");
  const count = root.getElementById("g-count");
  count.textContent = "";
  const shown = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (count.textContent) { observer.disconnect(); resolve(performance.now()); }
    });
    observer.observe(count, { childList: true, characterData: true, subtree: true });
  });
  input.value = query;
  const typed = performance.now();
  input.dispatchEvent(new Event("input", { bubbles: true }));
  return (await shown) - typed;
}"""
MESSAGES = """() => document.getElementById("guichet-widget").shadowRoot
  .querySelectorAll(".message.bot").length"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def suggestion_times(page: Page, queries: list[str]) -> list[float]:
    times = []
    for query in queries:
        times.append(float(await page.evaluate(MEASURE_SUGGESTIONS, query)))
        await page.wait_for_timeout(200)  # the next one is typed a moment later
    return times


async def push_times(page: Page, channel: ChatChannel, user: str, count: int) -> list[float]:
    times = []
    for n in range(count):
        before = int(await page.evaluate(MESSAGES))
        started = time.perf_counter()
        await channel.push(user_id=user, conversation_id=None, replies=[Reply(text=f"Update {n}")])
        await page.wait_for_function(f"({MESSAGES})() > {before}", polling=5)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def run(query_count: int, push_count: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(database_url=f"sqlite+aiosqlite:///{Path(scratch) / 'b.db'}")
        services = await open_services(settings)
        app = create_app(settings, services)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        for _ in range(600):
            if server.started:
                break
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        labelled = LabelledSet.load(DEFAULT_EVAL).queries
        queries = [q.q for q in random.Random(7).sample(labelled, min(query_count, len(labelled)))]
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                page = await browser.new_page()
                await page.goto(base + "/")
                await page.get_by_role("button", name="IT help").click()
                await suggestion_times(page, queries[:3])  # warm-up
                typed = await suggestion_times(page, queries)
                pushed = await push_times(
                    page, services.channels.get("web"), "marie.dupont@norvane.example", push_count
                )
                await browser.close()
        finally:
            server.should_exit = True
            await serving
            await services.close()
    table = Table(title="Web widget in headless Chromium (ms)")
    for column in ["measure", "n", "p50", "p95", "max", "mean"]:
        table.add_column(column, justify="right" if column != "measure" else "left")
    for name, values in [
        ("typed → suggestions shown (150 ms debounce incl.)", typed),
        ("pushed → shown in the open chat", pushed),
    ]:
        table.add_row(
            name,
            str(len(values)),
            f"{percentile(values, 0.5):.0f}",
            f"{percentile(values, 0.95):.0f}",
            f"{max(values):.0f}",
            f"{statistics.fmean(values):.0f}",
        )
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--pushes", type=int, default=30)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.queries, arguments.pushes))


if __name__ == "__main__":
    main()
