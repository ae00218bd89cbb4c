"""A day at work, in French and in English, through real pages in headless Chromium: Marie
searches the omnibox, reads an article, resets her password, orders a monitor, reports a
broken printer, asks where her tickets are and asks for a person; Zoé, an agent, takes the
escalation in the console, writes to her live, resolves it; Marie says it still does not work.

Every step leaves a screenshot in var/test-artifacts/walkthrough/<language>/ for anyone to look
at after a change. What a person would check on each screen is gathered (`Walk.expect`) and
reported together at the end, so one run shows every wrong screen of the day; only what the
walk needs to go on (a button to press) stops it at once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect
from pydantic import SecretStr

from bot.app.services import open_services
from bot.app.web import create_app
from bot.kernel.language import Language
from bot.services import Components, Services
from bot.settings import load_settings
from bot.settings.web import WebSettings
from connectors.web.demo import DEMO_USER
from tests.browser import ARTIFACTS, chromium, served
from tests.connectors.web.conftest import ALLOWED_ORIGIN, ISSUER, PORTAL_KEY
from tests.walkthrough.walk import Walk

pytestmark = [pytest.mark.integration, pytest.mark.slow]

AGENT = "zoe.bernard@norvane.example"
AGENT_NAME = "Zoé Bernard"
PASSWORD = "agent-password-42"
REFERENCE = re.compile(r"\b(?:INC|REQ)-\d+\b")

# What Marie types and what she reads, in each language.
SAY: dict[Language, dict[str, str]] = {
    "fr": {
        "page_switch": "FR",
        "greeting": "Bonjour",
        "launcher": "Aide informatique",
        "search": "le vpn se coupe à l'hôtel",
        "article_badge": "Article d'aide",
        "still_stuck": "Toujours bloqué\u202f?",
        "article_title": "VPN|Wi-Fi|hôtel",
        "helpful": "utile|aidé",
        "forgot": "mot de passe oublié",
        "reset_action": "Réinitialiser mon mot de passe",
        "code_asked": "code à 6 chiffres",
        "reply": "Votre réponse",
        "send": "Envoyer",
        "verified": "Vous êtes vérifié",
        "order": "je voudrais commander un écran",
        "monitor": "Écran 24 pouces (Dell P2425H)",
        "location_asked": "Lieu de livraison",
        "location": "Site de Lyon",
        "shall_i": "Je valide",
        "location_line": "Lieu de livraison\u00a0: Site de Lyon",
        "yes": "Oui",
        "order_done": "est enregistrée",
        "printer": "mon imprimante n'imprime plus rien",
        "solved_asked": "Est-ce que cela a résolu votre problème",
        "not_solved": "Non, toujours un problème",
        "only_me": "Moi seulement",
        "can_wait": "Ça peut attendre",
        "ticket_done": "est créé avec la priorité",
        "status": "où en sont mes tickets ?",
        "open_tickets": "Vos tickets en cours",
        "order_title": "Écran 24 pouces",
        "human": "je veux parler à un technicien",
        "handed": "Je vous passe à un technicien",
        "console_heading": "File d'attente",
        "take": "Prendre en charge",
        "agent_message": "Bonjour Marie, je regarde votre imprimante\u00a0: pouvez-vous la "
        "redémarrer\u202f?",
        "resolved_asked": "Est-ce que tout fonctionne",
        "still_broken": "Non, toujours en panne",
        "reopened": "J'ai rouvert",
    },
    "en": {
        "page_switch": "EN",
        "greeting": "Good morning",
        "launcher": "IT help",
        "search": "vpn keeps dropping at the hotel",
        "article_badge": "Help article",
        "still_stuck": "Still stuck?",
        "article_title": "VPN|Wi-Fi|hotel",
        "helpful": "helpful",
        "forgot": "forgot my password",
        "reset_action": "Reset my password",
        "code_asked": "6-digit code",
        "reply": "Your reply",
        "send": "Send",
        "verified": "You're verified",
        "order": "I would like to order a monitor",
        "monitor": '24" monitor (Dell P2425H)',
        "location_asked": "Delivery location",
        "location": "Lyon office",
        "shall_i": "Shall I go ahead?",
        "location_line": "Delivery location: Lyon office",
        "yes": "Yes",
        "order_done": "is registered",
        "printer": "my printer does not print anymore",
        "solved_asked": "Did that solve your problem?",
        "not_solved": "No, still a problem",
        "only_me": "Only me",
        "can_wait": "It can wait",
        "ticket_done": "is created with priority",
        "status": "where are my tickets?",
        "open_tickets": "Your open tickets",
        "order_title": '24" monitor',
        "human": "I want to talk to a human",
        "handed": "passing you to a human agent",
        "console_heading": "Escalations",
        "take": "Take it",
        "agent_message": "Hello Marie, I'm looking at your printer: could you restart it?",
        "resolved_asked": "Does it work now",
        "still_broken": "No, still broken",
        "reopened": "I've reopened",
    },
}
LOCALES: dict[Language, str] = {"fr": "fr-FR", "en": "en-GB"}


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def guichet(components: Components, tmp_path: Path) -> AsyncIterator[Services]:
    """The whole app as `make run` starts it with the demo intranet: one database, the
    built-in demo directory (its second factor keeps the codes it sends), an agent account."""
    settings = load_settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}",
        web=WebSettings(
            portal_key=SecretStr(PORTAL_KEY),
            token_issuer=ISSUER,
            allowed_origins=[ALLOWED_ORIGIN],
            keepalive_seconds=0.5,
        ),
    )
    opened = await open_services(settings, components)
    await opened.auth.create_user(AGENT, role="agent", display_name=AGENT_NAME, password=PASSWORD)
    try:
        yield opened
    finally:
        await opened.close()


async def _context(browser: Browser, base: str, language: Language) -> BrowserContext:
    return await browser.new_context(
        base_url=base,
        viewport={"width": 1100, "height": 820},
        locale=LOCALES[language],
        timezone_id="Europe/Paris",
    )


class Widget:
    """Marie's side: the help button of the intranet page."""

    def __init__(self, page: Page, say: dict[str, str]) -> None:
        self.page, self.say = page, say
        self.panel = page.get_by_role("dialog")
        self.log = page.get_by_role("log")
        self.bot = page.locator(".message.bot")
        self.combobox = page.get_by_role("combobox")

    async def open(self) -> None:
        """Open the panel, unless it came back open by itself (it stays open across pages)."""
        launcher = self.page.get_by_role("button", name=self.say["launcher"], exact=True)
        await expect(launcher).to_be_visible()
        if await launcher.get_attribute("aria-expanded") != "true":
            await launcher.click()
        await expect(self.combobox).to_be_visible()

    async def tell(self, text: str) -> Locator:
        """Send `text` from the reply box; the first of Guichet's answers to it."""
        before = await self.bot.count()
        reply = self.page.get_by_role("textbox", name=self.say["reply"])
        await reply.fill(text)
        await self.page.get_by_role("button", name=self.say["send"], exact=True).click()
        return await self.answered(before)

    async def press(self, button: str) -> Locator:
        before = await self.bot.count()
        await self.log.get_by_role("button", name=button, exact=True).last.click()
        return await self.answered(before)

    async def answered(self, before: int) -> Locator:
        await expect(self.bot.nth(before)).to_be_visible()
        await expect(self.page.locator(".typing")).to_be_hidden()
        return self.bot.nth(before)

    async def bot_texts(self) -> list[str]:
        return await self.bot.locator(".bubble").all_inner_texts()


# A time of day with the zone it is in ("17:02 CET", "5:02 PM CET").
_TIME_WITH_ZONE = r"\d{1,2}[:h]\d{2}(?:\s*[AP]M)?\s*(?:CET|CEST|UTC[+-]\d|\(?Europe/Paris\)?)"


async def _employee_morning(walk: Walk, widget: Widget, services: Services) -> dict[str, str]:
    """The employee's steps up to the hand-off; the references of what she opened."""
    say, page = widget.say, widget.page
    found: dict[str, str] = {}

    walk.begin("intranet")
    await page.goto("/")
    await page.get_by_role("button", name=say["page_switch"], exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(say["greeting"])
    await walk.shot(page)
    await walk.speaks_its_language(page.locator("main"))

    walk.begin("omnibox-suggestions")
    await widget.open()
    await widget.combobox.press_sequentially(say["search"], delay=25)
    listbox = page.get_by_role("listbox")
    await expect(listbox.get_by_role("option").first).to_be_visible()
    await expect(page.locator("#g-count")).to_have_text(re.compile(r"\d+ suggestions?"))
    await walk.shot(page)
    options = listbox.get_by_role("option")
    walk.expect(await options.count() >= 3, "at least three suggestions for a common problem")
    groups = [g.upper() for g in await listbox.locator(".group-label").all_inner_texts()]
    walk.expect(
        len(groups) == len(set(groups)) and groups[-1] == say["still_stuck"].upper(),
        f"each heading once, the fallbacks last, named in the language (headings: {groups})",
    )
    kinds = await listbox.locator(".kind").all_inner_texts()
    walk.expect(
        say["article_badge"] in kinds,
        f"a help article's row says so, in the language (badges: {kinds})",
    )
    await walk.expect_that(
        expect(listbox).to_contain_text(re.compile(say["article_title"], re.I)),
        "an article about the problem among the suggestions",
    )
    await walk.speaks_its_language(widget.panel)

    walk.begin("article")
    article = listbox.locator(
        "[role=option][data-type=procedure], [role=option][data-type=known_error]"
    )
    await article.first.click()
    await page.wait_for_url(re.compile(rf"/kb/{walk.language}/[a-z0-9-]+(\?q=[^/]*)?$"))
    await expect(page.locator("h1").first).to_contain_text(re.compile(say["article_title"], re.I))
    await walk.shot(page)
    body = page.locator("body")
    await walk.expect_that(expect(body).not_to_contain_text("**"), "no Markdown shown literally")
    # Minor of issue 14 ("the article page repeats its title and has no 'was this helpful?'"),
    # fixed on the widget front-end branch.
    title = (await page.locator("h1").first.inner_text()).strip()
    walk.expect(
        (await body.inner_text()).count(title) == 1, f"the title shown once, not repeated: {title}"
    )
    await walk.expect_that(
        expect(page.get_by_text(re.compile(say["helpful"], re.I)).first).to_be_visible(
            timeout=1500
        ),
        "a 'was this helpful?' question under the article",
    )
    await walk.speaks_its_language(body)
    await walk.typeset([await page.locator("main, article").first.inner_text()])

    walk.begin("password-reset")
    await page.goto("/")
    await widget.open()
    await widget.combobox.press_sequentially(say["forgot"], delay=25)
    reset = listbox.get_by_role("option").filter(has_text=say["reset_action"])
    await reset.first.click()
    await expect(widget.bot.last).to_contain_text(say["code_asked"])
    inbox = services.self_service.demo_inbox
    assert inbox is not None
    sent = [m.message.code for m in inbox.messages]  # oldest first
    assert sent, "the demo directory sent no code to Marie"
    await widget.tell(sent[-1])
    link = widget.log.locator("a.link[href*='/password/reset/']").last
    await expect(link).to_be_visible()
    await walk.shot(page)
    await walk.expect_that(
        expect(widget.log).to_contain_text(say["verified"]), "told she is verified"
    )
    walk.expect(
        "/password/reset/" in (await link.get_attribute("href") or ""),
        "a one-time link to Guichet's password page",
    )
    walk.expect(
        "/password_reset" not in await widget.log.inner_text(), "what she chose, not its payload"
    )
    await walk.speaks_its_language(widget.panel)

    walk.begin("order-fields")
    await widget.tell(say["order"])
    await widget.press(say["monitor"])
    await expect(widget.bot.last).to_contain_text(say["location_asked"])
    await widget.press(say["location"])
    await expect(widget.bot.last).to_contain_text(say["shall_i"])
    await walk.shot(page)
    await walk.expect_that(
        expect(widget.bot.last).to_contain_text(say["location_line"]),
        "the summary lists the delivery location as chosen",
    )
    await walk.speaks_its_language(widget.panel)

    walk.begin("order-confirmed")
    confirmed = await widget.press(say["yes"])
    await expect(confirmed).to_contain_text(re.compile(r"REQ-\d+"))
    await walk.shot(page)
    match = REFERENCE.search(await confirmed.inner_text())
    assert match is not None
    found["order"] = match.group(0)
    await walk.expect_that(
        expect(confirmed).to_contain_text(say["order_done"]), "the order is registered"
    )
    # Minor of issue 14 ("the order confirmation links to the catalog page, not to the new
    # request"), fixed on the console/tickets branch.
    hrefs = await widget.log.locator("a.link").evaluate_all("links => links.map(a => a.href)")
    walk.expect(
        any(found["order"] in href for href in hrefs[-2:]),
        f"a link to the new request {found['order']} (links: {hrefs[-2:]})",
    )
    await walk.speaks_its_language(widget.panel)

    walk.begin("ticket-created")
    answer = await widget.tell(say["printer"])
    await expect(widget.log).to_contain_text(say["solved_asked"])
    # Defect 4 of issue 14 (Markdown shows literally), fixed on the widget front-end branch.
    await walk.expect_that(
        expect(answer).not_to_contain_text("**"), "an article's title without Markdown stars"
    )
    await widget.press(say["not_solved"])
    await widget.press(say["only_me"])
    await widget.press(say["can_wait"])
    created = await widget.press(say["yes"])
    await expect(created).to_contain_text(re.compile(r"INC-\d+"))
    await walk.shot(page)
    match = REFERENCE.search(await created.inner_text())
    assert match is not None
    found["incident"] = match.group(0)
    await walk.expect_that(
        expect(created).to_contain_text(say["ticket_done"]), "the ticket is created"
    )
    await walk.speaks_its_language(widget.panel)

    walk.begin("ticket-status")
    status = await widget.tell(say["status"])
    await expect(status).to_contain_text(say["open_tickets"])
    await walk.shot(page)
    text = await status.inner_text()
    walk.expect(
        found["order"] in text and found["incident"] in text, f"both tickets listed: {text!r}"
    )
    walk.expect(say["order_title"] in text, f"the order's title in her language: {text!r}")
    # Minor of issue 14 ("times disagree ... show every time in the user's time zone, with the
    # zone"), fixed on the console/tickets/time zones branch.
    walk.expect(
        bool(re.search(_TIME_WITH_ZONE, text)),
        f"the opening time with her time zone: {text!r}",
    )
    await walk.speaks_its_language(widget.panel)

    walk.begin("handoff")
    handed = await widget.tell(say["human"])
    await expect(handed).to_contain_text(say["handed"])
    await walk.shot(page)
    await walk.speaks_its_language(widget.panel)
    await walk.typeset(await widget.bot_texts())
    return found


async def _sign_in(page: Page) -> None:
    await page.goto("/console")
    await expect(page).to_have_url(re.compile(r"/console/login"))
    await page.locator("input[name=email]").fill(AGENT)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_a_day_at_work_for_an_employee_and_an_agent(
    browser: Browser, guichet: Services, language: Language
) -> None:
    say = SAY[language]
    walk = Walk(language, ARTIFACTS / "walkthrough" / language)
    errors: list[str] = []
    async with served(create_app(guichet.settings, guichet)) as base:
        marie = await _context(browser, base, language)
        zoe = await _context(browser, base, language)
        page = await marie.new_page()
        console = await zoe.new_page()
        for opened in (page, console):
            opened.on("pageerror", lambda error: errors.append(str(error)))
        widget = Widget(page, say)
        try:
            found = await _employee_morning(walk, widget, guichet)
            incident, order = found["incident"], found["order"]

            walk.begin("console-queue")
            await _sign_in(console)
            row = console.locator("#queue-rows tr", has_text=DEMO_USER)
            await expect(row).to_be_visible()
            await walk.shot(console)
            await walk.expect_that(
                expect(console.get_by_role("heading", level=1)).to_contain_text(
                    say["console_heading"]
                ),
                "the console's heading in the agent's language",
            )
            # Minor of issue 14 ("Console: English only"), fixed on the console branch.
            await walk.speaks_its_language(console.locator("main"))
            await walk.shows_no_raw_values(console.locator("main"))

            walk.begin("console-taken")
            await row.get_by_role("link", name=DEMO_USER).click()
            await console.get_by_role("button", name=say["take"]).click()
            await expect(console.locator("#status")).to_have_attribute("data-status", "taken")
            await walk.shot(console)
            facts = console.locator("aside.facts")
            # Defect 1 of issue 14 (the hand-off attaches itself to the pending order), fixed
            # on the console/tickets branch.
            await walk.expect_that(
                expect(facts).to_contain_text(incident), f"the escalation's ticket is {incident}"
            )
            await walk.expect_that(
                expect(facts).not_to_contain_text(order), f"not the pending order {order}"
            )
            # Defect 6 of issue 14 (raw payloads and an empty "Problem"), fixed on the
            # console branch.
            transcript = await console.locator("#transcript").inner_text()
            walk.expect(
                not re.search(r"(?m)/[a-z_]+(\{|$)", transcript),
                "what Marie clicked, not raw payloads such as /affirm or /inform{...}",
            )
            problem = console.locator("dt", has_text=re.compile("^(Problem|Problème)$"))
            walk.expect(
                bool(
                    (await problem.locator("xpath=following-sibling::dd[1]").inner_text()).strip()
                ),
                "the 'Problem' field filled in",
            )
            await walk.speaks_its_language(console.locator("main"))
            await walk.shows_no_raw_values(facts)

            walk.begin("takeover-message")
            joined = widget.bot.filter(has_text=AGENT_NAME).first
            await walk.expect_that(
                expect(joined).to_be_visible(), "told that Zoé joined, by her name"
            )
            await console.locator("#reply-text").fill(say["agent_message"])
            await console.locator("#reply button[type=submit]").click()
            message = widget.log.locator(".message").filter(has_text=say["agent_message"])
            await expect(message).to_be_visible(timeout=10_000)
            await walk.shot(page)
            shown = await message.inner_text()
            walk.expect(AGENT not in shown, f"the agent's name, not her e-mail: {shown!r}")
            walk.expect(AGENT_NAME in shown, f"the agent's name with her message: {shown!r}")
            # Minor of issue 14 ("agent messages look like bot bubbles"), fixed on the widget
            # front-end branch: the agent's bubble is styled apart from Guichet's.
            styles = await page.evaluate(
                """([text]) => {
                  const root = document.querySelector('#guichet-widget').shadowRoot;
                  const bubbles = [...root.querySelectorAll('.message .bubble')];
                  const agent = bubbles.find(b => b.textContent.includes(text));
                  const bot = [...root.querySelectorAll('.message.bot .bubble')]
                    .find(b => !b.textContent.includes(text));
                  const look = b => { const s = getComputedStyle(b);
                    return s.backgroundColor + ' ' + s.borderColor + ' ' + s.color; };
                  return [look(agent), look(bot)];
                }""",
                [say["agent_message"]],
            )
            walk.expect(styles[0] != styles[1], f"the agent's bubble styled apart: {styles}")

            walk.begin("console-resolved")
            await console.locator("#resolve").click()
            await expect(console.locator("#status")).to_have_attribute("data-status", "resolved")
            await walk.shot(console)
            await walk.shows_no_raw_values(console.locator("aside.facts"))
            # Defect 1 of issue 14: resolving closed the unapproved order, fixed on the
            # console/tickets branch.
            walk.expect(
                (await guichet.tickets.store.get(incident)).status == "resolved",
                f"{incident}, Marie's printer, resolved",
            )
            walk.expect(
                (await guichet.tickets.store.get(order)).status != "resolved",
                f"{order}, the pending monitor order, left as it was",
            )

            walk.begin("does-it-work")
            asked = widget.bot.filter(has_text=say["resolved_asked"]).last
            await expect(asked).to_be_visible(timeout=10_000)
            await walk.shot(page)
            await walk.expect_that(
                expect(asked).to_contain_text(incident), f"asked about {incident}, the printer"
            )
            await walk.speaks_its_language(widget.panel)

            walk.begin("reopened")
            reopened = await widget.press(say["still_broken"])
            await expect(reopened).to_contain_text(say["reopened"])
            await walk.shot(page)
            await walk.expect_that(
                expect(reopened).to_contain_text(incident), f"{incident} is the one reopened"
            )
            walk.expect(
                (await guichet.tickets.store.get(incident)).status == "reopened",
                f"{incident} reopened for the service desk",
            )
            await walk.speaks_its_language(widget.panel)
            await walk.typeset(await widget.bot_texts())
        finally:
            await marie.close()
            await zoe.close()
    assert errors == [], errors
    assert not walk.missed, "\n".join(
        [f"{len(walk.missed)} things a person would see wrong ({language}):", *walk.missed]
    )
