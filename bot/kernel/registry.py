"""One explicit registry per plug-in point: names map to factories, duplicates are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from bot.kernel.errors import GuichetError

T = TypeVar("T")


class UnknownPlugin(GuichetError):
    message = "unknown {kind} {name!r}; known: {known}"


class DuplicatePlugin(GuichetError):
    message = "{kind} {name!r} is already registered"


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise DuplicatePlugin(kind=self.kind, name=name)
        self._entries[name] = entry
        return entry

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownPlugin(
                kind=self.kind, name=name, known=", ".join(sorted(self._entries))
            ) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
