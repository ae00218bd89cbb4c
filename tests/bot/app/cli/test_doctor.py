"""`guichet doctor` checks the directory and the code senders: against a live SMTP server
(aiosmtpd) it passes without sending anything; against a closed port it fails."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from bot.settings import load_settings
from tests.bot.app.cli.test_main import _in_process
from tests.connectors.delivery.mailbox import free_port, smtp_server

pytestmark = pytest.mark.slow

SMTP = {
    "GUICHET_DELIVERY__EMAIL": "smtp",
    "GUICHET_DELIVERY__SMS": "none",
    "GUICHET_DELIVERY__SMTP__HOST": "127.0.0.1",
    "GUICHET_DELIVERY__SMTP__SECURITY": "none",
    "GUICHET_DELIVERY__SMTP__SENDER": "it@norvane.example",
}


async def _doctor(tmp_path: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {**SMTP, "GUICHET_DELIVERY__SMTP__PORT": str(port)}
    return await asyncio.to_thread(_in_process, ["doctor"], tmp_path, **env)


async def test_doctor_checks_the_directory_and_a_live_mail_server(
    components: object, tmp_path: Path
) -> None:
    async with smtp_server() as mailbox:
        result = await _doctor(tmp_path, mailbox.port)
        assert mailbox.messages == []  # nothing sent
    assert result.returncode == 0, result.stdout + result.stderr
    assert "directory: directory" in result.stdout and "builtin demo directory" in result.stdout
    assert "delivery: smtp (email)" in result.stdout and "EHLO answered" in result.stdout


async def test_doctor_fails_when_the_mail_server_does_not_answer(
    components: object, tmp_path: Path
) -> None:
    port = free_port()
    result = await _doctor(tmp_path, port)
    assert result.returncode == 1
    assert "1 problem(s) found" in result.stdout
    assert f"127.0.0.1:{port}" in result.stdout and "FAIL" in result.stdout


async def test_a_section_that_raises_is_one_failed_line() -> None:
    from bot.app.cli.doctor import Section, run_sections
    from bot.kernel.directory import HealthCheck
    from bot.kernel.registry import Registry

    async def broken(_settings: object) -> list[HealthCheck]:
        raise ConnectionRefusedError("nobody home")

    sections: Registry[Section] = Registry("doctor section")
    sections.register("broken", broken)
    [(name, check)] = await run_sections(load_settings(), ["broken"], sections)
    assert name == "broken" and not check.ok and "nobody home" in check.detail
