"""Ordering from the catalog: the item's own fields, then approval when the item needs it."""

from __future__ import annotations

from html import unescape

import httpx
import pytest

from bot.app.web import create_app
from bot.services import Services
from tests.bot.auth.helpers import bearer
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow
PASSWORD = "correct horse 42"


async def test_order_asks_the_item_fields_then_waits_for_approval(services: Services) -> None:
    item = next(
        i
        for i in services.knowledge.content.catalog
        if i.requires_approval and any(f.type == "choice" for f in i.fields)
    )
    chat = await Chat.start(services, user="max@norvane.example")
    await chat.say(f'/order_equipment{{"catalog_item": "{item.id}"}}')
    for field in [f for f in item.fields if f.required]:
        assert field.label.en in chat.text
        if field.type == "choice":
            await chat.press(field.options[0].en)
        else:
            await chat.say("Desk 4.12, Lyon")
    assert "Shall I go ahead?" in chat.text and "approval" in chat.text
    created = await chat.press("Yes")
    assert "awaits approval" in created
    reference = created.split("Request ")[1].split()[0]
    ticket = await services.tickets.store.get(reference)
    assert ticket.status == "pending" and ticket.details["approval"] == "waiting"
    assert all(ticket.details["fields"][f.name] for f in item.fields if f.required)

    app = create_app(services.settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://t",
            headers=await bearer(services, role="agent", email="desk@norvane.example"),
        ) as client,
    ):
        approved = await client.post(
            f"/api/v1/tickets/{reference}/approval",
            json={"approved": True},
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "assigned"
        assert approved.json()["details"]["approval"] == "approved"
        again = await client.post(
            f"/api/v1/tickets/{reference}/approval",
            json={"approved": False, "reason": "too late"},
        )
        assert again.status_code == 409
    conversation = await services.conversations.get(chat.conversation_id)
    assert "approved" in conversation.transcript[-1].text


async def test_free_item_is_ordered_without_approval(services: Services) -> None:
    item = next(
        i for i in services.knowledge.content.catalog if not i.requires_approval and not i.fields
    )
    chat = await Chat.start(services, user="ned@norvane.example", language="fr")
    await chat.say(f'/order_equipment{{"catalog_item": "{item.id}"}}')
    created = await chat.press("Oui")
    assert "est enregistrée" in created and "approbation" not in created


async def test_an_employee_orders_a_monitor_and_follows_the_link_to_the_request(
    services: Services,
) -> None:
    item = next(
        i for i in services.knowledge.content.catalog if any(f.type == "choice" for f in i.fields)
    )
    field = next(f for f in item.fields if f.type == "choice")
    chat = await Chat.start(services, user="max@norvane.example", language="fr")
    await chat.say(f'/order_equipment{{"catalog_item": "{item.id}"}}')
    for required in [f for f in item.fields if f.required]:
        if required.type == "choice":
            await chat.press(required.options[0].fr)
        else:
            await chat.say("Bureau 4.12")
    await chat.press("Oui")
    (link,) = chat.replies[-1].links
    reference = link.url.removeprefix("/tickets/")
    assert link.url == f"/tickets/{reference}" and reference.startswith("REQ-")

    await services.auth.create_user("max@norvane.example", role="employee", password=PASSWORD)
    app = create_app(services.settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://t",
            headers={"Accept": "text/html", "Accept-Language": "fr"},
        ) as browser,
    ):
        form = (await browser.get("/console/login")).text
        csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
        await browser.post(
            "/console/login",
            data={"email": "max@norvane.example", "password": PASSWORD, "csrf_token": csrf},
        )
        page = unescape((await browser.get(link.url)).text)
    fields = page.split('id="request-fields"')[1].split("</dl>")[0]
    assert f"<dt>{field.label.fr}</dt><dd>{field.options[0].fr}</dd>" in fields
    assert f"{field.name}:" not in page and f": {field.options[0].value}<" not in page


async def _order_monitor(services: Services, user: str, language: str) -> str:
    item = services.knowledge.catalog_item("monitor-24")
    assert item is not None and item.requires_approval
    chat = await Chat.start(services, user=user, language=language)  # type: ignore[arg-type]
    await chat.say(f'/order_equipment{{"catalog_item": "{item.id}"}}')
    for required in [f for f in item.fields if f.required]:
        if required.type == "choice":
            await chat.press(getattr(required.options[0], language))
        else:
            await chat.say("Bureau 4.12")
    await chat.press("Oui" if language == "fr" else "Yes")
    (link,) = chat.replies[-1].links
    return link.url.removeprefix("/tickets/")


@pytest.mark.parametrize(
    ("language", "title", "location"),
    [
        (
            "fr",
            "Commande\u00a0: Écran 24 pouces (Dell P2425H)",
            "Lieu de livraison\u00a0: Site de Lyon",
        ),
        ("en", 'Order: 24" monitor (Dell P2425H)', "Delivery location: Lyon office"),
    ],
)
async def test_an_employee_orders_a_monitor_and_the_request_is_titled_in_their_language(
    services: Services, language: str, title: str, location: str
) -> None:
    """The title and description are composed in the requester's language: that is what the
    ticket pages show and what the ITSM tools receive (docs/tickets.md)."""
    reference = await _order_monitor(services, "max@norvane.example", language)
    ticket = await services.tickets.get(reference)
    assert ticket.title == title
    assert location in ticket.description.splitlines()
    assert "delivery_location" not in ticket.description
