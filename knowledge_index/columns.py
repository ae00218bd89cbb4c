"""Entries and passages stored by column: texts in one memory-mapped buffer, numbers in arrays.

A hundred thousand entries as Python objects took most of a gigabyte; here only the columns a
search reads for every candidate (group, type, language, passage-to-entry) are arrays in memory,
and the texts are read from the mapped file, and parsed, for the few hits shown.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bot.kernel.language import Language
from knowledge_index.documents import Entry, EntryType, Reader

ENTRY_TYPES: tuple[EntryType, ...] = (
    "procedure",
    "faq",
    "known_error",
    "catalog_item",
    "action",
    "incident_notice",
)
LANGUAGE_CODES: tuple[Language, ...] = ("en", "fr")
# Readers whose hidden entries are kept (readers differ by their groups: a few hundred).
HIDDEN_CACHE = 1024
Bytes = npt.NDArray[np.uint8]
Offsets = npt.NDArray[np.int64]


class Texts:
    """Many texts in one UTF-8 buffer, in memory or mapped from a file, and their offsets."""

    def __init__(self, blob: Bytes, offsets: Offsets) -> None:
        # A plain array over the mapped bytes: a slice of a `np.memmap` costs a memmap object.
        self._blob, self._offsets = blob.view(np.ndarray), offsets

    @classmethod
    def of(cls, texts: Sequence[str]) -> Texts:
        encoded = [t.encode("utf-8") for t in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        start, end = self._offsets[index], self._offsets[index + 1]
        return self._blob[start:end].tobytes().decode("utf-8")

    def save(self, directory: Path, name: str) -> None:
        (directory / f"{name}.bin").write_bytes(self._blob.tobytes())
        np.save(directory / f"{name}.offsets.npy", self._offsets)

    @classmethod
    def load(cls, directory: Path, name: str) -> Texts:
        path = directory / f"{name}.bin"
        blob = (
            np.memmap(path, dtype=np.uint8, mode="r")
            if path.stat().st_size
            else np.zeros(0, dtype=np.uint8)
        )
        return cls(blob, np.load(directory / f"{name}.offsets.npy"))


class Passage(NamedTuple):
    """A chunk of an entry's body."""

    entry: int
    text: str
    number: int = 0  # which chunk of the entry's body


class Passages:
    """Every passage: its text, the entry it belongs to, and which chunk of that entry it is."""

    def __init__(self, texts: Texts, entry: npt.NDArray[np.int32], number: npt.NDArray[np.int16]):
        self._texts, self.entry, self.number = texts, entry, number

    @classmethod
    def of(cls, rows: Sequence[Passage]) -> Passages:
        return cls(
            Texts.of([r.text for r in rows]),
            np.fromiter((r.entry for r in rows), dtype=np.int32, count=len(rows)),
            np.fromiter((r.number for r in rows), dtype=np.int16, count=len(rows)),
        )

    def __len__(self) -> int:
        return len(self.entry)

    def __getitem__(self, row: int) -> Passage:
        return Passage(int(self.entry[row]), self._texts[row], int(self.number[row]))

    def __iter__(self) -> Iterator[Passage]:
        return (self[row] for row in range(len(self)))

    def save(self, directory: Path) -> None:
        self._texts.save(directory, "passages")
        np.save(directory / "passages.entry.npy", self.entry)
        np.save(directory / "passages.number.npy", self.number)

    @classmethod
    def load(cls, directory: Path) -> Passages:
        return cls(
            Texts.load(directory, "passages"),
            np.load(directory / "passages.entry.npy"),
            np.load(directory / "passages.number.npy"),
        )


class Entries:
    """Every entry as JSON in a mapped buffer, with its group, type and language as arrays."""

    def __init__(
        self,
        texts: Texts,
        ids: list[str],
        group_names: list[str],
        group: npt.NDArray[np.int32],
        kind: npt.NDArray[np.int8],
        language: npt.NDArray[np.int8],
        restricted: npt.NDArray[np.int32] | None = None,
    ) -> None:
        self._texts = texts
        # The numbers of the entries only some groups may read (None or empty: none is).
        self.restricted = restricted if restricted is not None else np.zeros(0, dtype=np.int32)
        self._hidden: dict[Reader, npt.NDArray[np.bool_]] = {}
        self.group_names = group_names
        self.group, self.kind, self.language = group, kind, language
        self._id_list = ids
        self._ids: dict[str, int] | None = None  # built on first use: lookups by id are rare
        self._group_numbers: dict[str, int] | None = None
        # The other language's entry of the same group, or -1: an array, not a dictionary of
        # a hundred thousand tuples.
        self._twin = np.full(len(group), -1, dtype=np.int32)
        order = np.lexsort((language, group))
        same = group[order][1:] == group[order][:-1]
        first, second = order[:-1][same], order[1:][same]
        self._twin[first], self._twin[second] = second, first
        self._parsed = lru_cache(maxsize=1024)(self._parse)

    @classmethod
    def of(cls, entries: Sequence[Entry]) -> Entries:
        groups: dict[str, int] = {}
        for entry in entries:
            groups.setdefault(entry.group, len(groups))
        return cls(
            Texts.of([e.model_dump_json(exclude_defaults=True) for e in entries]),
            [e.id for e in entries],
            list(groups),
            np.fromiter((groups[e.group] for e in entries), dtype=np.int32, count=len(entries)),
            np.fromiter(
                (ENTRY_TYPES.index(e.type) for e in entries), dtype=np.int8, count=len(entries)
            ),
            np.fromiter(
                (LANGUAGE_CODES.index(e.language) for e in entries),
                dtype=np.int8,
                count=len(entries),
            ),
            np.array([i for i, e in enumerate(entries) if e.groups], dtype=np.int32),
        )

    def __len__(self) -> int:
        return len(self.group)

    def _parse(self, index: int) -> Entry:
        return Entry.model_validate_json(self._texts[index])

    def __getitem__(self, index: int) -> Entry:
        return self._parsed(index)

    def __iter__(self) -> Iterator[Entry]:
        return (self._parse(i) for i in range(len(self)))

    def group_of(self, index: int) -> str:
        return self.group_names[int(self.group[index])]

    def type_of(self, index: int) -> EntryType:
        return ENTRY_TYPES[int(self.kind[index])]

    def of_kinds(self, types: Collection[EntryType]) -> npt.NDArray[np.bool_]:
        """By kind code (`kind`): whether it is one of `types`."""
        return np.array([kind in types for kind in ENTRY_TYPES], dtype=np.bool_)

    def hidden_from(self, reader: Reader) -> npt.NDArray[np.bool_] | None:
        """Which entries `reader` may not read, by number; None when they may read all (the
        usual case, with nothing restricted: searches pay nothing for restrictions)."""
        if not len(self.restricted) or reader.agent:
            return None
        found = self._hidden.get(reader)
        if found is None:
            found = np.zeros(len(self.group), dtype=np.bool_)
            for number in self.restricted:
                found[number] = not reader.may_read(self[int(number)].groups)
            if len(self._hidden) > HIDDEN_CACHE:
                self._hidden.clear()
            self._hidden[reader] = found
        return found if found.any() else None

    def index_of(self, entry_id: str) -> int | None:
        if self._ids is None:
            self._ids = {entry_id: i for i, entry_id in enumerate(self._id_list)}
        return self._ids.get(entry_id)

    def in_language(self, index: int, language: Language) -> int | None:
        """The entry of the same group in `language`, if there is one."""
        code = LANGUAGE_CODES.index(language)
        if self.language[index] == code:
            return index
        twin = int(self._twin[index])
        return twin if twin >= 0 and self.language[twin] == code else None

    def of_group(self, group: str, language: Language) -> int | None:
        """The entry of a group in `language`, or in the other language."""
        if self._group_numbers is None:
            self._group_numbers = {name: i for i, name in enumerate(self.group_names)}
        number = self._group_numbers.get(group)
        if number is None:
            return None
        first = int(np.argmax(self.group == number))
        found = self.in_language(first, language)
        return first if found is None else found

    def save(self, directory: Path) -> None:
        self._texts.save(directory, "entries")
        np.save(directory / "entries.group.npy", self.group)
        np.save(directory / "entries.type.npy", self.kind)
        np.save(directory / "entries.language.npy", self.language)
        np.save(directory / "entries.restricted.npy", self.restricted)
        (directory / "entries.keys.json").write_text(
            json.dumps({"ids": self._id_list, "groups": self.group_names}), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> Entries:
        keys = json.loads((directory / "entries.keys.json").read_text("utf-8"))
        return cls(
            Texts.load(directory, "entries"),
            keys["ids"],
            keys["groups"],
            np.load(directory / "entries.group.npy"),
            np.load(directory / "entries.type.npy"),
            np.load(directory / "entries.language.npy"),
            # An index written before restrictions has none.
            np.load(restricted)
            if (restricted := directory / "entries.restricted.npy").exists()
            else None,
        )
