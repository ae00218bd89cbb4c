"""The console in a real headless Chromium (Debian's, driven by Playwright): an agent signs in,
takes an escalation, sees the user's reply arrive live, answers, and the user's channel receives
the answer over real HTTP. Two app processes' worth of services share the database and Redis: the
user talks to one, the agent's console is served by the other."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from playwright.async_api import Browser, Page, expect

from bot.app.services import open_services
from bot.app.web import create_app
from bot.kernel.domain import Reply
from bot.services import Components, Services
from bot.settings import load_settings
from tests.bot.auth.helpers import bearer
from tests.browser import ARTIFACTS, chromium, csp_violations, served

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "agent-password-42"
ANN = "ann@norvane.example"


class Recorder:
    """The user's side of a chat channel: an HTTP endpoint keeping what was pushed to it."""

    def __init__(self) -> None:
        self.pushed: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.app = FastAPI()

        @self.app.post("/push")
        async def push(request: Request) -> dict[str, bool]:
            self.pushed.append(await request.json())
            self.arrived.set()
            return {"ok": True}

    async def texts(self, count: int) -> list[str]:
        async def wait() -> None:
            while sum(len(p["replies"]) for p in self.pushed) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(wait(), timeout=15)
        return [reply["text"] for push in self.pushed for reply in push["replies"]]


class RecordingChannel:
    """A ChatChannel pushing over HTTP to the recorder, as Slack's or Teams' would to them."""

    name = "recorder"

    def __init__(self, url: str) -> None:
        self.url = url

    async def push(
        self, *, user_id: str, conversation_id: str | None, replies: list[Reply]
    ) -> None:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                self.url,
                json={
                    "user": user_id,
                    "conversation": conversation_id,
                    "replies": [r.model_dump(mode="json") for r in replies],
                },
            )
            response.raise_for_status()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def two_processes(
    components: Components, tmp_path: Path
) -> AsyncIterator[tuple[Services, Services]]:
    """The services of two app processes: one database, one Redis."""
    opened = []
    for name in ("console", "chat"):
        settings = load_settings(
            data_dir=tmp_path / name,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}",
            redis_url=REDIS_URL,
        )
        opened.append(await open_services(settings, components))
    try:
        yield opened[0], opened[1]
    finally:
        for services in opened:
            await services.close()


async def _sign_in(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/console")
    await expect(page).to_have_url(f"{base}/console/login?next=/console")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


async def test_an_agent_takes_over_and_the_user_gets_the_answer(
    browser: Browser, two_processes: tuple[Services, Services]
) -> None:
    console_services, chat_services = two_processes
    recorder = Recorder()
    await console_services.auth.create_user(
        "zoe@norvane.example", role="agent", display_name="Zoé", password=PASSWORD
    )
    await console_services.auth.create_user(ANN, role="employee", password=PASSWORD)
    async with served(recorder.app) as recorder_url:
        for services in two_processes:
            services.channels.register("recorder", RecordingChannel(f"{recorder_url}/push"))
        console_app = create_app(console_services.settings, console_services)
        chat_app = create_app(chat_services.settings, chat_services)
        async with (
            served(console_app) as console,
            served(chat_app) as chat,
            httpx.AsyncClient(
                base_url=chat, headers=await bearer(chat_services, role="employee", email=ANN)
            ) as ann,
        ):
            context = await browser.new_context(base_url=console, locale="en-GB")
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            violations = csp_violations(page)
            await _sign_in(page, console, "zoe@norvane.example")
            await expect(page.get_by_role("heading", name="Escalations")).to_be_visible()
            await expect(page.get_by_text("No escalation.")).to_be_visible()

            # Ann asks for a human on the other process: her row appears without a reload.
            conversation = (
                await ann.post("/api/v1/conversations", json={"user": ANN, "channel": "recorder"})
            ).json()
            messages = f"/api/v1/conversations/{conversation['id']}/messages"
            await ann.post(messages, json={"text": "my vpn keeps dropping at the hotel"})
            await ann.post(messages, json={"text": "/human_handoff"})
            row = page.locator("#queue-rows tr", has_text=ANN)
            await expect(row).to_contain_text("Network")
            await expect(row).to_contain_text("my vpn keeps dropping at the hotel")

            await row.get_by_role("link", name=ANN).click()
            await expect(page.locator("#status")).to_have_text("waiting")
            await page.get_by_role("button", name="Take it").click()
            await expect(page.locator("#status")).to_have_text("taken")
            await expect(page.locator("#ticket-status")).to_have_text("assigned")
            assert await recorder.texts(1) == [
                "Zoé, a service desk agent, has joined the conversation."
            ]

            # The bot is silent now; Ann's message shows up live in the console.
            silent = await ann.post(messages, json={"text": "error 809 on the VPN client"})
            assert silent.json()["replies"] == []
            await expect(page.locator("#transcript li.user").last).to_contain_text(
                "error 809 on the VPN client"
            )

            await page.get_by_label(f"Write to {ANN}").fill("Switch the VPN to TCP 443, please.")
            await page.get_by_role("button", name="Send").click()
            texts = await recorder.texts(2)
            assert texts[-1] == "Switch the VPN to TCP 443, please."
            assert recorder.pushed[-1]["replies"][-1]["sender"] == "Zoé"
            assert recorder.pushed[-1]["user"] == ANN
            assert recorder.pushed[-1]["conversation"] == conversation["id"]
            await expect(page.locator("#transcript li.agent").last).to_contain_text("TCP 443")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "console-escalation.png"), full_page=True)
            transcript = (await ann.get(f"/api/v1/conversations/{conversation['id']}")).json()
            assert transcript["transcript"][-1]["role"] == "agent"

            await page.get_by_role("button", name="Hand back to the bot").click()
            await expect(page.locator("#status")).to_have_attribute("data-status", "returned")
            await expect(page.locator("#status")).to_have_text("back with the bot")
            back = await ann.post(messages, json={"text": "thanks!"})
            assert back.json()["replies"], "the bot answers again"
            assert errors == []
            assert violations == []
            await context.close()

            # An employee account gets no console page and no console API.
            employee = await browser.new_context(base_url=console, locale="en-GB")
            refused = await employee.new_page()
            await _sign_in(refused, console, ANN)
            await expect(
                refused.get_by_role("heading", name="The console is for the service desk")
            ).to_be_visible()
            api = await refused.request.get(f"{console}/api/v1/escalations")
            assert api.status == 403
            await employee.close()


async def _form_sign_in(page: Page, base: str, email: str, password: str, target: str) -> None:
    await page.goto(f"{base}/console/login?next={target}")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.locator("form button[type=submit]").click()


async def _employee_reads_the_incident_an_agent_has(
    browser: Browser, base: str, reference: str
) -> None:
    """Max opens the hand-off's ticket while Zoé has it: her name, never her address."""
    context = await browser.new_context(base_url=base, locale="fr-FR", timezone_id="Europe/Paris")
    mine = await context.new_page()
    await _form_sign_in(mine, base, "max@norvane.example", PASSWORD, f"/tickets/{reference}")
    await expect(mine.locator("#ticket-group")).to_have_text("Zoe")
    await expect(mine.locator("#ticket-status")).to_have_text("assigné")
    assert "zoe@norvane.example" not in await mine.content()
    await mine.screenshot(path=str(ARTIFACTS / "ticket-incident-fr.png"), full_page=True)
    await mine.goto(f"{base}/tickets/{reference}?lang=en")
    await expect(mine.locator("#ticket-status")).to_have_text("assigned")
    await mine.screenshot(path=str(ARTIFACTS / "ticket-incident-en.png"), full_page=True)
    await context.close()


async def test_an_agent_in_new_york_resolves_a_hand_off_after_an_order_in_french_and_english(
    browser: Browser, services: Services
) -> None:
    """Issue 14: the hand-off is its own ticket, what the user pressed is named, times are the
    agent's (New York), every console page speaks French; screenshots in both languages."""
    from tests.bot.console.test_handoff_tickets import _order_waiting_for_approval
    from tests.bot.dialogue.chat import Chat

    await services.auth.create_user("zoe@norvane.example", role="agent", password=PASSWORD)
    await services.auth.create_user("max@norvane.example", role="employee", password=PASSWORD)
    chat = await Chat.start(services, user="max@norvane.example", channel="web", language="fr")
    await chat.say("écran externe noir après la mise en veille sur la station d'accueil")
    request = await _order_waiting_for_approval(services, chat, language="fr")
    await chat.say("/human_handoff")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app = create_app(services.settings, services)
    async with app.router.lifespan_context(app), served(app) as base:
        context = await browser.new_context(
            base_url=base, locale="fr-FR", timezone_id="America/New_York"
        )
        page = await context.new_page()
        violations = csp_violations(page)
        await _form_sign_in(page, base, "zoe@norvane.example", PASSWORD, "/console")
        await expect(page.locator("h1")).to_have_text("File d'attente")
        await page.reload()  # zone.js has set the cookie: times in New York's zone
        due = page.locator("#queue-rows time").first
        await expect(due).to_contain_text(" EST")  # the agent's zone, named
        channels = await page.locator("select[name=channel] option").all_inner_texts()
        assert channels[1:] == ["web"]  # a choice of the escalations' channels
        await page.screenshot(path=str(ARTIFACTS / "console-queue-fr.png"), full_page=True)

        await page.locator("#queue-rows a").first.click()
        transcript = page.locator("#transcript")
        await expect(transcript).to_contain_text("Choisi\u00a0: Oui")
        assert "/affirm" not in await transcript.inner_text()
        await expect(page.locator(".facts")).to_contain_text("écran externe noir après")
        await page.locator("#take").click()
        await expect(page.locator("#ticket-status")).to_have_text("assigné")
        facts = await page.locator(".facts").inner_text()
        assert request not in facts and "INC-" in facts
        await expect(page.locator("#reason")).to_have_text("a demandé un technicien")
        await expect(transcript.locator("strong").first).to_be_visible()  # the bot's Markdown
        assert "**" not in await transcript.inner_text()
        await page.screenshot(path=str(ARTIFACTS / "console-escalation-fr.png"), full_page=True)
        incident = (await services.tickets.find(kind="incident", limit=1))[0].reference
        await _employee_reads_the_incident_an_agent_has(browser, base, incident)
        await page.locator("#resolve").click()
        await expect(page.locator("#status")).to_have_text("résolu")
        order = await services.tickets.get(request)
        assert order.status == "pending" and order.resolved_at is None

        await page.goto(f"{base}/console/kpis")
        await expect(page.locator("#definitions")).to_be_visible()
        body = await page.locator("main").inner_text()
        assert "README" not in body and "Definitions" not in body
        assert re.fullmatch(r"\d+(,\d)?\s?(min|h|j)", await page.locator("#kpi-mtta .figure")
                            .evaluate("e => e.firstChild.textContent"))  # fmt: skip
        assert ">request<" not in await page.content()
        await page.screenshot(path=str(ARTIFACTS / "console-kpis-fr.png"), full_page=True)
        for name in ("gaps", "notices"):
            await page.goto(f"{base}/console/{name}")
            await page.screenshot(path=str(ARTIFACTS / f"console-{name}-fr.png"), full_page=True)
        for name, path in (("queue", "/console?lang=en"), ("kpis", "/console/kpis")):
            await page.goto(f"{base}{path}")
            await page.screenshot(path=str(ARTIFACTS / f"console-{name}-en.png"), full_page=True)
        await page.goto(f"{base}/console?status=resolved")
        await page.locator("#queue-rows a").first.click()
        await expect(page.locator("#transcript")).to_contain_text("Chose: Oui")
        await page.screenshot(path=str(ARTIFACTS / "console-escalation-en.png"), full_page=True)
        assert violations == []
        await context.close()

        employee = await browser.new_context(
            base_url=base, locale="fr-FR", timezone_id="Europe/Paris"
        )
        mine = await employee.new_page()
        await _form_sign_in(mine, base, "max@norvane.example", PASSWORD, f"/tickets/{request}")
        fields = mine.locator("#request-fields")
        await expect(fields).to_contain_text("Lieu de livraison")
        await mine.reload()
        await expect(mine.locator(".facts")).to_contain_text(" CET")
        await expect(mine.locator("h1")).to_contain_text("Commande\u00a0: Écran 24 pouces")
        await expect(mine.locator("#waiting-for")).to_have_text(
            "en attente de l'approbation de Claire Martin"  # max's manager, from the directory
        )
        await mine.screenshot(path=str(ARTIFACTS / "ticket-request-fr.png"), full_page=True)
        await mine.goto(f"{base}/tickets/{request}?lang=en")
        await expect(fields).to_contain_text("Delivery location")
        await expect(mine.locator("#waiting-for")).to_have_text("awaiting Claire Martin's approval")
        await mine.screenshot(path=str(ARTIFACTS / "ticket-request-en.png"), full_page=True)
        await mine.goto(f"{base}/console?lang=fr")
        await expect(mine.locator("h1")).to_have_text(
            "La console est réservée au centre de services"
        )
        await mine.screenshot(path=str(ARTIFACTS / "console-refused-fr.png"), full_page=True)
        await employee.close()
