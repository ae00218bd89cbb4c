"""The folder source says what changed since its cursor: created, changed, deleted files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowledge_index.sources.folder import FolderSource
from knowledge_index.sources.protocol import SourceUnavailable

pytestmark = pytest.mark.unit


def _article(slug: str, title: str, groups: str = "") -> str:
    extra = f"groups: [{groups}]\n" if groups else ""
    return (
        f"---\ntitle: {title}\nlang: en\ntype: faq\ncategory: general\n{extra}---\n"
        f"# {title}\n\nBody of {slug}.\n"
    )


async def test_created_changed_touched_and_deleted_files(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "vpn.md").write_text(_article("vpn", "VPN"), "utf-8")
    (articles / "wifi.md").write_text(_article("wifi", "Wi-Fi", "network-team"), "utf-8")
    source = FolderSource(tmp_path)

    first = await source.changes(None)
    assert sorted(d.id for d in first.documents) == ["en-vpn", "en-wifi"] and not first.deleted
    wifi = next(d for d in first.documents if d.id == "en-wifi")
    assert wifi.groups == ("network-team",) and wifi.url == "/kb/en/wifi" and wifi.pair == "wifi"

    again = await source.changes(first.cursor)
    assert not again.documents and not again.deleted

    stat = (articles / "vpn.md").stat()
    os.utime(articles / "vpn.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    touched = await source.changes(again.cursor)
    assert not touched.documents  # same content

    (articles / "vpn.md").write_text(_article("vpn", "VPN on the train"), "utf-8")
    (articles / "wifi.md").unlink()
    changed = await source.changes(touched.cursor)
    assert [d.title for d in changed.documents] == ["VPN on the train"]
    assert list(changed.deleted) == ["en-wifi"]


async def test_a_missing_folder_is_unavailable(tmp_path: Path) -> None:
    source = FolderSource(tmp_path / "nowhere")
    assert not (await source.health()).ok
    with pytest.raises(SourceUnavailable, match="not a directory"):
        await source.changes(None)
