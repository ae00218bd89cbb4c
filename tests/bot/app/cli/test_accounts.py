"""`guichet token ...` and `guichet user ...` run as an operator would, against a real database;
the printed token opens the API, and is refused once revoked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components
from bot.settings import load_settings
from tests.cli import invoke

pytestmark = pytest.mark.slow
GUICHET = [sys.executable, "-m", "bot.app.cli"]


async def _run(args: list[str], database: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, waited for in a thread: the service under test keeps serving
    (and finishes the write it may be in the middle of) while the CLI writes beside it."""
    return await asyncio.to_thread(
        subprocess.run,
        [*GUICHET, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "GUICHET_DATABASE_URL": database, "COLUMNS": "200"},
        timeout=120,
        check=False,
    )


async def _in_process(args: list[str], database: str) -> subprocess.CompletedProcess[str]:
    """The commands that only read, or stop before writing: their output and exit code are
    under test, not a second process beside the service (tests/cli.py)."""
    return await asyncio.to_thread(invoke, args, {"GUICHET_DATABASE_URL": database})


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
async def api(
    components: Components, database: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    services = await open_services(
        load_settings(data_dir=tmp_path, database_url=database), components
    )
    app = create_app(services.settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client
    await services.close()


async def test_token_create_prints_a_token_that_revoke_stops(
    api: httpx.AsyncClient, database: str
) -> None:
    created = await _run(
        ["token", "create", "--user", "ops@norvane.example", "--role", "agent"], database
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("gch_") and "\n" not in token
    assert "ops@norvane.example (agent)" in created.stderr
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/api/v1/escalations", headers=headers)).status_code == 200

    listed = await _in_process(["token", "list"], database)
    assert "ops@norvane.example" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout
    revoked = await _run(["token", "revoke", token], database)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert (await api.get("/api/v1/escalations", headers=headers)).status_code == 401

    wrong = await _in_process(
        ["token", "create", "--user", "ops@norvane.example", "--role", "boss"], database
    )
    assert wrong.returncode == 2 and "unknown role 'boss'" in wrong.stderr
    unknown = await _in_process(["token", "revoke", "999"], database)
    assert unknown.returncode == 1 and "token '999' not found" in unknown.stdout


async def test_user_create_with_the_password_on_stdin(
    api: httpx.AsyncClient, database: str
) -> None:
    created = await _run(
        ["user", "create", "Admin@Norvane.example", "--role", "admin", "--password-stdin"],
        database,
        stdin="first-admin-password\n",
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert "admin@norvane.example (admin) created" in created.stdout
    form = await api.get("/console/login")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    signed = await api.post(
        "/console/login",
        data={
            "email": "admin@norvane.example",
            "password": "first-admin-password",
            "csrf_token": token,
        },
    )
    assert signed.status_code == 303
    again = await _in_process(
        ["user", "create", "admin@norvane.example", "--role", "agent", "--no-password"], database
    )
    assert again.returncode == 1 and "user exists" in again.stdout
    short = await _run(
        ["user", "create", "b@norvane.example", "--role", "agent", "--password-stdin"],
        database,
        stdin="short\n",
    )
    assert short.returncode == 1 and "at least 10 characters" in short.stdout
    demoted = await _run(
        ["user", "update", "admin@norvane.example", "--role", "employee"], database
    )
    assert demoted.returncode == 0 and "employee" in demoted.stdout
    assert "admin@norvane.example" in (await _in_process(["user", "list"], database)).stdout
