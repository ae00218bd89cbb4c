"""The action server's token: the configured one, or in development one generated once and kept
under GUICHET_DATA_DIR, so that `/webhook` is never open to whoever can reach it."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from bot.settings import Environment, Settings

TOKEN_FILE = "rasa_actions_token"


def token_path(settings: Settings) -> Path:
    return settings.data_dir / TOKEN_FILE


def development_token(settings: Settings) -> str:
    """The token kept in GUICHET_DATA_DIR (readable by its owner only), made on first use.

    Several processes may start at once: the file is written aside, then linked into place,
    which fails for all but the first; the others read the winner's token.
    """
    path = token_path(settings)
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{TOKEN_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(32) + "\n")
    try:
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
    finally:
        aside.unlink()
    return path.read_text().strip()


def expected_token(settings: Settings) -> str:
    """What Rasa must send: the configured token; in development without one, the generated
    one; otherwise "" (the server is closed)."""
    configured = settings.rasa_actions.token.get_secret_value()
    if configured or settings.environment is not Environment.DEVELOPMENT:
        return configured
    return development_token(settings)
