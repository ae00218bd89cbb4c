"""The real Request Tracker 5 for tests, started with scripts/request-tracker.sh
(docs/testing.md)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.contracts.fakes.server import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "request-tracker.sh"
PASSWORD = os.environ.get("GUICHET_RT_PASSWORD", "guichet-rt-root")
# The agent account scripts/request-tracker-test-agent.pl creates: changes made "upstream".
AGENT, AGENT_PASSWORD = "guichet-agent", "guichet-agent-pass"


@dataclass
class RunningRequestTracker:
    url: str
    run_dir: Path

    def stop(self) -> None:
        subprocess.run(
            [str(SCRIPT), "stop"], env=self._env(), check=False, capture_output=True, timeout=30
        )

    def _env(self) -> dict[str, str]:
        return {**os.environ, "GUICHET_RT_RUN_DIR": str(self.run_dir)}


def start_request_tracker(run_dir: Path) -> RunningRequestTracker:
    """Start rt-server on a free port of 127.0.0.1; fail the test with its own words if not."""
    port = free_port()
    running = RunningRequestTracker(f"http://127.0.0.1:{port}", run_dir)
    started = subprocess.run(
        [str(SCRIPT), "start", str(port)],
        env=running._env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if started.returncode != 0:
        pytest.fail(
            f"Request Tracker did not start ({started.returncode}): {started.stderr.strip()}\n"
            f"Install it once, as root: {SCRIPT} install",
            pytrace=False,
        )
    return running
