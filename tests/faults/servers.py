"""Servers a fault test owns and may stop: a private PostgreSQL cluster, a private Redis, and a
local ServiceNow counting what it receives. Never the shared PostgreSQL or Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from bot.settings.itsm import ItsmSettings, ServiceNowSettings
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.server import LocalServer, free_port
from tests.contracts.fakes.servicenow import Instance, servicenow_app

POSTGRES_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
SERVICENOW_USER, SERVICENOW_PASSWORD = "guichet.integration", "guichet-pass"


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres account then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb + pg_ctl) in a temporary folder, on its own port."""

    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/guichet"

    def _run(self, *args: str) -> None:
        binary = str(POSTGRES_BIN[-1] / args[0])
        subprocess.run(
            _as_postgres([binary, *args[1:]]), check=True, capture_output=True, timeout=120
        )

    def init(self) -> PrivatePostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE guichet")
        return self

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()


def private_postgres() -> Iterator[PrivatePostgres]:
    if not POSTGRES_BIN:
        raise RuntimeError("PostgreSQL's programs are not installed under /usr/lib/postgresql")
    # Not under pytest's temporary folder: the postgres account cannot enter root's folders.
    root = Path(tempfile.mkdtemp(prefix="guichet-postgres-"))
    root.chmod(0o755)
    server = PrivatePostgres(root / "cluster").init()
    try:
        yield server
    finally:
        subprocess.run(
            _as_postgres([str(POSTGRES_BIN[-1] / "pg_ctl"), "-D", str(server.data), "-m",
                          "immediate", "stop"]),
            capture_output=True, check=False, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class PrivateRedis:
    """A redis-server of its own, without persistence, that a test stops and starts again."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class CountingServiceNow:
    """The local ServiceNow of the contract tests; it says how often each reference arrived."""

    faults: Faults
    instance: Instance
    server: LocalServer

    def itsm(self, timeout_seconds: float = 10.0) -> ItsmSettings:
        return ItsmSettings(
            timeout_seconds=timeout_seconds,
            servicenow=ServiceNowSettings(
                base_url=self.server.url, username=SERVICENOW_USER, password=SERVICENOW_PASSWORD
            ),
        )

    def env(self, timeout_seconds: float = 10.0) -> dict[str, str]:
        """The same settings as environment variables, for a `guichet sync` process."""
        return {
            "GUICHET_TICKETS__SYNC_BACKENDS": '["servicenow"]',
            "GUICHET_ITSM__TIMEOUT_SECONDS": str(timeout_seconds),
            "GUICHET_ITSM__SERVICENOW__BASE_URL": self.server.url,
            "GUICHET_ITSM__SERVICENOW__USERNAME": SERVICENOW_USER,
            "GUICHET_ITSM__SERVICENOW__PASSWORD": SERVICENOW_PASSWORD,
        }

    def references(self) -> Counter[str]:
        with self.instance.lock:
            return Counter(r["correlation_id"] for r in self.instance.tables["incident"])


def counting_servicenow() -> Iterator[CountingServiceNow]:
    faults = Faults()
    app, instance = servicenow_app(faults)
    server = LocalServer(app).start()
    try:
        yield CountingServiceNow(faults, instance, server)
    finally:
        server.stop()
