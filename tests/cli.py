"""A `guichet` command through its entry point in the test's process, for the commands whose
process boundary is not what a test is about: no new interpreter that imports the service and
loads the model again for each command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from unittest import mock

from click.testing import CliRunner

from bot.app.cli import main as entry
from bot.app.cli.common import console


class _Script:
    """What the `guichet` script runs, `main()` (its own errors become their message and exit
    code 1), in the shape CliRunner invokes."""

    name = "guichet"

    def main(self, args: Sequence[str], prog_name: str, **_extra: Any) -> None:
        with mock.patch.object(sys, "argv", [prog_name, *args]):
            entry.main()


def invoke(
    args: list[str], env: dict[str, str], *, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    """What `subprocess.run([guichet, *args])` gives, with `env` over the test's environment.

    Its own thread, as the commands run their own event loop; `columns` as COLUMNS gives a
    process. A crash is raised, never taken for the exit code 1 a test may expect.
    """
    width = console._width
    console.width = columns
    try:
        with ThreadPoolExecutor(1) as pool:
            result = pool.submit(CliRunner().invoke, _Script(), args, env=env).result()  # type: ignore[arg-type]
    finally:
        console._width = width
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)
