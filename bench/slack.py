"""Slack benchmark: from an incoming event to the reply posted, with 20 users at once.

Guichet runs for real (uvicorn on a socket, the real model, index and NLU, SQLite); Slack's side is
the local Web API of the tests. Each simulated user sends signed `message.im` events one after the
other, waiting for the answer like a person would; all users talk at the same time.

    .venv/bin/python -m bench.slack [--users 20] [--messages 5]

Prints a table: the time Slack waits for its HTTP acknowledgement (its limit is 3 s), and the
time from sending the event to the first reply reaching `chat.postMessage`, p50 / p95 / max.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from bench.dialogue import QUERIES
from bot.app.web import create_app
from bot.settings import load_settings
from tests.connectors.slack.fake_slack import (
    SIGNING_SECRET,
    TOKEN,
    Call,
    FakeSlack,
    Person,
    direct_message,
    event_callback,
    signed_headers,
)
from tests.contracts.fakes.server import LocalServer

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 99  # the user number of the warm-up message
LOST_AFTER = 30.0
READING_SECONDS = 0.5


class Guichet:
    """The whole app under uvicorn, lifespan included, in a thread with its own event loop."""

    def __init__(self, settings_dir: Path, database: Path, slack_url: str) -> None:
        settings = load_settings(
            data_dir=settings_dir,
            database_url=f"sqlite+aiosqlite:///{database}",
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_bot_token=SecretStr(TOKEN),
            slack_api_url=f"{slack_url}/api/",
        )
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(settings), log_level="warning", lifespan="on", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self, timeout: float = 900) -> float:
        started = time.monotonic()
        self._thread.start()
        while not self._server.started:
            if time.monotonic() - started > timeout or not self._thread.is_alive():
                raise RuntimeError("Guichet did not start")
            time.sleep(0.1)
        return time.monotonic() - started

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()


class Replies:
    """Wakes the user waiting for a reply in their DM when chat.postMessage reaches Slack."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: dict[str, asyncio.Future[float]] = {}
        self.posted: defaultdict[str, int] = defaultdict(int)

    def expect(self, channel: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = self._loop.create_future()
        self._waiting[channel] = future
        return future

    def on_call(self, call: Call) -> None:  # in the Slack server's thread
        if call.method == "chat.postMessage":
            self._loop.call_soon_threadsafe(self._arrived, str(call.args["channel"]), call.at)

    def _arrived(self, channel: str, at: float) -> None:
        self.posted[channel] += 1
        future = self._waiting.pop(channel, None)
        if future is not None and not future.done():
            future.set_result(at)


async def user(
    number: int, messages: int, client: httpx.AsyncClient, replies: Replies
) -> tuple[list[float], list[float | None]]:
    """One person: a message, the answer, a pause to read it, the next message."""
    acks: list[float] = []
    answers: list[float | None] = []  # None: lost
    user_id = f"U0BENCH{number:02d}"
    channel = f"D{user_id[1:]}"
    for i in range(messages):
        text = QUERIES[(number + i) % len(QUERIES)]
        body = event_callback(direct_message(user_id, text))
        reply = replies.expect(channel)
        sent = time.monotonic()
        response = await client.post(
            "/slack/events",
            content=body,
            headers={"Content-Type": "application/json", **signed_headers(body)},
        )
        acks.append(time.monotonic() - sent)
        response.raise_for_status()
        try:
            answers.append(await asyncio.wait_for(reply, timeout=LOST_AFTER) - sent)
        except TimeoutError:
            answers.append(None)
        # read the answer; an answer in several messages is over when the DM stays quiet
        posted = -1
        while posted != replies.posted[channel]:
            posted = replies.posted[channel]
            await asyncio.sleep(READING_SECONDS)
    return acks, answers


def percentiles(samples: list[float]) -> tuple[str, str, str]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return tuple(f"{v * 1000:.0f}" for v in (statistics.median(ordered), p95, ordered[-1]))  # type: ignore[return-value]


async def main(users: int, messages: int, data_dir: Path) -> None:
    slack = FakeSlack()
    for n in [*range(users), WARM_UP]:
        slack.people[f"U0BENCH{n:02d}"] = Person(
            f"U0BENCH{n:02d}", f"bench{n:02d}", f"bench{n:02d}@norvane.example"
        )
    replies = Replies(asyncio.get_running_loop())
    slack.on_call = replies.on_call
    slack_server = LocalServer(slack.app()).start()
    slack.url = slack_server.url
    with tempfile.TemporaryDirectory() as scratch:
        guichet = Guichet(data_dir, Path(scratch) / "guichet.db", slack.url)
        start_up = guichet.start()
        try:
            async with httpx.AsyncClient(base_url=guichet.url, timeout=30) as client:
                # the very first message of the process loads lazily-built models (language
                # detection): timed apart, before the users come
                _, [cold] = await user(WARM_UP, 1, client, replies)
                began = time.monotonic()
                results = await asyncio.gather(
                    *(user(n, messages, client, replies) for n in range(users))
                )
                elapsed = time.monotonic() - began
        finally:
            guichet.stop()
            slack_server.stop()
    acks = [a for r in results for a in r[0]]
    answers = [a for r in results for a in r[1] if a is not None]
    firsts = [r[1][0] for r in results if r[1][0] is not None]  # users.info, new conversation
    later = [a for r in results for a in r[1][1:] if a is not None]
    lost = sum(a is None for r in results for a in r[1])
    table = Table(
        "measure (ms)", "p50", "p95", "max", title=f"Slack: {users} users, {len(answers)} messages"
    )
    table.add_row("HTTP acknowledgement to Slack", *percentiles(acks))
    table.add_row("event sent -> first reply at chat.postMessage", *percentiles(answers))
    table.add_row("  a user's first message", *percentiles(firsts))
    if later:
        table.add_row("  the following ones", *percentiles(later))
    table.add_row(
        "messages per second (users pause 0.5 s)", f"{len(answers) / elapsed:.1f}", "", ""
    )
    table.add_row(f"replies lost (none within {LOST_AFTER:.0f} s)", str(lost), "", "")
    table.add_row("first message after start-up", f"{(cold or 0) * 1000:.0f}", "", "")
    table.add_row("start-up of the app (s)", f"{start_up:.1f}", "", "")
    Console().print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--messages", type=int, default=5, help="per user")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=ROOT / "var" / "bench-slack",
        help="index and model, built on the first run and reused",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.users, arguments.messages, arguments.data_dir))
