"""Typed settings of the directory: `GUICHET_DIRECTORY__*` (nested in bot.settings.Settings).

`backend` names one entry of `connectors.directory.registry.DIRECTORIES`; each backend has its
own nested settings here and checks them when it is built, naming the one that is missing.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class BuiltinDirectorySettings(BaseModel):
    """The demo directory of `make run`: every address of `domain` is a person."""

    domain: str = "norvane.example"
    min_password_length: int = Field(12, ge=1)
    password_history: int = Field(5, ge=0, description="refuse the last N passwords")


class DirectorySettings(BaseModel):
    backend: str = "builtin"
    builtin: BuiltinDirectorySettings = BuiltinDirectorySettings()
