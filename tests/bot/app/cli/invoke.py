"""A `guichet` command through its entry point in the test's process, for the commands whose
process boundary is not what a test is about: no new interpreter that imports the service and
loads the model again for each command."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

from typer.testing import CliRunner

from bot.app.cli.common import console
from bot.app.cli.main import app


def invoke(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """What `subprocess.run([guichet, *args])` gives, with `env` over the test's environment.

    Its own thread, as the commands run their own event loop; 200 columns, as COLUMNS=200 gives
    a process. A crash is raised, never taken for the exit code 1 a test may expect.
    """
    width = console._width
    console.width = 200
    try:
        with ThreadPoolExecutor(1) as pool:
            result = pool.submit(CliRunner().invoke, app, args, env=env).result()
    finally:
        console._width = width
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)
