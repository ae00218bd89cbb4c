"""Approvals in the console, over HTTP on the real app: the list (the service desk's first,
marked, people named), an agent's decision on those the service desk has and not on the others,
CSRF, the JSON list, and the live feed hearing an escalation."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from html import unescape

import httpx
import pytest
from fastapi import FastAPI

from bot.console.live import ESCALATIONS
from bot.kernel.domain import utcnow
from bot.services import Services
from tests.bot.auth.helpers import bearer
from tests.bot.console.helpers import hidden, open_browser
from tests.bot.tickets.test_approvals import CLAIRE, JOHN, MARIE, PAUL, on_the_web, order_monitor

pytestmark = pytest.mark.slow
PASSWORD = "correct horse 42"
ZOE = "zoe@norvane.example"
ADMIN = "ada@norvane.example"


async def _sign_in(browser: httpx.AsyncClient, email: str) -> str:
    """Sign `browser` in to the console as `email`; its session's CSRF token."""
    form = await browser.get("/console/login")
    answer = await browser.post(
        "/console/login",
        data={"email": email, "password": PASSWORD, "csrf_token": hidden(form.text, "csrf_token")},
    )
    assert answer.status_code == 303, answer.text
    page = await browser.get("/console/approvals")
    return hidden(page.text, "csrf_token")


def _rows(page: str) -> list[str]:
    """The list's rows, in order, as text."""
    body = page.split('id="approval-rows"', 1)[1].split("</tbody>", 1)[0]
    return [unescape(re.sub(r"<[^>]+>", " ", row)) for row in body.split("<tr")[1:]]


async def three_waiting(services: Services) -> tuple[str, str, str]:
    """Marie's order escalated after her manager said nothing; Paul's the service desk's from
    the start (he has no manager); John's, asked later, still with his manager Claire."""
    await on_the_web(services, CLAIRE)
    marie = (await order_monitor(services, MARIE)).reference
    paul = (await order_monitor(services, PAUL)).reference
    later = utcnow() + timedelta(hours=services.settings.approvals.escalate_after_hours + 1)
    services.approvals.clock = lambda: later
    async with services.events.subscribe(ESCALATIONS) as events:
        assert await services.approvals.check_overdue() == (0, 1)
        _topic, heard = await asyncio.wait_for(anext(events), 5)
    # the live feed tells the console at once, naming nobody
    assert heard == {
        "type": "approval", "change": "escalated", "reference": marie, "service_desk": True,
    }  # fmt: skip
    john = (await order_monitor(services, JOHN, "en")).reference
    return marie, paul, john


async def test_the_desks_approvals_come_first_and_an_agent_decides_them(
    app: FastAPI, services: Services
) -> None:
    await services.auth.create_user(ZOE, role="agent", password=PASSWORD)
    marie, paul, john = await three_waiting(services)
    async with open_browser(app) as browser:
        csrf = await _sign_in(browser, ZOE)
        page = await browser.get("/console/approvals?lang=en")
        assert page.status_code == 200
        assert "@norvane.example" not in page.text  # names, never addresses
        first, second, third = _rows(page.text)
        assert marie in first and "Marie Dupont" in first and '24" monitor' in first
        assert "Delivery location: Lyon office" in first and "190 EUR" in first
        assert "Service desk" in first and "Escalated" in first and "Claire Martin" in first
        assert paul in second and "Paul Bernard" in second
        assert "The requester has no manager in the directory" in second
        assert john in third and "Claire Martin" in third and "the requester's manager" in third
        assert "Waiting for the approver" in third
        # the buttons only where the agent may decide: the service desk's two
        assert f"/console/approvals/{marie}/approve" in page.text
        assert f"/console/approvals/{paul}/reject" in page.text
        assert f"/console/approvals/{john}/approve" not in page.text
        french = await browser.get("/console/approvals?lang=fr")
        french_text = unescape(french.text)
        assert "Demandes en attente d'approbation" in french_text
        assert "Escaladée" in french_text and "Centre de services" in french_text
        assert "Lieu de livraison\u00a0: Site de Lyon" in french_text
        queue = await browser.get("/console?lang=en")
        assert "2 approvals wait for the service desk" in queue.text and marie in queue.text

        # without the session's CSRF token: refused, nothing changes
        forged = await browser.post(f"/console/approvals/{marie}/approve", data={})
        assert forged.status_code == 403
        assert (await services.tickets.get(marie)).details["approval"] == "waiting"
        # John's is still his manager's: the agent is refused, with the reason
        refused = await browser.post(
            f"/console/approvals/{john}/approve", data={"csrf_token": csrf}
        )
        assert refused.status_code == 303 and "error=" in refused.headers["location"]
        shown = await browser.get(refused.headers["location"])
        assert "only its approver, an administrator or, once escalated" in unescape(shown.text)
        assert (await services.tickets.get(john)).status == "pending"

        async with services.events.subscribe(ESCALATIONS) as events:
            rejected = await browser.post(
                f"/console/approvals/{marie}/reject",
                data={"csrf_token": csrf, "reason": "Monitors are in the Lyon stock room"},
            )
            assert rejected.status_code == 303
            _topic, heard = await asyncio.wait_for(anext(events), 5)
        assert heard["change"] == "rejected" and heard["reference"] == marie
        done = await browser.get(rejected.headers["location"] + "&lang=en")
        assert f"{marie} rejected: the requester is told." in done.text
        assert marie not in "".join(_rows(done.text))
        ticket = await services.tickets.get(marie)
        assert ticket.status == "rejected" and ticket.details["approver_decision_by"] == ZOE
        assert ticket.details["approval_reason"] == "Monitors are in the Lyon stock room"
        assert ticket.details["approver_decision_name"] == "Zoe"  # the directory's name
        history = await services.tickets.store.history(marie)
        assert [e.actor for e in history if e.kind == "approval"] == [ZOE]
        audit = await services.auth.audit_entries(actor=ZOE, target=marie)
        assert [e.action for e in audit] == ["ticket.approval"]

        approved = await browser.post(
            f"/console/approvals/{paul}/approve", data={"csrf_token": csrf}
        )
        assert approved.status_code == 303
        assert (await services.tickets.get(paul)).status == "assigned"
        again = await browser.post(f"/console/approvals/{paul}/reject", data={"csrf_token": csrf})
        assert "already approved by Zoe" in unescape(
            (await browser.get(again.headers["location"])).text
        )

    # an admin may decide on any, John's included
    await services.auth.create_user(ADMIN, role="admin", password=PASSWORD)
    async with open_browser(app) as admin:
        admin_csrf = await _sign_in(admin, ADMIN)
        assert f"/console/approvals/{john}/approve" in (await admin.get("/console/approvals")).text
        await admin.post(f"/console/approvals/{john}/approve", data={"csrf_token": admin_csrf})
        assert (await services.tickets.get(john)).details["approver_decision_by"] == ADMIN
        empty = await admin.get("/console/approvals?lang=en")
        assert "No request is waiting for approval." in empty.text


async def test_the_json_list_names_people_and_says_who_may_decide(
    app: FastAPI, services: Services
) -> None:
    marie, paul, john = await three_waiting(services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
    ) as client:
        employee = await bearer(services, role="employee", email=JOHN)
        assert (await client.get("/api/v1/approvals", headers=employee)).status_code == 403
        agent = await bearer(services, role="agent", email=ZOE)
        listed = (await client.get("/api/v1/approvals?lang=fr", headers=agent)).json()
    assert [(r["reference"], r["service_desk"], r["may_decide"]) for r in listed] == [
        (marie, True, True), (paul, True, True), (john, False, False),
    ]  # fmt: skip
    assert listed[0]["approvers"] == ["Claire Martin"] and listed[0]["escalated_at"]
    assert listed[1]["why"] == "Le demandeur n'a pas de manager dans l'annuaire"
    assert "@" not in str([(r["requester"], r["approvers"]) for r in listed])
