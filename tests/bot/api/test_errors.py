"""Every error in one shape, documented on every route; bodies the fuzzing found a 500 with."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.unit


async def test_a_body_that_is_not_utf8_is_a_422_not_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/webhooks/rest/webhook",
        content=b"\xff\x00\xfe(",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "InvalidInput"
    assert list(body["fields"]) == ["body"]


async def test_starlette_errors_take_guichet_shape(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == {"error": "NotFound", "detail": "Not Found", "fields": {}}
    wrong_method = await client.delete("/api/v1/suggest")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "MethodNotAllowed"
    assert "allow" in wrong_method.headers


async def test_errors_are_documented_on_every_operation(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 20
    for operation in operations:
        assert {"401", "413", "429", "503"} <= set(operation["responses"])
    error = schema["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error", "detail", "fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/escalations/82608259107017491134545920/take",
        "/api/v1/escalations/2147483648/resolve",
        "/api/v1/notices/99999999999/close",
    ],
)
async def test_an_id_beyond_the_database_integer_is_a_422(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.post(path)
    assert response.status_code == 422
    [where] = response.json()["fields"]
    assert where.startswith("path.")
    assert "less than or equal" in response.json()["fields"][where]


async def test_every_reference_in_the_schema_resolves(client: httpx.AsyncClient) -> None:
    """A model's own `$defs` pasted into a request body left `#/$defs/...` pointing nowhere."""
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]

    def references(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [ref for value in node.values() for ref in references(value)]
        if isinstance(node, list):
            return [ref for value in node for ref in references(value)]
        return []

    found = references(schema["paths"])
    assert found
    for reference in found:
        assert reference.startswith("#/components/schemas/"), reference
        assert reference.removeprefix("#/components/schemas/") in components, reference
