"""Guichet's own processes for the fault tests: `guichet sync` and `guichet serve`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import CACHE

GUICHET = str(Path(sys.executable).with_name("guichet"))


def environment(database_url: str, **extra: str) -> dict[str, str]:
    """The test cache's index and model, never rebuilt by these processes."""
    return {
        **os.environ,
        "GUICHET_DATA_DIR": str(CACHE),
        "GUICHET_DATABASE_URL": database_url,
        "GUICHET_KNOWLEDGE__BUILD_ON_START": "false",
        "GUICHET_LOG_LEVEL": "WARNING",
        **extra,
    }


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL: no clean-up, leases and locks stay behind."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def start(args: list[str], env: dict[str, str], log: Path) -> Process:
    with log.open("wb") as out:
        popen = subprocess.Popen([GUICHET, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    return Process(popen, log)


def wait_ready(url: str, process: Process, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{url} exited: {process.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code in (200, 503):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not up after {seconds} s: {process.log.read_text()[-2000:]}")
