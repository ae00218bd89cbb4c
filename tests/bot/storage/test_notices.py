"""Incident notices on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.kernel.notices import NewNotice, NoticeNotFound
from bot.storage.database import Database
from bot.storage.notices import NoticeStore

pytestmark = pytest.mark.unit


def _outage() -> NewNotice:
    return NewNotice(
        title_en="Outlook unavailable in Lyon",
        title_fr="Outlook indisponible à Lyon",
        body_en="Mail does not load since 9:00; we are on it.",
        body_fr="La messagerie ne se charge plus depuis 9 h ; nous y travaillons.",
        severity="outage",
        tags=["outlook", "mail"],
        source="outage-grouping",
        reference="PRB-000012",
    )


async def test_publish_list_update_close(database: Database) -> None:
    store = NoticeStore(database, ttl=60)
    assert await store.active() == []
    notice = await store.publish(_outage())
    assert notice.status == "active" and notice.created_at.tzinfo is not None
    assert notice.title("fr") == "Outlook indisponible à Lyon"
    assert [n.id for n in await store.active()] == [notice.id]  # the cache was refreshed
    later = await store.publish(_outage().model_copy(update={"title_en": "VPN down"}))
    assert [n.id for n in await store.list_active()] == [later.id, notice.id]

    changed = await store.update(
        notice.id, _outage().model_copy(update={"body_en": "Fixed for most users."})
    )
    assert changed.body("en") == "Fixed for most users." and changed.updated_at >= notice.updated_at
    closed = await store.close(notice.id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert [n.id for n in await store.active()] == [later.id]
    assert (await store.get(notice.id)).status == "closed"


async def test_unknown_notice(database: Database) -> None:
    store = NoticeStore(database)
    with pytest.raises(NoticeNotFound, match="42"):
        await store.close(42)
    with pytest.raises(NoticeNotFound):
        await store.get(42)


async def test_another_process_sees_a_new_notice_after_the_ttl(database: Database) -> None:
    reader, writer = NoticeStore(database, ttl=0.0), NoticeStore(database)
    assert await reader.active() == []
    await writer.publish(_outage())
    assert len(await reader.active()) == 1
