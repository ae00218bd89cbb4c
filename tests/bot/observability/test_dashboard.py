"""The Grafana dashboard in docs/operations: the classic JSON model Grafana imports, and every
metric its queries use is one `/metrics` serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

DASHBOARD = Path(__file__).resolve().parents[3] / "docs" / "operations" / "grafana-dashboard.json"
PANELS = {
    "Request rate per route",
    "Latency p95 per route",
    "Suggestions and messages per second",
    '"Not sure" rate',
    "Hand-offs to agents per hour",
    "Tickets created per hour",
    "Outbox depth per backend",
    "Age of the oldest pending change",
    "Open tickets past their SLA target",
}


def _dashboard() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return found


def test_the_dashboard_is_a_grafana_dashboard() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] and dashboard["title"] and isinstance(dashboard["schemaVersion"], int)
    panels = dashboard["panels"]
    assert {panel["title"] for panel in panels} >= PANELS
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        if panel["type"] != "row":
            assert panel["targets"] and all(t["expr"] and t["refId"] for t in panel["targets"])
            assert panel["datasource"]["uid"] == "${datasource}"
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"datasource", "job"}


async def test_every_metric_of_the_dashboard_is_served(client: httpx.AsyncClient) -> None:
    exposition = (await client.get("/metrics")).text
    served: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", exposition, re.MULTILINE):
        served.add(name)
        if kind == "histogram":
            served |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    queries = " ".join(
        target["expr"] for panel in _dashboard()["panels"] for target in panel.get("targets", [])
    )
    used = set(re.findall(r"\b(guichet_\w+|process_\w+)", queries))
    assert used and used <= served, used - served
