"""The sections of `guichet doctor` that reach outside services: the directory and the code
senders, as configured.

Each section is an async function from the settings to `HealthCheck` lines, registered in
`SECTIONS` by name; add one with `SECTIONS.register("name", check)`. A section that raises, or
takes longer than TIMEOUT_SECONDS, is one failed line saying why. `guichet doctor` (main.py)
adds every section's lines to its table after its own checks, and exits 1 when a line failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.kernel.directory import HealthCheck
from bot.kernel.registry import Registry
from bot.settings import Settings
from connectors.delivery.registry import build_senders
from connectors.directory.registry import build_directory

Section = Callable[[Settings], Awaitable[list[HealthCheck]]]
SECTIONS: Registry[Section] = Registry("doctor section")
TIMEOUT_SECONDS = 30.0


async def directory_section(settings: Settings) -> list[HealthCheck]:
    """Connect to the directory (TLS where configured), authenticate, look one person up."""
    directory = build_directory(settings.directory)
    try:
        return await directory.health()
    finally:
        await directory.aclose()


async def delivery_section(settings: Settings) -> list[HealthCheck]:
    """Each configured code sender reaches its server or provider, sending nothing."""
    senders = build_senders(settings.delivery)
    kinds_of: dict[int, list[str]] = {}
    for kind, sender in senders.items():
        kinds_of.setdefault(id(sender), []).append(kind.value)
    checks: list[HealthCheck] = []
    for sender in {id(s): s for s in senders.values()}.values():
        try:
            for check in await sender.health():
                kinds = ", ".join(kinds_of[id(sender)])
                checks.append(HealthCheck(f"{check.name} ({kinds})", check.ok, check.detail))
        finally:
            await sender.aclose()
    if not checks:
        checks.append(HealthCheck("code delivery", True, "no sender configured: no codes"))
    return checks


SECTIONS.register("directory", directory_section)
SECTIONS.register("delivery", delivery_section)


async def run_sections(
    settings: Settings, names: list[str], sections: Registry[Section] = SECTIONS
) -> list[tuple[str, HealthCheck]]:
    """Every line of the named sections, in order; an error is a failed line."""
    lines: list[tuple[str, HealthCheck]] = []
    for name in names:
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                checks = await sections.get(name)(settings)
        except Exception as exc:
            checks = [HealthCheck(name, False, f"{type(exc).__name__}: {exc}")]
        lines.extend((name, check) for check in checks)
    return lines
