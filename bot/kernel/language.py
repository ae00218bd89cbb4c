"""The languages Guichet speaks."""

from __future__ import annotations

from typing import Literal, get_args

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
