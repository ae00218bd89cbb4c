"""What the walkthrough checks on each screen, as a person would: a screenshot per step, the
language of what is shown, French typography, and expectations gathered rather than stopping at
the first one, so that one run tells everything that is wrong on the way."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from playwright.async_api import Locator, Page

from bot.kernel.i18n import catalog_path
from bot.kernel.language import Language
from bot.kernel.tickets import CATEGORIES, IMPACTS, STATUSES, URGENCIES
from tests.typography import typography_faults

FUNCTION_WORDS: dict[Language, frozenset[str]] = {
    "en": frozenset(
        "the and your you is are to of with for this it please has not will can what".split()
    ),
    "fr": frozenset(
        "le les et votre vous est sont des avec pour cette pas une sur dans je que".split()
    ),
}
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _plain(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@cache
def _catalog_sentences() -> dict[Language, tuple[str, ...]]:
    """The pieces (three words or more, placeholders cut out) of every catalog message that
    differ between English and French: seeing one on a page in the other language is a slip."""
    found: dict[Language, set[str]] = {"en": set(), "fr": set()}
    with catalog_path("fr").open("rb") as po:
        for message in read_po(po):
            if not isinstance(message.id, str) or not message.id or not message.string:
                continue
            english, french = _plain(message.id), _plain(str(message.string))
            for language, text, other in (("en", english, french), ("fr", french, english)):
                for piece in _PLACEHOLDER.split(text):
                    piece = piece.strip(" .,:;!?")
                    if len(piece.split()) >= 3 and piece not in other:
                        found[language].add(piece)  # type: ignore[index]
    return {language: tuple(sorted(pieces)) for language, pieces in found.items()}


def foreign_text(text: str, language: Language) -> list[str]:
    """What in `text` belongs to the other language: catalog sentences, or its common words
    when they are more than a trace (a product name such as "Point and Print" is fine)."""
    other: Language = "fr" if language == "en" else "en"
    plain = _plain(text)
    sentences = [s for s in _catalog_sentences()[other] if s in plain]
    words = re.findall(r"[a-zà-ÿ]+", plain.lower())
    own = sum(w in FUNCTION_WORDS[language] for w in words)
    stray = [w for w in words if w in FUNCTION_WORDS[other]]
    if len(stray) <= max(3, own // 6):
        stray = []
    return sentences + ([f"{len(stray)} {other} words: {' '.join(stray[:12])}"] if stray else [])


_IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
_CODES = "|".join(sorted({*STATUSES, *IMPACTS, *URGENCIES, *CATEGORIES}))
_VOCABULARY = re.compile(rf"\b({_CODES})\b")


def raw_values(text: str, language: Language) -> list[str]:
    """Code values shown as they are stored: `user_request`, or `assigned` on a French page."""
    found = _IDENTIFIER.findall(text)
    if language == "fr":
        found += _VOCABULARY.findall(text)
    return sorted(set(found))


@dataclass
class Walk:
    """One language's walk: numbered screenshots and the expectations that were not met."""

    language: Language
    folder: Path
    missed: list[str] = field(default_factory=list)
    step: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()

    def begin(self, name: str) -> None:
        self.step += 1
        self.name = f"{self.step:02d}-{name}"

    async def shot(self, page: Page) -> None:
        await page.screenshot(path=str(self.folder / f"{self.name}.png"))

    def expect(self, met: bool, what: str) -> None:
        """An expectation noted, not raised: the walk goes on to show the next screens."""
        if not met:
            self.missed.append(f"{self.name}: {what}")

    async def expect_that(self, assertion: Awaitable[None], what: str) -> None:
        """A Playwright `expect(...)` noted, not raised, when it fails."""
        try:
            await assertion
        except AssertionError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            self.missed.append(f"{self.name}: {what} ({first[:200]})")

    async def speaks_its_language(self, where: Locator) -> None:
        found = foreign_text(await where.inner_text(), self.language)
        self.expect(not found, f"text in the other language: {found}")

    async def shows_no_raw_values(self, where: Locator) -> None:
        found = raw_values(await where.inner_text(), self.language)
        self.expect(not found, f"raw values instead of words: {found}")

    async def typeset(self, texts: list[str]) -> None:
        """French typography in what Guichet wrote (not in what the person typed)."""
        if self.language != "fr":
            return
        faults = [fault for text in texts for fault in typography_faults(text)]
        self.expect(not faults, f"French typography: {faults}")
