"""Running Rasa 3.6.21 in its own virtual environment: create it, train, serve.

Rasa pins pydantic 1, TensorFlow 2.12 and SQLAlchemy 1.4, so it never shares Guichet's
environment: `scripts/rasa-env.sh` builds `.venv-rasa`, and Rasa runs as a child process.
A trained model is kept under `<data dir>/rasa/models/<fingerprint>.tar.gz`, keyed by the
exported project's content, so it is trained once per change of data or config.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.kernel.errors import GuichetError, NotReady
from bot.settings import PACKAGE_ROOT
from nlu.data import TrainingData
from nlu.rasa_project import export_project

RASA_VENV = Path(os.environ.get("GUICHET_RASA_VENV", PACKAGE_ROOT / ".venv-rasa"))
ENV_SCRIPT = PACKAGE_ROOT / "scripts" / "rasa-env.sh"
STAMP = ".rasa-3.6.21-installed"
START_TIMEOUT_SECONDS = 300.0


class RasaFailed(GuichetError):
    message = "rasa {step} failed (exit code {code}); see {log}"


def rasa_environment() -> dict[str, str]:
    """The variables Rasa runs with: no telemetry, no hub download, quiet TensorFlow."""
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore",
    }


def ensure_rasa_venv(venv: Path = RASA_VENV) -> Path:
    """Create `.venv-rasa` with `scripts/rasa-env.sh` unless it is complete; returns `rasa`."""
    if not (venv / STAMP).exists():
        completed = subprocess.run(
            ["bash", str(ENV_SCRIPT)],
            env={**os.environ, "GUICHET_RASA_VENV": str(venv)},
            cwd=PACKAGE_ROOT,
            check=False,
        )
        if completed.returncode != 0:
            raise RasaFailed(step="environment set-up", code=completed.returncode, log=ENV_SCRIPT)
    return venv / "bin" / "rasa"


@dataclass(frozen=True)
class RasaWorkspace:
    """Where the exported project, the trained models and the logs live."""

    root: Path

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def models(self) -> Path:
        return self.root / "models"

    def model_for(self, fingerprint: str) -> Path:
        return self.models / f"{fingerprint}.tar.gz"

    def log(self, name: str) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / f"{name}.log"


def train_rasa(
    data: TrainingData,
    workspace: RasaWorkspace,
    threshold: float,
    *,
    force: bool = False,
    epochs: int = 100,
) -> Path:
    """Export the project and train it unless a model for the same content exists."""
    fingerprint = export_project(data, workspace.project, threshold, epochs)
    model = workspace.model_for(fingerprint)
    if model.exists() and not force:
        return model
    rasa = ensure_rasa_venv()
    log = workspace.log("train")
    started = time.monotonic()
    with log.open("wb") as output:
        completed = subprocess.run(
            [
                str(rasa),
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                str(workspace.models.resolve()),
                "--fixed-model-name",
                fingerprint,
            ],
            cwd=workspace.project,
            env=rasa_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if completed.returncode != 0 or not model.exists():
        raise RasaFailed(step="train", code=completed.returncode, log=log)
    record = {"seconds": round(time.monotonic() - started, 1), "examples": len(data.examples)}
    _record_path(model).write_text(json.dumps(record))
    return model


def _record_path(model: Path) -> Path:
    return model.with_name(model.name.removesuffix(".tar.gz") + ".json")


def training_record(model: Path) -> dict[str, float]:
    """How long the model took to train, when this machine trained it."""
    path = _record_path(model)
    record: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}
    return record


def wait_until_ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll Rasa's `GET /status` until it names a loaded model."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NotReady(component="rasa server", reason=f"exited with {process.returncode}")
        try:
            status = httpx.get(f"{url}/status", timeout=2.0)
            if status.status_code == 200 and status.json().get("model_file"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    raise NotReady(component="rasa server", reason=f"no answer on {url}/status in {timeout:.0f} s")


def serve_command(model: Path, host: str, port: int) -> list[str]:
    return [
        str(ensure_rasa_venv()),
        "run",
        "--enable-api",
        "--interface",
        host,
        "--port",
        str(port),
        "--model",
        str(model),
    ]


@dataclass(frozen=True)
class RasaProcess:
    url: str
    pid: int
    start_seconds: float


@contextmanager
def rasa_server(
    model: Path,
    workspace: RasaWorkspace,
    host: str = "127.0.0.1",
    port: int = 5005,
    *,
    cpus: str | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[RasaProcess]:
    """A `rasa run --enable-api` child process, ready once `/status` names the model.

    `cpus` (e.g. "1") pins the server and all its threads to those cores (`taskset`);
    `extra_args` are more options of `rasa run` (`--endpoints`, `--credentials`).
    """
    command = [*serve_command(model, host, port), *extra_args]
    if cpus is not None:
        command = ["taskset", "-c", cpus, *command]
    url = f"http://{host}:{port}"
    with workspace.log("server").open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=workspace.root,
            env=rasa_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            started = time.monotonic()
            wait_until_ready(url, process, START_TIMEOUT_SECONDS)
            yield RasaProcess(url, process.pid, time.monotonic() - started)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
