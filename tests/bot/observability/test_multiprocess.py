"""Several worker processes: each writes its counters to the shared folder and `/metrics`, in
whichever process answers, adds them up (prometheus-client's multi-process mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app.serve import share_metrics
from bot.observability.metrics import MULTIPROCESS_ENV
from bot.settings import load_settings
from tests.bot.observability.conftest import samples, total, value

ROOT = Path(__file__).resolve().parents[3]
# One worker's events, then its rendering: the real observer, in a process of its own that
# imports prometheus-client after the folder is set, as `guichet serve --workers` has it.
WORKER = """
import sys
from bot.observability.metrics import PrometheusObserver

observer = PrometheusObserver()
assert observer.shared is not None, "not in multi-process mode"
for _ in range(int(sys.argv[1])):
    observer.message("web")
    observer.ticket_created("network", "P3")
    observer.request("/api/v1/suggest", "GET", "2xx", 0.004)
if sys.argv[2] == "render":
    sys.stdout.write(observer.render().decode())
"""


def _worker(folder: Path, messages: int, *, render: bool = False) -> str:
    env = {**os.environ, MULTIPROCESS_ENV: str(folder), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(messages), "render" if render else "-"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_processes_add_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"left by an earlier run")
    monkeypatch.setenv(MULTIPROCESS_ENV, "")  # restored after the test
    settings = load_settings(data_dir=tmp_path, metrics={"multiprocess_dir": folder})
    assert share_metrics(settings) == folder
    assert os.environ[MULTIPROCESS_ENV] == str(folder)
    assert list(folder.iterdir()) == []  # an earlier run's counters are not added to this one

    _worker(folder, 2)
    found = samples(_worker(folder, 3, render=True))

    assert value(found, "guichet_chat_messages_total", channel="web") == 5
    assert value(found, "guichet_tickets_created_total", category="network", priority="P3") == 5
    route = {"route": "/api/v1/suggest", "method": "GET", "status_class": "2xx"}
    assert value(found, "guichet_http_request_duration_seconds_count", **route) == 5
    assert value(found, "guichet_http_request_duration_seconds_bucket", le="0.005", **route) == 5
    assert total(found, "guichet_http_request_duration_seconds_sum") == pytest.approx(0.02)
    assert len(list(folder.glob("counter_*.db"))) == 2  # one file per process


def test_without_metrics_nothing_is_shared(tmp_path: Path) -> None:
    assert share_metrics(load_settings(data_dir=tmp_path, metrics={"enabled": False})) is None
