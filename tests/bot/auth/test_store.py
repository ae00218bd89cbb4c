"""Users, passwords, tokens, sessions and the audit log on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.auth import passwords
from bot.auth.passwords import hash_password, needs_rehash, verify_password
from bot.auth.store import DUMMY_HASH, AuthStore, digest
from bot.kernel.domain import utcnow
from bot.kernel.errors import Conflict, InvalidRequest, NotAuthenticated
from bot.storage.database import Database
from bot.storage.tables import ApiTokenRow, SessionRow, UserRow
from tests.conftest import PRODUCTION_PASSWORD_HASHER


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
def store(database: Database) -> AuthStore:
    return AuthStore(database, session_minutes=30)


def test_passwords_are_argon2id_and_verified() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password("not a hash", "correct horse battery")
    with pytest.raises(InvalidRequest, match="password"):
        hash_password("short")


async def test_production_parameters_upgrade_weaker_hashes_at_sign_in(
    store: AuthStore, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite hashes cheaply (tests/conftest.py); production hashes at argon2-cffi's
    defaults, upgrades a weaker hash when its owner signs in, and checks an unknown e-mail's
    password against a dummy hash that costs what a real one does."""
    await store.create_user("weak@norvane.example", role="agent", password="weak-secret-42")
    monkeypatch.setattr(passwords, "_HASHER", PRODUCTION_PASSWORD_HASHER)
    assert hash_password("correct horse battery").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    # The dummy hash is a real hash at today's parameters: checking it is no shortcut.
    assert not needs_rehash(DUMMY_HASH) and verify_password(DUMMY_HASH, "not-a-real-password-0")

    async def stored() -> str:
        async with database.sessions.begin() as session:
            found = await session.scalar(
                select(UserRow.password_hash).where(UserRow.email == "weak@norvane.example")
            )
        assert found is not None
        return found

    weak = await stored()
    assert needs_rehash(weak)
    await store.authenticate("weak@norvane.example", "weak-secret-42")
    upgraded = await stored()
    assert upgraded != weak and not needs_rehash(upgraded)
    assert verify_password(upgraded, "weak-secret-42")
    with pytest.raises(NotAuthenticated):
        await store.authenticate("nobody@norvane.example", "weak-secret-42")


async def test_users_sign_in_with_their_password_only(store: AuthStore) -> None:
    user = await store.create_user(
        "Zoe.Martin@Norvane.example", role="agent", password="zoe-secret-42"
    )
    assert user.email == "zoe.martin@norvane.example" and user.display_name == "zoe.martin"
    assert (await store.authenticate("zoe.martin@norvane.example", "zoe-secret-42")).id == user.id
    for email, password in [
        ("zoe.martin@norvane.example", "wrong-password"),
        ("nobody@norvane.example", "zoe-secret-42"),
    ]:
        with pytest.raises(NotAuthenticated, match="wrong e-mail or password"):
            await store.authenticate(email, password)
    with pytest.raises(Conflict):
        await store.create_user("zoe.martin@norvane.example", role="admin")
    with pytest.raises(InvalidRequest, match="e-mail"):
        await store.create_user("zoe", role="agent")
    await store.update_user(user.email, active=False)
    with pytest.raises(NotAuthenticated):
        await store.authenticate(user.email, "zoe-secret-42")


async def test_tokens_are_stored_hashed_expire_and_revoke(
    store: AuthStore, database: Database
) -> None:
    info, secret = await store.create_token("ops@norvane.example", role="admin", label="portal")
    principal = await store.principal_for_token(secret)
    assert (principal.email, principal.role, principal.via) == (
        "ops@norvane.example",
        "admin",
        "token",
    )
    async with database.sessions() as session:
        hashes = (await session.scalars(select(ApiTokenRow.token_hash))).all()
    assert hashes == [digest(secret)] and secret not in hashes

    with pytest.raises(NotAuthenticated, match="unknown token"):
        await store.principal_for_token(secret + "x")
    revoked = await store.revoke_token(str(info.id))
    assert revoked.revoked_at is not None
    with pytest.raises(NotAuthenticated, match="revoked"):
        await store.principal_for_token(secret)

    _, second = await store.create_token("ops@norvane.example", role="agent")
    await store.revoke_token(second)  # by the token itself
    with pytest.raises(NotAuthenticated, match="revoked"):
        await store.principal_for_token(second)

    _, short = await store.create_token(
        "ops@norvane.example", role="agent", expires_in=timedelta(hours=1)
    )
    assert (await store.principal_for_token(short)).role == "agent"
    async with database.sessions.begin() as session:
        await session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.token_hash == digest(short))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with pytest.raises(NotAuthenticated, match="expired"):
        await store.principal_for_token(short)


async def test_sessions_expire_and_close(store: AuthStore, database: Database) -> None:
    user = await store.create_user("ann@norvane.example", role="employee", password="ann-secret-42")
    opened = await store.open_session(user)
    principal = await store.principal_for_session(opened.cookie_value)
    assert principal.csrf_token == opened.csrf_token and principal.via == "session"
    async with database.sessions.begin() as session:
        await session.execute(
            update(SessionRow)
            .where(SessionRow.session_hash == digest(opened.cookie_value))
            .values(expires_at=utcnow())
        )
    with pytest.raises(NotAuthenticated, match="expired"):
        await store.principal_for_session(opened.cookie_value)
    again = await store.open_session(user)
    await store.close_session(again.cookie_value)
    with pytest.raises(NotAuthenticated, match="no session"):
        await store.principal_for_session(again.cookie_value)


async def test_audit_log_keeps_who_what_when(store: AuthStore, database: Database) -> None:
    _, secret = await store.create_token("zoe@norvane.example", role="agent")
    zoe = await store.principal_for_token(secret)
    await store.audit(zoe, "escalation.take", target_kind="escalation", target="7")
    await store.audit("cli:root", "token.revoke", target_kind="token", target="3")
    latest, first = await store.audit_entries()
    assert (first.actor, first.role, first.action, first.target) == (
        "zoe@norvane.example", "agent", "escalation.take", "7",
    )  # fmt: skip
    assert latest.role == "system"
    assert [e.action for e in await store.audit_entries(actor="zoe@norvane.example")] == [
        "escalation.take"
    ]
    async with database.sessions() as session:
        assert (await session.scalar(select(UserRow.role))) == "agent"
