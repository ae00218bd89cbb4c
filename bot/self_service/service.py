"""`DirectorySelfService`: the `SelfService` the password-reset action talks to, made of the
organisation's directory, the code store, the reset links and the configured code senders."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from dataclasses import replace

from bot.kernel.delivery import CodeSender
from bot.kernel.directory import CodeDestination, DestinationKind, Directory, Person
from bot.kernel.domain import utcnow
from bot.kernel.self_service import CodeCheck, SentCode
from bot.self_service.codes import OneTimeCodes
from bot.self_service.digests import Digests
from bot.self_service.links import ResetLinks
from bot.self_service.messages import code_message
from connectors.delivery.demo import DemoInbox

log = logging.getLogger("guichet.self_service")
RESET_PATH = "/password/reset/"
DEMO_INBOX_PATH = "/password/demo-inbox/"
DEMO_INBOX = "demo-inbox"


class DirectorySelfService:
    def __init__(
        self,
        directory: Directory,
        senders: dict[DestinationKind, CodeSender],
        codes: OneTimeCodes,
        links: ResetLinks,
        digests: Digests,
        *,
        development: bool,
    ) -> None:
        self.directory, self.senders = directory, senders
        self.codes, self.links, self._digests = codes, links, digests
        self.development = development

    async def person(self, email: str) -> Person | None:
        found = await self.directory.lookup(email)
        if found is None:
            return None
        reachable = tuple(d for d in found.destinations if d.kind in self.senders)
        return replace(found, destinations=reachable)

    async def send_code(
        self, person: Person, destination: CodeDestination, *, language: str
    ) -> SentCode:
        sender = self.senders[destination.kind]
        now = utcnow()
        code = await self.codes.issue(person.email, destination.id, now=now)
        message = code_message(
            person,
            destination,
            code,
            language=person.language or language,
            minutes=int(self.codes.lifetime.total_seconds() // 60),
        )
        try:
            await sender.send(message)
        except Exception:
            await self.codes.withdraw(person.email)
            raise
        log.info("one-time code sent by %s to %s", sender.name, destination.masked())
        return SentCode(destination, self.demo_inbox_path(person.email, sender))

    async def verify_code(self, email: str, code: str) -> CodeCheck:
        return await self.codes.verify(email, code, now=utcnow())

    async def unlock(self, email: str) -> None:
        await self.directory.unlock(email)

    async def reset_link(self, email: str, *, language: str) -> str:
        return RESET_PATH + await self.links.issue(email, language=language, now=utcnow())

    # -- the demo inbox of development ------------------------------------------------------

    @property
    def demo_inbox(self) -> DemoInbox | None:
        """The demo sender, in development only."""
        if not self.development:
            return None
        return next((s for s in self.senders.values() if isinstance(s, DemoInbox)), None)

    def demo_inbox_path(self, email: str, sender: CodeSender | None = None) -> str | None:
        """The demo inbox page of `email` (a signed path), when the code went to the demo."""
        inbox = self.demo_inbox
        if inbox is None or (sender is not None and sender is not inbox):
            return None
        name = base64.urlsafe_b64encode(email.lower().encode()).decode().rstrip("=")
        return f"{DEMO_INBOX_PATH}{name}.{self._digests.of(DEMO_INBOX, email.lower())[:32]}"

    def demo_inbox_owner(self, token: str) -> str | None:
        """The e-mail a demo inbox path was made for, if its signature holds."""
        name, _, signature = token.partition(".")
        try:
            email = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        expected = self._digests.of(DEMO_INBOX, email)[:32]
        return email if hmac.compare_digest(signature, expected) else None
