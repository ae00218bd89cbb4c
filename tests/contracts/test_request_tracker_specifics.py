"""What only the Request Tracker backend does, against the real RT: plain basic auth (RT's
bcrypt on every request) as well as its web session, Guichet's finer status kept in a custom
field, and RT's status changed by an agent read through RT's own lifecycle."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bot.kernel.itsm import BackendRejected, TicketPayload
from bot.settings.itsm import RequestTrackerSettings
from connectors.itsm.request_tracker.backend import RequestTrackerBackend
from tests.request_tracker import AGENT, AGENT_PASSWORD, PASSWORD, RunningRequestTracker

pytestmark = pytest.mark.integration


def payload() -> TicketPayload:
    return TicketPayload(
        reference=f"INC-{uuid.uuid4().hex[:10].upper()}",
        kind="incident",
        requester="paul.martin@norvane.example",
        title="Écran noir après la veille",
        description="Le dock ne réveille plus l'écran.",
        category="hardware",
        impact="person",
        urgency="low",
        priority="P5",
    )


@pytest.fixture
async def basic(request_tracker: RunningRequestTracker) -> AsyncIterator[RequestTrackerBackend]:
    settings = RequestTrackerSettings(
        base_url=request_tracker.url,
        username="root",
        password=SecretStr(PASSWORD),
        web_session=False,
    )
    opened = RequestTrackerBackend(settings, timeout=10)
    yield opened
    await opened.aclose()


async def test_basic_auth_without_a_web_session(basic: RequestTrackerBackend) -> None:
    sent = payload()
    upstream_id = await basic.create(sent)

    assert await basic.create(sent) == upstream_id
    ticket = await basic.get(upstream_id)
    assert (ticket.reference, ticket.title, ticket.priority) == (sent.reference, sent.title, "P5")


async def test_finer_status_survives_and_an_agent_change_wins(
    request_tracker: RunningRequestTracker, basic: RequestTrackerBackend
) -> None:
    upstream_id = await basic.create(payload())
    await basic.update_status(upstream_id, "awaiting_information")  # RT: stalled
    assert (await basic.get(upstream_id)).status == "awaiting_information"

    async with httpx.AsyncClient(auth=(AGENT, AGENT_PASSWORD), timeout=30) as agent:
        answer = await agent.put(
            f"{request_tracker.url}/REST/2.0/ticket/{upstream_id}", json={"Status": "open"}
        )
        answer.raise_for_status()

    # GuichetStatus still says awaiting_information, but RT says open: RT wins.
    assert (await basic.get(upstream_id)).status == "in_progress"


async def test_an_html_reply_from_rt_web_editor_reads_as_text(
    request_tracker: RunningRequestTracker, basic: RequestTrackerBackend
) -> None:
    upstream_id = await basic.create(payload())
    since = (await basic.get(upstream_id)).updated_at
    await asyncio.sleep(1.1)
    async with httpx.AsyncClient(auth=(AGENT, AGENT_PASSWORD), timeout=30) as agent:
        answer = await agent.post(
            f"{request_tracker.url}/REST/2.0/ticket/{upstream_id}/correspond",
            json={
                "Content": "<p>Bonjour,</p><p>Le dock est remplac&eacute;.</p>",
                "ContentType": "text/html",
            },
        )
        answer.raise_for_status()

    comments = [
        c.comment
        for c in await basic.changes_since(since)
        if c.upstream_id == upstream_id and c.kind == "comment"
    ]
    assert comments == ["Bonjour,\nLe dock est remplacé."]


async def test_a_session_write_from_another_origin_is_refused_naming_the_setting(
    request_tracker: RunningRequestTracker,
) -> None:
    """RT takes its session cookie for a write only from its own address: a wrong
    GUICHET_ITSM__REQUEST_TRACKER__WEB_ORIGIN is refused, and the refusal names that setting."""
    settings = RequestTrackerSettings(
        base_url=request_tracker.url,
        username="root",
        password=SecretStr(PASSWORD),
        web_origin="http://intranet.norvane.example",
    )
    refused = RequestTrackerBackend(settings, timeout=10)
    try:
        with pytest.raises(BackendRejected, match="GUICHET_ITSM__REQUEST_TRACKER__WEB_ORIGIN"):
            await refused.create(payload())
    finally:
        await refused.aclose()
    accepted = RequestTrackerBackend(settings.model_copy(update={"web_origin": ""}), timeout=10)
    try:
        assert (await accepted.create(payload())).isdigit()
    finally:
        await accepted.aclose()
