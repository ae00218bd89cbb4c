"""End to end over HTTP, against each inventory that is also the ITSM tool (the real Request
Tracker, and the GLPI and ServiceNow replays): "mon écran ne s'allume plus" is offered the
employee's monitor and the ticket created upstream links it; "my laptop is slow" with a laptop
past the replacement age offers its replacement; a second Visio licence is not ordered; the
agent console shows the requester's devices."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from bot.app.services import open_services, sync_worker
from bot.app.web import create_app
from bot.console.desk import EscalationDesk
from bot.kernel.domain import utcnow
from bot.services import Components, Services
from bot.settings import TicketSettings, load_settings
from bot.settings.assets import AssetSettings
from bot.settings.itsm import GlpiSettings, ItsmSettings, RequestTrackerSettings, ServiceNowSettings
from tests.bot.auth.helpers import bearer
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.glpi import APP_TOKEN as GLPI_APP_TOKEN
from tests.contracts.fakes.glpi import glpi_app
from tests.contracts.fakes.server import LocalServer
from tests.contracts.fakes.servicenow import servicenow_app
from tests.contracts.harness_assets import (
    Seeded,
    seed_glpi,
    seed_request_tracker,
    seed_servicenow,
)
from tests.request_tracker import PASSWORD

pytestmark = pytest.mark.slow


@dataclass
class Peer:
    name: str
    itsm: ItsmSettings
    seed: Callable[[str], Awaitable[Seeded]]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("request_tracker", marks=pytest.mark.integration),
        pytest.param("glpi", marks=pytest.mark.unit),
        pytest.param("servicenow", marks=pytest.mark.unit),
    ],
)
def peer(request: pytest.FixtureRequest) -> Iterator[Peer]:
    if request.param == "request_tracker":
        rt = request.getfixturevalue("request_tracker")
        settings = RequestTrackerSettings(
            base_url=rt.url, username="root", password=SecretStr(PASSWORD)
        )

        async def seed_rt(email: str) -> Seeded:
            return await seed_request_tracker(rt.url, email)

        yield Peer("request_tracker", ItsmSettings(request_tracker=settings), seed_rt)
        return
    if request.param == "glpi":
        glpi_asgi, glpi = glpi_app(Faults())
        server = LocalServer(glpi_asgi).start()

        async def seed_in_glpi(email: str) -> Seeded:
            return seed_glpi(glpi, email)

        itsm = ItsmSettings(
            glpi=GlpiSettings(
                base_url=f"{server.url}/apirest.php",
                app_token=SecretStr(GLPI_APP_TOKEN),
                user_token=SecretStr("guichet-user-token"),
            )
        )
        try:
            yield Peer("glpi", itsm, seed_in_glpi)
        finally:
            server.stop()
        return
    sn_asgi, instance = servicenow_app(Faults())
    server = LocalServer(sn_asgi).start()

    async def seed_in_servicenow(email: str) -> Seeded:
        return seed_servicenow(instance, email)

    itsm = ItsmSettings(
        servicenow=ServiceNowSettings(
            base_url=server.url, username="guichet.integration", password=SecretStr("guichet-pass")
        )
    )
    try:
        yield Peer("servicenow", itsm, seed_in_servicenow)
    finally:
        server.stop()


@pytest.fixture
async def served(
    components: Components, peer: Peer, tmp_path: Path
) -> AsyncIterator[tuple[Services, httpx.AsyncClient, Seeded]]:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        tickets=TicketSettings(sync_backends=[peer.name], run_sync_worker=False),
        itsm=peer.itsm.model_copy(update={"timeout_seconds": 30}),
        assets=AssetSettings(backend=peer.name, replacement_age_years=4),
    )
    services = await open_services(settings, components)
    # RT's database outlives test runs: this run's references start where no earlier run went.
    async with services.database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO tickets (id, reference, kind, requester, channel, title, description, "
                "category, impact, urgency, priority, status, language, details, created_at, "
                "updated_at) VALUES (:id, :reference, 'incident', 'seed', 'test', 'seed', 'seed', "
                "'other', 'person', 'low', 'P5', 'closed', 'en', '{}', :now, :now)"
            ),
            {
                "id": (base := random.randint(10_000, 89_999) * 1_000),
                "reference": f"SEED-{base}",
                "now": utcnow(),
            },
        )
    email = f"marie.{uuid.uuid4().hex[:8]}@norvane.example"
    seeded = await peer.seed(email)
    app = create_app(settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://guichet.test",
            headers=await bearer(services, role="employee", email=email),
            timeout=60,
        ) as client,
    ):
        yield services, client, seeded
    await services.close()


class HttpChat:
    def __init__(self, client: httpx.AsyncClient, conversation: str) -> None:
        self.client, self.conversation = client, conversation
        self.replies: list[dict[str, object]] = []

    @classmethod
    async def start(cls, client: httpx.AsyncClient, user: str) -> HttpChat:
        answer = await client.post("/api/v1/conversations", json={"user": user})
        assert answer.status_code == 201, answer.text
        return cls(client, answer.json()["id"])

    async def say(self, words: str) -> str:
        answer = await self.client.post(
            f"/api/v1/conversations/{self.conversation}/messages", json={"text": words}
        )
        assert answer.status_code == 200, answer.text
        self.replies = answer.json()["replies"]
        return "\n".join(str(reply["text"]) for reply in self.replies)

    @property
    def buttons(self) -> dict[str, str]:
        return {
            str(b["title"]): str(b["payload"])
            for reply in self.replies
            for b in reply["buttons"]  # type: ignore[attr-defined]
        }


FORM_ANSWERS = {"impact": "person", "urgency": "critical", "category": "hardware"}


def inform(**values: str) -> str:
    return "/inform" + json.dumps(values)


async def test_a_broken_screen_is_filed_against_the_employees_monitor_upstream(
    served: tuple[Services, httpx.AsyncClient, Seeded], peer: Peer
) -> None:
    services, client, seeded = served
    chat = await HttpChat.start(client, seeded.email)
    question = await chat.say("Je voudrais ouvrir un ticket : mon écran ne s'allume plus")
    for _ in range(3):  # impact and urgency, unless the description already told them
        asked = {p.split('"')[1] for p in chat.buttons.values() if p.startswith("/inform{")}
        if asked & {"impact", "urgency", "category"} == set():
            break
        slot = sorted(asked)[0]
        question = await chat.say(inform(**{slot: FORM_ANSWERS[slot]}))

    assert "Est-ce votre" in question and "MON-01877" in question
    assert "PC-04512" not in question  # a screen: the monitor only, not the laptop
    monitor = f"{peer.name}:{seeded.monitor}"
    assert chat.buttons == {
        'P2422H 24", MON-01877': inform(asset=monitor),
        "Un autre": inform(asset="none"),
    }
    summary = await chat.say(chat.buttons['P2422H 24", MON-01877'])
    assert '- Appareil\u00a0: P2422H 24", MON-01877' in summary
    created = await chat.say("/affirm")
    reference = created.split("Le ticket ")[1].split()[0]

    worker = sync_worker(services)
    assert worker is not None
    try:
        assert await worker.deliver_once() == 1
        ticket = await services.tickets.store.get(reference)
        assert ticket.details["asset"]["upstream_id"] == seeded.monitor
        (state,) = await services.tickets.store.outbox.sync_states(ticket.id)
        upstream = await worker.backends[peer.name].get(str(state.upstream_id))
    finally:
        for backend in worker.backends.values():
            await backend.aclose()
    assert upstream.reference == reference
    assert upstream.assets == (seeded.monitor,)


async def test_a_slow_laptop_past_its_age_is_offered_a_replacement(
    served: tuple[Services, httpx.AsyncClient, Seeded],
) -> None:
    _, client, seeded = served
    chat = await HttpChat.start(client, seeded.email)

    answer = await chat.say("my laptop is slow")

    assert "Your Latitude 5550, PC-04512 is 5 years old" in answer
    (offer,) = [title for title in chat.buttons if title.startswith("Replace it")]
    assert "Standard laptop" in offer
    ordering = await chat.say(chat.buttons[offer])
    assert "Keyboard layout" in ordering  # the replacement's own fields; its reason is known
    assert "Reason for the request" not in ordering


async def test_a_licence_already_held_is_not_ordered_twice(
    served: tuple[Services, httpx.AsyncClient, Seeded],
) -> None:
    services, client, seeded = served
    chat = await HttpChat.start(client, seeded.email)

    answer = await chat.say('/software_request{"catalog_item": "visio-licence"}')

    assert "You already have a licence for" in answer and "Visio" in answer
    assert "Shall I go ahead" not in answer
    assert await services.tickets.open_for(seeded.email) == []


async def test_the_console_shows_the_requesters_devices_beside_the_escalation(
    served: tuple[Services, httpx.AsyncClient, Seeded],
) -> None:
    services, client, seeded = served
    chat = await HttpChat.start(client, seeded.email)
    await chat.say("/human_handoff")
    (item,) = await EscalationDesk(services).queue()
    agent = {
        **await bearer(services, role="agent", email="zoe@norvane.example"),
        "Accept": "text/html",
        "Accept-Language": "en",
    }

    page = (await client.get(f"/console/escalations/{item.id}", headers=agent)).text

    devices = page.split('id="devices"')[1].split("</ul>")[0]
    assert "Latitude 5550, PC-04512" in devices and "(laptop)" in devices
    assert "Bought in 2021" in devices and "Serial number 7XK2M31" in devices
    assert "MON-01877" in devices and "(monitor)" in devices
    assert "Visio" in devices and "(licence)" in devices
