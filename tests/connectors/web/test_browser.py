"""The widget in a real headless Chromium (Debian's, driven by Playwright), on the demo intranet
page served by uvicorn: what an employee does with the mouse and the keyboard."""

from __future__ import annotations

import asyncio
import contextlib
import re

import pytest
from playwright.async_api import Error, Page, Route, expect

from bot.services import Services
from tests.browser import ARTIFACTS
from tests.connectors.web.conftest import MARIE

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def open_widget(page: Page, path: str = "/") -> None:
    await page.goto(path)
    await page.get_by_role("button", name="IT help").click()
    await expect(page.get_by_role("combobox")).to_be_focused()


async def type_query(page: Page, text: str) -> None:
    await page.get_by_role("combobox").press_sequentially(text, delay=30)
    await expect(page.locator("#g-count")).to_have_text(re.compile(r"\d+ suggestions?"))


async def test_suggestions_as_you_type_with_the_keyboard_then_an_article(page: Page) -> None:
    await open_widget(page)
    combobox = page.get_by_role("combobox")
    await expect(combobox).to_have_attribute("aria-expanded", "false")
    async with page.expect_response(lambda r: "suggest?q=vpn+hotel&" in r.url) as answered:
        await type_query(page, "vpn hotel")
    served = await (await answered.value).json()
    await expect(combobox).to_have_attribute("aria-expanded", "true")
    listbox = page.get_by_role("listbox")
    assert await combobox.get_attribute("aria-controls") == await listbox.get_attribute("id")
    options = listbox.get_by_role("option")
    count = await options.count()
    assert count >= 3
    await expect(page.locator("#g-count")).to_have_text(f"{count} suggestions")
    # One list best first, as the server ranked it whatever the kinds: each heading once, the
    # kind of each entry a badge on its row.
    titles = await options.locator(".title").all_inner_texts()
    assert titles == [s["title"] for s in served["suggestions"]]
    groups = [g.upper() for g in await listbox.locator(".group-label").all_inner_texts()]
    assert len(groups) == len(set(groups)) and groups[-1] == "STILL STUCK?"
    sure = "BEST MATCHES" if served["confident"] else "NOT SURE, PERHAPS ONE OF THESE"
    assert groups[0] == sure
    kinds = await listbox.locator(".kind").all_inner_texts()
    assert "Help article" in kinds and len(kinds) == count - 2  # not on the two fallbacks
    assert await listbox.locator("mark").count() > 0  # the typed words are highlighted

    types = [await options.nth(i).get_attribute("data-type") for i in range(count)]
    await combobox.press("ArrowDown")
    first = await options.nth(0).get_attribute("id")
    await expect(combobox).to_have_attribute("aria-activedescendant", first or "")
    await expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    await combobox.press("ArrowDown")
    await expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    await expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    await combobox.press("ArrowUp")
    await expect(combobox).to_have_attribute("aria-activedescendant", first or "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "omnibox.png"))

    await combobox.press("Escape")  # first Escape closes the list, keeps the text
    await expect(listbox).to_be_hidden()
    await expect(combobox).to_have_attribute("aria-expanded", "false")
    await expect(combobox).to_have_value("vpn hotel")

    article = types.index("procedure") if "procedure" in types else types.index("known_error")
    for _ in range(article + 1):
        await combobox.press("ArrowDown")
    await combobox.press("Enter")
    await page.wait_for_url(re.compile(r"/kb/en/[a-z0-9-]+\?q=vpn\+hotel$"))
    await expect(page.locator("article h1")).to_contain_text(re.compile("VPN|Wi-Fi|hotel", re.I))


async def test_a_stale_answer_never_replaces_a_newer_one(page: Page) -> None:
    """The first query's answer is held back until the second one has been shown."""
    await open_widget(page)
    held: list[Route] = []

    async def slow_first(route: Route) -> None:
        if "q=printer" in route.request.url and not held:
            held.append(route)
            return  # answered later, after the newer query
        await route.continue_()

    await page.route("**/widget/api/suggest?*", slow_first)
    combobox = page.get_by_role("combobox")
    await combobox.fill("printer")
    await page.wait_for_timeout(400)
    await combobox.fill("password")
    listbox = page.get_by_role("listbox")
    await expect(listbox.get_by_role("option").first).to_contain_text(re.compile("password", re.I))
    assert held, "the first query was never sent"
    with contextlib.suppress(Error):  # the widget may have aborted it already
        await held[0].continue_()  # the old answer arrives after the newer one
    await page.wait_for_timeout(500)
    titles = " ".join(await listbox.locator(".title").all_inner_texts())
    assert "assword" in titles and "rinter" not in titles


async def test_a_password_reset_in_the_chat_panel(page: Page, web_services: Services) -> None:
    await open_widget(page)
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    await page.route("**/widget/api/conversations/*/messages", hold)
    combobox = page.get_by_role("combobox")
    await combobox.fill("I forgot my password")
    await combobox.press("Enter")  # no suggestion chosen: the text goes to the chat
    typing = page.locator(".typing")
    await expect(typing).to_be_visible()  # while Guichet answers
    await expect(typing).to_have_text("Guichet is typing…")
    release.set()
    await expect(typing).to_be_hidden()
    await page.unroute("**/widget/api/conversations/*/messages", hold)
    log = page.get_by_role("log")
    await expect(log).to_contain_text("I forgot my password")
    await expect(log.locator(".message.bot").last).to_contain_text("code")
    inbox = web_services.self_service.demo_inbox
    assert inbox is not None
    sent = [m.message.code for m in inbox.messages]  # oldest first
    assert sent, "no code was sent to the demo user"
    await page.get_by_role("textbox", name="Your reply").fill(sent[-1])
    await page.get_by_role("button", name="Send").click()
    link = log.locator("a.link[href*='/password/reset/']").last
    await expect(link).to_be_visible()
    assert "/password/reset/" in (await link.get_attribute("href") or "")
    await page.reload()  # what is kept of the conversation shows no one-time code
    await expect(page.get_by_role("log")).to_contain_text("••••••")
    await expect(page.get_by_role("log")).not_to_contain_text(sent[-1])


async def test_a_ticket_through_the_chat_kept_after_a_reload_and_its_update_pushed(
    page: Page, web_services: Services
) -> None:
    await open_widget(page)
    combobox = page.get_by_role("combobox")
    await type_query(page, "the docking station does not charge my laptop")
    await combobox.press("ArrowUp")  # from the top, up wraps to the end: "chat with an agent"
    await combobox.press("ArrowUp")
    active = page.locator("[role=option][aria-selected=true]")
    await expect(active).to_contain_text("Create a ticket with this text")
    await combobox.press("Enter")
    await expect(page.get_by_role("textbox", name="Your reply")).to_be_focused()
    log = page.get_by_role("log")
    await expect(log).to_contain_text("Who is affected?")
    await log.get_by_role("button", name="Only me").last.click()
    await log.get_by_role("button", name="It can wait").last.click()
    await expect(log).to_contain_text("Is it your Latitude 5550, PC-04512?")  # her laptop
    await log.get_by_role("button", name="Latitude 5550, PC-04512").last.click()
    await expect(log).to_contain_text("Shall I go ahead?")
    await log.get_by_role("button", name="Yes", exact=True).last.click()
    await expect(log).to_contain_text(re.compile(r"INC-\d+"))
    reference = re.search(r"INC-\d+", await log.inner_text())
    assert reference is not None
    ticket = await web_services.tickets.store.get(reference.group(0))
    assert ticket.requester == MARIE and "docking station" in ticket.description.lower()

    await page.reload()  # the panel reopens on the same conversation
    log = page.get_by_role("log")
    await expect(log).to_contain_text(reference.group(0))
    await expect(log).to_contain_text("Create a ticket with this text")  # what was pressed
    await expect(log).not_to_contain_text("/open_incident")  # not the payload

    notifier = web_services.notifier
    await notifier.notify(ticket, notifier.replies(ticket, status="resolved"))
    pushed = log.locator(".message.bot").last
    await expect(pushed).to_contain_text(reference.group(0), timeout=10_000)
    await expect(pushed.get_by_role("button")).to_have_count(2)


async def test_language_from_the_page_or_the_toggle_and_visitors_get_articles_only(
    page: Page,
) -> None:
    await page.goto("/?visitor=true")
    await page.get_by_role("button", name="FR", exact=True).click()  # the page's own switch
    await page.get_by_role("button", name="Aide informatique").click()
    combobox = page.get_by_role("combobox")
    await expect(combobox).to_have_attribute("placeholder", re.compile("Cherchez"))
    await expect(page.get_by_text("Connectez-vous à l'intranet")).to_be_visible()
    await type_query(page, "imprimante bloquée")
    types = await page.get_by_role("option").evaluate_all(
        "options => options.map(o => o.dataset.type)"
    )
    assert types and not {"create_ticket", "chat_agent"} & set(types)
    await page.get_by_role("button", name="EN", exact=True).last.click()  # the widget's toggle
    await expect(combobox).to_have_attribute("placeholder", re.compile("Search or describe"))
    await expect(page.get_by_role("dialog")).to_have_attribute("lang", "en")
    await combobox.press("Enter")  # a visitor's Enter opens the best suggestion
    await page.wait_for_url(re.compile(r"/(kb|catalog)/"))
