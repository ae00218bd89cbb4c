"""One-time sign-in links given in chat, on SQLite and PostgreSQL: minted per private page,
stored as digests, spent once, for their page only, expiring; sessions they open are employee
sessions whatever the user's role."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot.auth.chat_links import ChatLinks, SignInLinkRefused, private_path
from bot.auth.store import AuthStore, digest
from bot.kernel.domain import Link, Reply, utcnow
from bot.storage.database import Database
from bot.storage.tables import SignInLinkRow

ANN = "ann@norvane.example"
PAGE = "/tickets/INC-000042"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
def auth(database: Database) -> AuthStore:
    return AuthStore(database, session_minutes=30)


@pytest.fixture
def links(database: Database, auth: AuthStore) -> ChatLinks:
    return ChatLinks(database, auth, minutes=10)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["signin"][0]


def test_only_links_to_private_pages_are_signed() -> None:
    assert private_path("/tickets/INC-000042") == "/tickets/INC-000042"
    assert private_path("/tickets") == "/tickets"
    for other in (
        "/kb/en/vpn",
        "/catalog/laptop",
        "/ticketsX",
        "https://evil.example/tickets/INC-1",
        "//evil.example/tickets",
        "/tickets/INC-1?x=1",
    ):
        assert private_path(other) is None, other


async def test_a_link_signs_its_user_in_once_and_is_kept_as_a_digest(
    links: ChatLinks, auth: AuthStore, database: Database
) -> None:
    reply = Reply(
        text="Your ticket: [INC-000042](/tickets/INC-000042)",
        links=[Link(title="INC-000042", url=PAGE), Link(title="VPN", url="/kb/en/vpn")],
    )
    [signed] = await links.sign([reply], ANN, channel="web")
    first = signed.links[0].url
    assert first.startswith(PAGE + "?signin=") and signed.links[1].url == "/kb/en/vpn"
    token = token_of(first)
    assert f"({PAGE}?signin=" in signed.text  # the Markdown link too
    async with database.sessions() as session:
        rows = (await session.scalars(select(SignInLinkRow))).all()
    assert {row.path for row in rows} == {PAGE} and len(rows) == 1  # one token per page
    assert rows[0].token_hash == digest(token) and token not in str(rows[0].__dict__)
    user = await links.redeem(token, PAGE)
    assert user.email == ANN and user.role == "employee"  # created for the employee
    with pytest.raises(SignInLinkRefused, match="used already"):
        await links.redeem(token, PAGE)
    with pytest.raises(SignInLinkRefused, match="unknown"):
        await links.redeem("not-a-token", PAGE)


async def test_a_link_is_for_its_page_and_for_a_few_minutes(links: ChatLinks) -> None:
    [reply] = await links.sign(
        [Reply(text="x", links=[Link(title="t", url=PAGE)])], ANN, channel="slack"
    )
    token = token_of(reply.links[0].url)
    with pytest.raises(SignInLinkRefused, match="another page"):
        await links.redeem(token, "/tickets/INC-000043")
    with pytest.raises(SignInLinkRefused, match="expired"):
        await links.redeem(token, PAGE, now=utcnow() + timedelta(minutes=11))
    assert (await links.redeem(token, PAGE)).email == ANN  # refusals did not spend it


async def test_two_arrivals_at_once_spend_the_token_once(links: ChatLinks) -> None:
    [reply] = await links.sign(
        [Reply(text="x", links=[Link(title="t", url=PAGE)])], ANN, channel="web"
    )
    token = token_of(reply.links[0].url)
    results = await asyncio.gather(
        *(links.redeem(token, PAGE) for _ in range(4)), return_exceptions=True
    )
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(r, SignInLinkRefused) for r in results if isinstance(r, Exception))


async def test_an_agent_signed_in_from_chat_gets_an_employee_session(
    links: ChatLinks, auth: AuthStore
) -> None:
    await auth.create_user("zoe@norvane.example", role="agent", password="correct horse 42")
    [reply] = await links.sign(
        [Reply(text="x", links=[Link(title="t", url="/tickets")])],
        "Zoe@norvane.example",
        channel="teams",
    )
    user = await links.redeem(token_of(reply.links[0].url), "/tickets")
    assert user.role == "agent"
    opened = await auth.open_session(user, role="employee")
    principal = await auth.principal_for_session(opened.cookie_value)
    assert principal.role == "employee" and not principal.is_agent
    full = await auth.principal_for_session((await auth.open_session(user)).cookie_value)
    assert full.role == "agent"  # a password or OIDC session keeps the user's role


async def test_nothing_is_signed_for_a_user_that_cannot_sign_in(
    links: ChatLinks, auth: AuthStore
) -> None:
    reply = Reply(text="x", links=[Link(title="t", url=PAGE)])
    assert await links.sign([reply], "U0ANN", channel="slack") == [reply]  # no e-mail address
    await auth.create_user("gone@norvane.example", role="employee")
    await auth.update_user("gone@norvane.example", active=False)
    assert await links.sign([reply], "gone@norvane.example", channel="web") == [reply]
    no_private = Reply(text="x", links=[Link(title="t", url="/kb/en/vpn")])
    assert await links.sign([no_private], ANN, channel="web") == [no_private]
    assert await auth.user(ANN) is None  # no user is created for nothing
