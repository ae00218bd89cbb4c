"""Who reads the knowledge base, as far as restricted entries go: agents read everything;
employees the entries of the groups the directory puts them in; others the unrestricted ones.

The directory is asked only when the served index holds restricted entries, and its answer is
kept a minute per person: the omnibox asks on every keystroke.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from bot.auth.roles import Principal
from bot.kernel.directory import Directory, DirectoryError
from knowledge_index.documents import ANONYMOUS, Entry, Reader
from knowledge_index.service import IndexedKnowledgeBase

log = logging.getLogger(__name__)
KEEP_SECONDS = 60.0
KEPT = 4096
AGENT = Reader(agent=True)


class Readers:
    def __init__(self, knowledge: IndexedKnowledgeBase, directory: Directory) -> None:
        self._knowledge = knowledge
        self._directory = directory
        self._groups: OrderedDict[str, tuple[float, frozenset[str]]] = OrderedDict()

    @property
    def _restrictions(self) -> bool:
        index = self._knowledge.index
        return index is not None and bool(len(index.entries.restricted))

    async def of(self, principal: Principal | None) -> Reader:
        """The reader a signed-in caller is (anonymous without one)."""
        if principal is None:
            return ANONYMOUS
        if principal.is_agent:
            return AGENT
        return await self.by_email(principal.email)

    async def by_email(self, email: str) -> Reader:
        """An employee known by e-mail (a chat's user): their directory groups."""
        if not self._restrictions or "@" not in email:
            return ANONYMOUS
        key = email.casefold()
        kept = self._groups.get(key)
        if kept is not None and time.monotonic() - kept[0] < KEEP_SECONDS:
            return Reader(groups=kept[1])
        try:
            person = await self._directory.lookup(email)
        except DirectoryError as exc:  # unknown or unreachable: unrestricted entries only
            log.warning("directory groups of a reader not known: %s", exc)
            return ANONYMOUS
        groups = person.groups if person is not None else frozenset()
        self._groups[key] = (time.monotonic(), groups)
        if len(self._groups) > KEPT:
            self._groups.popitem(last=False)
        return Reader(groups=groups)

    @staticmethod
    def may_read(reader: Reader, entry: Entry) -> bool:
        return reader.may_read(entry.groups)
