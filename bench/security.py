"""What redaction and rate limiting add to each request.

Run with `.venv/bin python -m bench.security [--rounds 2000]`. Times `Redactor.redact` on the
texts a chat message, a ticket description and a log line look like, with and without something
to redact, and one rate-limit check (`RateLimits.check`, one user and one address) in memory and
in the real Redis at 127.0.0.1:6379 (skipped when it is down). Prints microseconds per call.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from bot.privacy.redact import Redactor
from bot.protection.ratelimit import RateLimits
from bot.settings.limits import LimitSettings

REDIS_URL = "redis://127.0.0.1:6379/0"
TEXTS = {
    "chat message, nothing to redact": "le VPN se coupe tout le temps à l'hôtel depuis lundi",
    "chat message with a password": "mon mdp c'est Soleil#2024 et le VPN refuse toujours",
    "description with card and IBAN": (
        "Refund the licence paid with card 4111 1111 1111 1111 to FR76 3000 6000 0112 3456 "
        "7890 189, order placed last week for the design team. "
    )
    * 3,
    "4,000-character message": ("Outlook crashes when I open the shared calendar. " * 80)[:4000],
    "access log line": (
        '10.0.0.7:51234 - "GET /api/v1/suggest?q=imprimante+bloqu%C3%A9e&lang=fr HTTP/1.1" 200'
    ),
}


def micros(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


async def limiter_micros(redis_url: str | None, rounds: int) -> tuple[float, float] | None:
    settings = LimitSettings(
        redis_key_prefix=f"guichet-bench:{uuid.uuid4().hex}",
        messages_per_user=f"{rounds * 10}/minute",
        messages_per_ip=f"{rounds * 10}/minute",
    )
    limits = RateLimits(settings, redis_url)
    samples = []
    try:
        for number in range(rounds):
            start = time.perf_counter()
            await limits.check("messages", user=f"user{number % 50}", ip=f"10.0.0.{number % 20}")
            samples.append((time.perf_counter() - start) * 1e6)
    except Exception:  # Redis down
        return None
    finally:
        await limits.aclose()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    redactor = Redactor({"employee_id": r"\bEMP-\d{6}\b"})
    table = Table(title=f"Redaction and rate limits, {rounds} calls each")
    for column in ("what", "characters", "p50 µs", "p99 µs"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for label, text in TEXTS.items():
        p50, p99 = micros(lambda text=text: redactor.redact(text), rounds)  # type: ignore[misc]
        table.add_row(f"redact: {label}", str(len(text)), f"{p50:.0f}", f"{p99:.0f}")
    for label, url in (("in memory", None), ("Redis", REDIS_URL)):
        measured = asyncio.run(limiter_micros(url, rounds))
        if measured is None:
            table.add_row(f"rate-limit check, {label}", "", "Redis down", "")
        else:
            table.add_row(
                f"rate-limit check (user + address), {label}",
                "",
                f"{measured[0]:.0f}",
                f"{measured[1]:.0f}",
            )
    Console().print(table)


if __name__ == "__main__":
    main()
