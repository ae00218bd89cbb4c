"""`guichet serve --workers N`: N processes of the app behind one port (uvicorn's supervisor).

The index and the intent model are brought up to date once, in a process of their own, before
the workers start, so the workers do not all build them at once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import Final, TypedDict

from fastapi import FastAPI

from bot.observability.log_format import configure_logging
from bot.observability.metrics import MULTIPROCESS_ENV, prepare_multiprocess_dir
from bot.settings import Settings, load_settings


def app() -> FastAPI:
    """The app of one worker, its settings read from the environment (uvicorn factory)."""
    from bot.app.web import create_app

    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)


class LogOptions(TypedDict):
    log_config: None
    access_log: bool


# uvicorn's records go through the process's handler (`configure_logging`), not uvicorn's own
# configuration; its access log is off: the app writes its own (observability/access.py),
# without the query string uvicorn's has.
UVICORN_LOGGING: Final = LogOptions(log_config=None, access_log=False)


class ProxyOptions(TypedDict):
    proxy_headers: bool
    forwarded_allow_ips: str


def proxy_options(settings: Settings) -> ProxyOptions:
    """uvicorn's options for X-Forwarded-For: believed only from GUICHET_FORWARDED_ALLOW_IPS.

    uvicorn's own default believes 127.0.0.1 (or the FORWARDED_ALLOW_IPS variable), which let
    any local caller, or a proxy that passes the header on unchecked, choose its address.
    """
    trusted = settings.forwarded_allow_ips
    return ProxyOptions(proxy_headers=trusted is not None, forwarded_allow_ips=trusted or "")


def _prepare() -> None:
    from bot.app.services import load_components

    settings = load_settings()
    configure_logging(settings)
    asyncio.run(load_components(settings))


def prepare() -> None:
    """Build the index and train the intent model if their inputs changed; raise if it failed."""
    process = multiprocessing.get_context("spawn").Process(target=_prepare, name="prepare")
    process.start()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"preparing the index and the intent model failed ({process.exitcode})")


def share_metrics(settings: Settings) -> Path | None:
    """Before the workers start: the folder where each writes its metrics for `/metrics` to
    add up (multi-process mode), emptied; None when metrics are off."""
    if not settings.metrics.enabled:
        return None
    chosen = settings.metrics.multiprocess_dir or os.environ.get(MULTIPROCESS_ENV)
    path = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="guichet-metrics-"))
    prepare_multiprocess_dir(path)
    return path
