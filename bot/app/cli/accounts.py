"""`guichet token ...` and `guichet user ...`: accounts and API tokens from the command line."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from bot.app.cli.common import console, settings_or_exit
from bot.auth.roles import ROLES, Role, check_role
from bot.auth.store import AuthStore
from bot.events import open_bus
from bot.storage.database import Database

token_app = typer.Typer(help="API tokens for scripts and the host portal.", no_args_is_help=True)
user_app = typer.Typer(help="Console and API users.", no_args_is_help=True)
T = TypeVar("T")
ROLE_HELP = f"One of {', '.join(ROLES)}."


def _role(value: str) -> Role:
    try:
        return check_role(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _with_store(work: Callable[[AuthStore], Awaitable[T]]) -> T:
    settings = settings_or_exit()

    async def run() -> T:
        database = Database(settings.effective_database_url)
        # Revocations and user changes are announced to the running services (through Redis).
        events = open_bus(settings.redis_url)
        try:
            await database.migrate()
            return await work(
                AuthStore(database, session_minutes=settings.auth.session_minutes, events=events)
            )
        finally:
            await events.aclose()
            await database.close()

    return asyncio.run(run())


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


@token_app.command("create")
def create_token(
    user: Annotated[str, typer.Option(help="The e-mail of the token's owner (created if new).")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    expires_days: Annotated[
        int | None, typer.Option(min=1, help="Refused after this many days; default: never.")
    ] = None,
) -> None:
    """Print a new bearer token (shown once; only its hash is kept)."""
    checked = _role(role)

    async def work(store: AuthStore) -> str:
        info, secret = await store.create_token(
            user,
            role=checked,
            label=label,
            expires_in=timedelta(days=expires_days) if expires_days else None,
        )
        await store.audit(
            _operator(), "token.create", target_kind="token", target=str(info.id),
            data={"user": info.user, "role": info.role},
        )  # fmt: skip
        typer.echo(
            f"Token {info.id} for {info.user} ({info.role})"
            + (f", expires {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else ""),
            err=True,
        )
        return secret

    typer.echo(_with_store(work))


@token_app.command("revoke")
def revoke_token(
    token_or_id: Annotated[str, typer.Argument(help="The token itself, or its id.")],
) -> None:
    """Revoke a token: it is refused from the next request on."""

    async def work(store: AuthStore) -> None:
        info = await store.revoke_token(token_or_id)
        await store.audit(_operator(), "token.revoke", target_kind="token", target=str(info.id))
        console.print(f"Token {info.id} of {info.user} revoked.")

    _with_store(work)


@token_app.command("list")
def list_tokens() -> None:
    """Tokens with their owner, role and state (never the token itself)."""

    async def work(store: AuthStore) -> None:
        table = Table("id", "user", "role", "label", "created", "expires", "state")
        for info in await store.tokens():
            state = "revoked" if info.revoked_at else "active"
            table.add_row(
                str(info.id),
                info.user,
                info.role,
                info.label,
                f"{info.created_at:%Y-%m-%d}",
                f"{info.expires_at:%Y-%m-%d}" if info.expires_at else "never",
                state,
            )
        console.print(table)

    _with_store(work)


@user_app.command("create")
def create_user(
    email: Annotated[str, typer.Argument(help="Sign-in e-mail.")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Single sign-on or tokens only.")
    ] = False,
) -> None:
    """Create a user; the password is asked for (twice) unless given on standard input."""
    checked = _role(role)
    password: str | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not no_password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(store: AuthStore) -> None:
        user = await store.create_user(email, role=checked, display_name=name, password=password)
        await store.audit(
            _operator(), "user.create", target_kind="user", target=user.email,
            data={"role": user.role},
        )  # fmt: skip
        console.print(f"User {user.email} ({user.role}) created.")

    _with_store(work)


@user_app.command("update")
def update_user(
    email: Annotated[str, typer.Argument(help="Sign-in e-mail.")],
    role: Annotated[str | None, typer.Option(help=ROLE_HELP)] = None,
    active: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Allow or refuse sign-in.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="New password from standard input.")
    ] = False,
) -> None:
    """Change a user's role, enable or disable them, or set a new password."""
    checked = _role(role) if role is not None else None
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None

    async def work(store: AuthStore) -> None:
        user = await store.update_user(email, role=checked, active=active, password=password)
        await store.audit(
            _operator(), "user.update", target_kind="user", target=user.email,
            data={"role": user.role, "active": user.active, "password": password is not None},
        )  # fmt: skip
        console.print(f"User {user.email}: {user.role}, {'active' if user.active else 'disabled'}.")

    _with_store(work)


@user_app.command("unlock")
def unlock_user(
    email: Annotated[str | None, typer.Argument(help="Sign-in e-mail.")] = None,
    address: Annotated[
        str | None, typer.Option(help="A client address locked by failed sign-ins.")
    ] = None,
) -> None:
    """Lift a lock that failed sign-ins put on an account (or an address) before it ends."""
    if email is None and address is None:
        raise typer.BadParameter("give an e-mail, --address, or both")
    targets = [("user", email.strip().lower()[:255])] if email else []
    targets += [("address", address)] if address else []

    async def work(store: AuthStore) -> None:
        for kind, target in targets:
            await store.audit(_operator(), "login.unlock", target_kind=kind, target=target)
            console.print(f"Sign-in unlocked for {kind} {target}.")

    _with_store(work)


@user_app.command("list")
def list_users() -> None:
    async def work(store: AuthStore) -> None:
        table = Table("e-mail", "name", "role", "state", "password")
        for user in await store.users():
            table.add_row(
                user.email,
                user.display_name,
                user.role,
                "active" if user.active else "disabled",
                "yes" if user.has_password else "no",
            )
        console.print(table)

    _with_store(work)
