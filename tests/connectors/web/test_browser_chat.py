"""What an employee saw go wrong in the widget, in a real Chromium (issue 14): long messages,
Markdown shown literally, agents and old buttons, the keyboard in the open panel, phones, the
article page."""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import Browser, Page, Route, expect

from bot.kernel.domain import Reply
from bot.services import Services
from tests.browser import ARTIFACTS
from tests.connectors.web.conftest import MARIE
from tests.connectors.web.test_browser import open_widget

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def start_chat(page: Page, text: str) -> None:
    await open_widget(page)
    combobox = page.get_by_role("combobox")
    await combobox.fill(text)
    await combobox.press("Enter")
    await expect(page.get_by_role("log").locator(".message.bot").first).to_be_visible()


async def test_a_5000_character_message_is_refused_with_a_reason_and_can_be_edited(
    page: Page,
) -> None:
    await open_widget(page)
    combobox = page.get_by_role("combobox")
    await combobox.fill(("mon imprimante " * 334).strip())  # 5,009 characters
    await page.wait_for_timeout(400)
    failure = page.locator("#guichet-widget .failure")
    await expect(failure).to_be_hidden()  # a long search is not "cannot be reached"
    await combobox.press("Enter")  # nothing is sent: the text goes to the reply box, with why
    reply = page.get_by_role("textbox", name="Your reply")
    await expect(reply).to_be_focused()
    assert len(await reply.input_value()) == 5009  # not cut at 4,000
    await expect(failure).to_have_text(
        "Your message is too long: 5,009 characters, the limit is 4,000. Shorten it or split it."
    )
    send = page.get_by_role("button", name="Send")
    await expect(send).to_be_disabled()
    await expect(page.locator("#g-reply-count")).to_contain_text("too long")
    await expect(page.get_by_role("log").locator(".message.user")).to_have_count(0)

    await reply.fill("mon imprimante " * 259 + "ne marche pas")  # 3,898: near the limit
    await expect(page.locator("#g-reply-count")).to_have_text("3,898 / 4,000 characters")
    await expect(send).to_be_enabled()

    # The server is the last word: the same text lengthened on the way gets its real 422.
    async def lengthen(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["text"] += "x" * 1200
        await route.continue_(post_data=json.dumps(body))

    await page.route("**/widget/api/conversations/*/messages", lengthen)
    await send.click()
    await expect(failure).to_contain_text("too long: 5,098 characters, the limit is 4,000")
    await expect(failure).not_to_contain_text("{")  # never a JSON dump
    unsent = page.get_by_role("log").locator(".message.user.unsent")
    await expect(unsent).to_contain_text("Not sent")
    assert (await reply.input_value()).startswith("mon imprimante")  # kept to edit
    await page.unroute("**/widget/api/conversations/*/messages", lengthen)

    await reply.fill("mon imprimante ne marche plus")
    await send.click()  # Send works again
    log = page.get_by_role("log")
    await expect(log.locator(".message.user").last).to_have_text(
        re.compile("mon imprimante ne marche plus")
    )
    await expect(log.locator(".message.bot").last).to_be_visible()
    await expect(failure).to_be_hidden()


async def test_an_article_answer_shows_a_bold_title_not_asterisks(page: Page) -> None:
    await start_chat(page, "How do I connect to the VPN from a hotel?")
    log = page.get_by_role("log")
    await expect(log.locator(".message.bot").last).to_contain_text("solve")
    await expect(log.locator(".message.bot .bubble strong").first).to_contain_text("VPN")
    assert "**" not in await log.inner_text()
    rendered = await page.evaluate(
        """() => {
          const box = document.createElement("div");
          box.appendChild(window.GuichetMarkdown.render(
            "<img src=x onerror=alert(1)> **bold** *it* `code` [bad](javascript:alert(1))\\n" +
            "- one\\n- two [guide](/kb/en/vpn-connect)",
            (url) => { const u = new URL(url, location.href);
                       return /^https?:$/.test(u.protocol) ? u.href : null; },
            () => false));
          return box.innerHTML;
        }"""
    )
    assert "<img" not in rendered and "&lt;img src=x onerror=alert(1)&gt;" in rendered
    assert "<strong>bold</strong>" in rendered and "<em>it</em>" in rendered
    assert "<code>code</code>" in rendered and "javascript:" not in rendered
    assert "<ul><li>one</li><li>two <a href=" in rendered and "/kb/en/vpn-connect" in rendered


async def test_an_agents_message_shows_their_name_in_a_bubble_of_its_own(
    page: Page, web_services: Services
) -> None:
    await start_chat(page, "I need help with my screen")
    channel = web_services.channels.get("web")
    await channel.push(
        user_id=MARIE,
        conversation_id=None,
        replies=[Reply(text="Hi Marie, I am **looking** at it.", sender="Zoé Martin")],
    )
    said = page.get_by_role("log").locator(".message.agent").last
    await expect(said.locator(".author")).to_have_text("Zoé Martin, service desk")
    await expect(said.locator(".bubble strong")).to_have_text("looking")
    assert "@" not in await said.inner_text()
    color = await said.locator(".bubble").evaluate("b => getComputedStyle(b).backgroundColor")
    bot = page.get_by_role("log").locator(".message.bot .bubble").first
    assert color != await bot.evaluate("b => getComputedStyle(b).backgroundColor")


async def test_once_a_button_is_pressed_the_earlier_buttons_cannot_be_pressed(page: Page) -> None:
    await start_chat(page, "I want to open a ticket: the docking station does not charge")
    log = page.get_by_role("log")
    await expect(log).to_contain_text("Who is affected?")
    only_me = log.get_by_role("button", name="Only me").last
    asked = await log.locator(".message").count()
    others = log.locator(".message").nth(asked - 1).get_by_role("button")
    await only_me.click()
    await expect(log).to_contain_text("How urgent")
    for i in range(await others.count()):
        await expect(others.nth(i)).to_have_attribute("aria-disabled", "true")
        await expect(others.nth(i)).to_be_disabled()
    await expect(log.locator(".buttons button.chosen")).to_have_text("Only me")
    await expect(log.locator(".message").last.get_by_role("button").first).to_be_enabled()


async def test_tab_stays_in_the_open_omnibox_and_escape_returns_to_the_launcher(
    page: Page,
) -> None:
    await open_widget(page)
    focused = "() => document.activeElement?.shadowRoot?.activeElement?.textContent ?? null"
    inside = "() => document.activeElement?.id === 'guichet-widget'"
    await page.keyboard.press("Tab")  # from the search box: the language and close buttons
    assert await page.evaluate(focused) == "EN"
    seen: list[str | None] = []
    for _ in range(7):
        assert await page.evaluate(inside), seen
        seen.append(await page.evaluate(focused))
        await page.keyboard.press("Tab")
    assert seen == ["EN", "FR", "×", "", "EN", "FR", "×"] and await page.evaluate(inside)
    await expect(page.get_by_role("combobox")).to_be_focused()  # round to the search box
    await page.keyboard.press("Shift+Tab")
    assert await page.evaluate(inside)
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    await expect(page.get_by_role("button", name="IT help")).to_be_focused()


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_on_a_phone_the_panel_fills_the_screen_and_the_placeholder_fits(
    browser: Browser, live_server: str, language: str
) -> None:
    context = await browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, locale="en-GB"
    )
    page = await context.new_page()
    try:
        await page.goto("/")
        await page.get_by_role("button", name=language.upper(), exact=True).click()
        launcher = page.locator("#guichet-widget .launcher")
        await launcher.click()
        combobox = page.get_by_role("combobox")
        await expect(combobox).to_be_focused()
        await expect(launcher).to_be_hidden()  # not over the panel
        box = await page.get_by_role("dialog").bounding_box()
        assert box is not None and (box["width"], box["height"]) == (390, 844)
        fits = await combobox.evaluate(
            """input => {
              const style = getComputedStyle(input);
              const context = document.createElement("canvas").getContext("2d");
              context.font = `${style.fontSize} ${style.fontFamily}`;
              const room = input.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
              return context.measureText(input.placeholder).width <= room;
            }"""
        )
        assert fits, await combobox.get_attribute("placeholder")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"widget-phone-{language}.png"))
        await page.locator("#guichet-widget .close").click()
        await expect(launcher).to_be_visible()
    finally:
        await context.close()


async def test_the_article_page_shows_its_title_once_and_asks_if_it_helped(
    page: Page, web_services: Services
) -> None:
    await page.goto("/kb/en/account-locked?q=account+locked")
    title = await page.locator("article h1").inner_text()
    assert await page.get_by_text(re.compile(re.escape(title[:30]))).count() == 1
    feedback = page.get_by_role("region", name="Was this article helpful?")
    await feedback.get_by_role("button", name="Yes").click()
    await expect(feedback.get_by_role("status")).to_have_text(
        "Thank you: your answer helps us improve the help."
    )
    await expect(feedback.get_by_role("button", name="No")).to_be_disabled()
    signals = await web_services.feedback.signals()
    assert any(count > 0 for count in signals.helpful.values()), signals.helpful
    await page.goto("/kb/fr/account-locked")
    assert await page.locator(".feedback h2").inner_text() == "Cet article vous a-t-il aidé\u202f?"


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_screenshots_of_the_widget_on_a_desktop(page: Page, language: str) -> None:
    """What a person sees after a change: the omnibox and a chat answer, in each language."""
    await page.goto("/")
    await page.get_by_role("button", name=language.upper(), exact=True).click()
    await page.locator("#guichet-widget .launcher").click()
    combobox = page.get_by_role("combobox")
    await combobox.press_sequentially("reset pa" if language == "en" else "mot de pa", delay=30)
    await expect(page.locator("#g-count")).to_contain_text(re.compile(r"\d"))
    marks = [m.lower() for m in await page.get_by_role("listbox").locator("mark").all_inner_texts()]
    assert "pa" in marks and "pas" not in marks, marks  # the typed part, not "pas"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"widget-omnibox-{language}.png"))
    # A symptom whose answers are of several kinds: one list, each heading once.
    await combobox.fill("")
    symptom = "vpn drops" if language == "en" else "vpn ne marche"
    await combobox.press_sequentially(symptom, delay=30)
    listbox = page.get_by_role("listbox")
    await expect(listbox.locator(".title").first).to_contain_text(re.compile("vpn", re.I))
    headings = await listbox.locator(".group-label").all_inner_texts()
    assert len(headings) == len(set(headings)) == 2, headings
    await page.screenshot(path=str(ARTIFACTS / f"widget-omnibox-symptom-{language}.png"))
    # An application the knowledge base does not cover: the list says it is not sure.
    await combobox.fill("")
    unknown = "workday payslip not loading" if language == "en" else "fiche de paie workday"
    await combobox.press_sequentially(unknown, delay=30)
    unsure = {"en": "NOT SURE, PERHAPS ONE OF THESE", "fr": "PAS SÛR, PEUT-ÊTRE L'UN DE CEUX-CI"}
    await expect(listbox.locator(".group-label").first).to_have_text(
        re.compile(unsure[language], re.I)
    )
    await page.screenshot(path=str(ARTIFACTS / f"widget-omnibox-unsure-{language}.png"))
    await combobox.fill("vpn" if language == "en" else "le vpn ne se connecte pas")
    await combobox.press("Enter")
    await expect(page.get_by_role("log").locator(".message.bot").first).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / f"widget-chat-{language}.png"))
