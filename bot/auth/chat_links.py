"""One sign-in from the chat: the links the bot gives to an employee's own pages sign them in.

An employee already proved who they are on their channel (the portal's signed token in the
widget, Slack's or Teams' signed requests), so a link to one of their private pages (`/tickets`,
`/tickets/INC-000042`) is given as `/tickets/INC-000042?signin=TOKEN`. On arrival the token is
exchanged for the usual session cookie, with the `employee` role whatever the user's own role
(agents sign in to the console with OIDC or a password), and the browser is sent on to the clean
address, so the token stays out of its history and of `Referer` headers.

A token is 256 random bits, stored only as its SHA-256, valid `minutes` (GUICHET_AUTH__CHAT_LINK_
MINUTES), for one use and for the page it was given for. Tokens are minted when a reply leaves
for the channel, never before: the transcript, which agents read in the console, keeps the
clean links.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update

from bot.auth.store import AuthStore, User, digest
from bot.kernel.domain import Link, Reply, utcnow
from bot.kernel.errors import InvalidRequest, NotAuthenticated
from bot.storage.database import Database
from bot.storage.tables import SignInLinkRow, UserRow

PARAMETER = "signin"
PRIVATE_PREFIX = "/tickets"  # the employee's own pages; articles and the catalog are public
MAX_PATH = 500
# Used and expired links are deleted this long after they expire (when new ones are minted).
KEPT_AFTER_EXPIRY = timedelta(days=1)
_MARKDOWN_PATH_LINK = re.compile(r"\[([^\]]+)\]\((/[^)\s]*)\)")


class SignInLinkRefused(NotAuthenticated):
    """A sign-in link that is unknown, used already, expired, or for another page."""

    message = "this sign-in link cannot be used: {reason}"


def private_path(url: str) -> str | None:
    """The path of a link to an employee's private page, or None for any other link."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or parts.query or parts.fragment:
        return None
    path = parts.path
    if len(path) > MAX_PATH or not (
        path == PRIVATE_PREFIX or path.startswith(PRIVATE_PREFIX + "/")
    ):
        return None
    return path


def _with_token(path: str, token: str) -> str:
    return f"{path}?{PARAMETER}={token}"


class ChatLinks:
    def __init__(self, database: Database, auth: AuthStore, *, minutes: int) -> None:
        self._sessions = database.sessions
        self._auth = auth
        self.lifetime = timedelta(minutes=minutes)

    async def sign(
        self, replies: list[Reply], email: str, *, channel: str, name: str | None = None
    ) -> list[Reply]:
        """`replies` with each link to a private page carrying a fresh one-time token for
        `email` (a user created as an employee named `name` if new); as they are when there is
        none, or when `email` cannot be a user."""
        paths = {
            path
            for reply in replies
            for path in [
                *(private_path(link.url) for link in reply.links),
                *(private_path(m[2]) for m in _MARKDOWN_PATH_LINK.finditer(reply.text)),
            ]
            if path is not None
        }
        if not paths:
            return replies
        try:
            user = await self._auth.ensure_user(email, role="employee", display_name=name)
        except InvalidRequest:  # a channel id that is no e-mail address: nobody to sign in
            return replies
        if not user.active:
            return replies
        tokens = await self._mint(user, sorted(paths), channel)

        def signed(url: str) -> str:
            path = private_path(url)
            return _with_token(path, tokens[path]) if path is not None else url

        def markdown(match: re.Match[str]) -> str:
            return f"[{match[1]}]({signed(match[2])})"

        return [
            reply.model_copy(
                update={
                    "text": _MARKDOWN_PATH_LINK.sub(markdown, reply.text),
                    "links": [Link(title=link.title, url=signed(link.url)) for link in reply.links],
                }
            )
            for reply in replies
        ]

    async def _mint(self, user: User, paths: list[str], channel: str) -> dict[str, str]:
        now = utcnow()
        tokens = {path: secrets.token_urlsafe(32) for path in paths}
        async with self._sessions.begin() as session:
            await session.execute(
                delete(SignInLinkRow).where(SignInLinkRow.expires_at < now - KEPT_AFTER_EXPIRY)
            )
            session.add_all(
                SignInLinkRow(
                    token_hash=digest(token),
                    user_id=user.id,
                    path=path,
                    channel=channel[:32],
                    created_at=now,
                    expires_at=now + self.lifetime,
                    used_at=None,
                )
                for path, token in tokens.items()
            )
        return tokens

    async def redeem(self, token: str, path: str, *, now: datetime | None = None) -> User:
        """The user the token signs in, once; `SignInLinkRefused` otherwise.

        The token is spent by one conditional UPDATE, so two arrivals at once (a browser and a
        link preview, two processes) cannot both use it.
        """
        now = now or utcnow()
        token_digest = digest(token.strip())
        async with self._sessions.begin() as session:
            spent = await session.execute(
                update(SignInLinkRow)
                .where(
                    SignInLinkRow.token_hash == token_digest,
                    SignInLinkRow.used_at.is_(None),
                    SignInLinkRow.expires_at > now,
                    SignInLinkRow.path == path,
                )
                .values(used_at=now)
            )
            if not spent.rowcount:  # type: ignore[attr-defined]
                raise SignInLinkRefused(reason=await self._why(token_digest, path, now))
            email = await session.scalar(
                select(UserRow.email)
                .join(SignInLinkRow, SignInLinkRow.user_id == UserRow.id)
                .where(SignInLinkRow.token_hash == token_digest)
            )
        user = await self._auth.user(email or "")
        if user is None or not user.active:
            raise SignInLinkRefused(reason="the user is disabled")
        return user

    async def _why(self, token_digest: str, path: str, now: datetime) -> str:
        async with self._sessions() as session:
            row = await session.scalar(
                select(SignInLinkRow).where(SignInLinkRow.token_hash == token_digest)
            )
        if row is None:
            return "unknown"
        if row.used_at is not None:
            return "used already"
        if row.path != path:
            return "given for another page"
        return "expired"
