"""`guichet.toml` without secrets: a secret written in a file ends up in backups and commits."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, TomlConfigSettingsSource

from bot.kernel.errors import SettingsInvalid


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in typing.get_args(annotation)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def secret_paths(model: type[BaseModel], data: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    """The keys of `data` (nested) that are SecretStr fields of `model`."""
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            continue
        if _is_secret(field.annotation):
            yield (key,)
        elif isinstance(value, dict) and (inner := _model_of(field.annotation)) is not None:
            yield from ((key, *path) for path in secret_paths(inner, value))


class TomlWithoutSecrets(TomlConfigSettingsSource):
    """Reads `guichet.toml` and refuses it when it holds a secret (a SecretStr setting)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        for path in secret_paths(settings_cls, self.toml_data):
            variable = "GUICHET_" + "__".join(path).upper()
            raise SettingsInvalid(
                setting=variable,
                problem=f"is written in {self.toml_file_path}",
                expected=f"secrets in the environment only: set {variable} there",
            )
