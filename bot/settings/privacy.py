"""Typed settings of redaction and retention: `GUICHET_PRIVACY__*` (nested in bot.settings)."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator


class PrivacySettings(BaseModel):
    # Transcripts (turns), idle conversations, notifications and the transcript copies kept in
    # tickets and hand-offs older than this are deleted; 0 keeps them forever.
    retention_days: int = Field(365, ge=0)
    purge_interval_hours: float = Field(6.0, gt=0, description="how often the service purges")
    run_purge: bool = True
    # Extra patterns to redact, name -> regular expression (a named group `secret`, when
    # present, is the only part removed), e.g. {"employee_id": "\\bEMP-\\d{6}\\b"}.
    patterns: dict[str, str] = Field(default_factory=dict)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: dict[str, str]) -> dict[str, str]:
        for name, pattern in patterns.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", name):
                raise ValueError(f"pattern name {name!r}: lower-case letters, digits and '_'")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {name!r} is not a regular expression: {exc}") from exc
        return patterns
