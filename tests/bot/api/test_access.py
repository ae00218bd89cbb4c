"""Every non-public route refuses anonymous callers (401) and employees where agents only (403);
employees see only their own conversations and tickets."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from bot.services import Services
from tests.bot.api.conftest import ClientFor

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/v1/suggest"),
    ("POST", "/api/v1/search"),
    ("POST", "/api/v1/suggest/clicks"),
    ("POST", "/api/v1/search/feedback"),
}
# Routes other features protect with their own scheme: the widget (the portal's signed identity),
# Slack (request signature), Teams (Bot Framework JWT), the Rasa action server (called by Rasa).
OWN_AUTH_PREFIXES = ("/widget/", "/slack/", "/api/messages")
OWN_AUTH_PATHS = {"/actions", "/webhook"}
AGENT_ONLY = [
    ("POST", "/api/v1/nlu/parse", {"text": "hello"}),
    ("GET", "/api/v1/search/gaps", None),
    ("GET", "/api/v1/escalations", None),
    ("GET", "/metrics", None),
]


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI surface."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if not path.startswith(OWN_AUTH_PREFIXES) and path not in OWN_AUTH_PATHS
    )


async def test_every_non_public_route_needs_credentials(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    checked, open_routes = 0, []
    for method, path in _routes(app):
        if (method, path) in PUBLIC:
            continue
        url = path.replace("{", "").replace("}", "")  # any value: refused before it is read
        response = await anonymous.request(method, url, json={})
        if response.status_code != 401 or not response.headers.get("www-authenticate"):
            open_routes.append((method, path, response.status_code))
        checked += 1
    assert open_routes == []
    assert checked >= 10
    for method, path in PUBLIC - {("POST", "/api/v1/search/feedback")}:
        body = {"query": "vpn"} if path == "/api/v1/search" else None
        if path.endswith("clicks"):
            body = {"query": "vpn", "language": "en", "group": "g", "type": "faq", "position": 0}
        response = await anonymous.request(method, path, params={"q": "vpn"}, json=body)
        assert response.status_code < 400, (path, response.text)


@pytest.mark.parametrize(
    "header",
    ["Bearer gch_not-a-token", "Basic YWRtaW46YWRtaW4=", "Bearer "],
)
async def test_wrong_credentials_are_401_naming_the_problem(
    anonymous: httpx.AsyncClient, header: str
) -> None:
    response = await anonymous.get("/api/v1/tickets", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"] == "NotAuthenticated"
    assert "error=" in response.headers["www-authenticate"]


async def test_revoked_and_expired_tokens_are_refused(
    anonymous: httpx.AsyncClient, services: Services
) -> None:
    info, secret = await services.auth.create_token("ops@norvane.example", role="agent")
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await anonymous.get("/api/v1/tickets", headers=headers)).status_code == 200
    await services.auth.revoke_token(str(info.id))
    refused = await anonymous.get("/api/v1/tickets", headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body"), AGENT_ONLY)
async def test_employees_are_refused_agent_routes(
    client_for: ClientFor, method: str, path: str, body: dict[str, object] | None
) -> None:
    employee = await client_for("employee", "ann@norvane.example")
    response = await employee.request(method, path, json=body)
    assert response.status_code == 403, response.text
    assert "needs role agent" in response.json()["detail"]


async def test_employees_see_only_their_own_conversations_and_tickets(
    client_for: ClientFor, client: httpx.AsyncClient
) -> None:
    ann = await client_for("employee", "ann@norvane.example")
    bob = await client_for("employee", "bob@norvane.example")
    ticket = {"title": "Laptop fan loud", "description": "It roars", "category": "hardware"}
    mine = await ann.post("/api/v1/tickets", json={**ticket, "requester": "ann@norvane.example"})
    assert mine.status_code == 201, mine.text
    reference = mine.json()["reference"]
    for_bob = await ann.post("/api/v1/tickets", json={**ticket, "requester": "bob@norvane.example"})
    assert for_bob.status_code == 403
    assert (await bob.get(f"/api/v1/tickets/{reference}")).status_code == 403
    assert (await ann.get(f"/api/v1/tickets/{reference}")).status_code == 200
    await client.post("/api/v1/tickets", json={**ticket, "requester": "bob@norvane.example"})
    listed = await ann.get("/api/v1/tickets", params={"requester": "bob@norvane.example"})
    assert [t["reference"] for t in listed.json()] == [reference]
    assert len((await client.get("/api/v1/tickets")).json()) == 2  # the admin sees both

    comment = {"body": "Still roaring", "author": "someone-else"}
    assert (
        await bob.post(f"/api/v1/tickets/{reference}/comments", json=comment)
    ).status_code == 403
    commented = await ann.post(f"/api/v1/tickets/{reference}/comments", json=comment)
    assert commented.json()["comments"][-1]["author"] == "ann@norvane.example"
    as_agent = await ann.post(
        f"/api/v1/tickets/{reference}/comments", json={"body": "x", "from_agent": True}
    )
    assert as_agent.status_code == 403
    url = f"/api/v1/tickets/{reference}/transitions"
    assert (await ann.post(url, json={"to": "in_progress"})).status_code == 403
    assert (await client.post(url, json={"to": "resolved"})).status_code == 200
    closed = await ann.post(url, json={"to": "closed"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    conversation = await ann.post("/api/v1/conversations", json={"user": "ann@norvane.example"})
    cid = conversation.json()["id"]
    assert (await bob.get(f"/api/v1/conversations/{cid}")).status_code == 403
    assert (
        await bob.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hi"})
    ).status_code == 403
    assert (
        await bob.post("/api/v1/conversations", json={"user": "ann@norvane.example"})
    ).status_code == 403
    assert (await ann.get(f"/api/v1/conversations/{cid}")).status_code == 200
    webhook = {"sender": "ann@norvane.example", "message": "hello"}
    assert (await bob.post("/webhooks/rest/webhook", json=webhook)).status_code == 403
    assert (await ann.post("/webhooks/rest/webhook", json=webhook)).status_code == 200


async def test_agent_changes_are_audited(client: httpx.AsyncClient, services: Services) -> None:
    created = await client.post(
        "/api/v1/tickets",
        json={"requester": "cy@norvane.example", "title": "Printer", "description": "jam"},
    )
    reference = created.json()["reference"]
    await client.post(f"/api/v1/tickets/{reference}/transitions", json={"to": "assigned"})
    (entry,) = await services.auth.audit_entries(target_kind="ticket", target=reference)
    assert (entry.actor, entry.action, entry.data["to"]) == (
        "admin@norvane.example",
        "ticket.transition",
        "assigned",
    )


async def test_me_and_the_audit_log_for_admins(
    client: httpx.AsyncClient, client_for: ClientFor
) -> None:
    agent = await client_for("agent", "zoe@norvane.example")
    me = (await agent.get("/api/v1/me")).json()
    assert (me["email"], me["role"], me["via"], me["csrf_token"]) == (
        "zoe@norvane.example", "agent", "token", None,
    )  # fmt: skip
    created = await agent.post(
        "/api/v1/tickets",
        json={"requester": "cy@norvane.example", "title": "Printer", "description": "jam"},
    )
    reference = created.json()["reference"]
    await agent.post(f"/api/v1/tickets/{reference}/transitions", json={"to": "assigned"})
    refused = await agent.get("/api/v1/audit")
    assert refused.status_code == 403 and "needs role admin" in refused.json()["detail"]
    (entry,) = (await client.get("/api/v1/audit", params={"actor": "zoe@norvane.example"})).json()
    assert (entry["action"], entry["target"]) == ("ticket.transition", reference)
