"""`ChangeCalendar` for GLPI: `Change` items, their window planned by their tasks
(`Change/{id}/ChangeTask`: `begin`, `end`), else from the change's opening `date` to its
`time_to_resolve`; the service is the change's ITIL category."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.kernel.changes import ChangeState, PlannedChange
from bot.settings.itsm import GlpiSettings
from connectors.itsm.common import as_utc
from connectors.itsm.glpi import translate
from connectors.itsm.glpi.backend import GlpiBackend

PAGE_SIZE = 200
# CommonITILObject statuses a Change takes: 1 new, 9 evaluation, 10 approval, 7 accepted,
# 4 pending, 11 test, 12 qualification, 5 applied (solved), 8 review, 6 closed, 13 refused,
# 14 canceled.
STATES: dict[int, ChangeState] = {
    1: "requested", 9: "requested", 10: "requested", 7: "approved", 4: "scheduled",
    11: "implementing", 12: "implementing", 5: "review", 8: "review", 6: "closed",
    13: "cancelled", 14: "cancelled",
}  # fmt: skip


class GlpiChangeCalendar(GlpiBackend):
    """Reuses the ticket backend's session handling (App-Token, user token, Session-Token)."""

    def __init__(self, settings: GlpiSettings, *, timeout: float) -> None:
        super().__init__(settings, timeout=timeout)
        self._base_url = settings.base_url

    def _when(self, value: object) -> datetime | None:
        text = str(value or "").strip()
        return as_utc(translate.glpi_datetime(text, self._zone)) if text else None

    async def planned_changes(self, *, since: datetime) -> list[PlannedChange]:
        since = as_utc(since)
        items: list[dict[str, Any]] = []
        while True:
            page = await self._call(
                "GET",
                "Change",
                params={
                    "range": f"{len(items)}-{len(items) + PAGE_SIZE - 1}",
                    "expand_dropdowns": "true",
                    "is_deleted": "0",
                },
            )
            items += page or []
            if len(page or []) < PAGE_SIZE:
                break
        changes = []
        for item in items:
            tasks = await self._call("GET", f"Change/{item['id']}/ChangeTask") or []
            begins = [b for t in tasks if (b := self._when(t.get("begin")))]
            ends = [e for t in tasks if (e := self._when(t.get("end")))]
            starts_at = min(begins) if begins else self._when(item.get("date"))
            ends_at = max(ends) if ends else self._when(item.get("time_to_resolve"))
            if starts_at is None or ends_at is None or ends_at <= max(starts_at, since):
                continue
            category = str(item.get("itilcategories_id") or "")
            changes.append(
                PlannedChange(
                    source=self.name,
                    upstream_id=str(item["id"]),
                    reference=f"GLPI-CHG-{item['id']}",
                    title=str(item.get("name") or f"Change {item['id']}")[:200],
                    service=category[:200] if category and category != "0" else None,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    state=STATES.get(int(item.get("status") or 1), "requested"),
                    url=self._base_url.removesuffix("apirest.php").rstrip("/")
                    + f"/front/change.form.php?id={item['id']}",
                )
            )
        return changes
