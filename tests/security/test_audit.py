"""The audit log keeps who did what; never a password typed into the wrong field."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.services import Services
from bot.storage.tables import AuditRow

PASSWORD = "correct horse 42"
HTML = {"Accept": "text/html"}


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} in the page"
    return match.group(1)


async def _sign_in(app: FastAPI, email: str, password: str) -> int:
    """The real sign-in form, its CSRF token included, as a browser sends it."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test", headers=HTML
    ) as browser:
        form = await browser.get("/console/login")
        answer = await browser.post(
            "/console/login",
            data={
                "email": email,
                "password": password,
                "csrf_token": _hidden(form.text, "csrf_token"),
            },
        )
    return answer.status_code


async def _audit_rows(services: Services) -> list[AuditRow]:
    async with services.database.sessions() as session:
        return list((await session.scalars(select(AuditRow).order_by(AuditRow.id))).all())


@pytest.mark.parametrize(
    "typed",
    ["Hunter2!Winter", "Tr0ub4dor&3 and more", "zoe@norvane.example Hunter2!Winter"],
)
async def test_a_password_typed_in_the_sign_in_email_field_is_not_kept_in_the_audit_log(
    app: FastAPI, services: Services, typed: str
) -> None:
    await services.auth.create_user("zoe@norvane.example", role="agent", password=PASSWORD)
    assert await _sign_in(app, typed, "whatever") == 401

    rows = await _audit_rows(services)
    failed = [row for row in rows if row.action == "login.failed"]
    assert len(failed) == 1
    for row in rows:
        kept = " ".join([row.actor, row.target, str(row.data)])
        assert "Hunter2" not in kept and "Tr0ub4dor" not in kept, kept
    assert failed[0].actor == failed[0].target == "[REDACTED:identifier]"


async def test_a_failed_sign_in_with_a_real_email_is_still_recorded_under_that_email(
    app: FastAPI, services: Services
) -> None:
    await services.auth.create_user("zoe@norvane.example", role="agent", password=PASSWORD)
    assert await _sign_in(app, " Zoe@Norvane.example ", "not the password") == 401
    assert await _sign_in(app, "zoe@norvane.example", PASSWORD) == 303

    rows = await _audit_rows(services)
    assert [(row.action, row.actor, row.target) for row in rows] == [
        ("login.failed", "zoe@norvane.example", "zoe@norvane.example"),
        ("login", "zoe@norvane.example", "zoe@norvane.example"),
    ]
