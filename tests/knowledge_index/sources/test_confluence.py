"""What is Confluence's own: inherited read restrictions, pages for named people only, labels
and restrictions that change without a new version, pages purged or in other spaces."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.settings.sources import ConfluenceSourceSettings
from knowledge_index.sources.confluence import ConfluencePages
from knowledge_index.sources.protocol import SourceChanges, SourceDocument, SourceUnavailable
from tests.contracts.fakes import confluence as fake
from tests.contracts.fakes.server import serve_fake

pytestmark = pytest.mark.unit


@pytest.fixture
def wiki() -> Iterator[fake.ConfluenceCloud]:
    yield from serve_fake(fake.ConfluenceCloud())


def _source(wiki: fake.ConfluenceCloud) -> ConfluencePages:
    settings = ConfluenceSourceSettings(
        base_url=f"{wiki.url}/wiki", email=fake.EMAIL, api_token=SecretStr(fake.API_TOKEN),
        spaces=["IT"],
    )  # fmt: skip
    return ConfluencePages(settings, timeout_seconds=5)


async def _changes(wiki: fake.ConfluenceCloud, since: str | None = None) -> SourceChanges:
    source = _source(wiki)
    try:
        return await source.changes(since)
    finally:
        await source.aclose()


def _by_id(changes: SourceChanges) -> dict[str, SourceDocument]:
    return {document.id: document for document in changes.documents}


async def test_restrictions_are_inherited_and_narrowed_down_the_tree(
    wiki: fake.ConfluenceCloud,
) -> None:
    top = wiki.create_page("IT", "Runbooks", "<p>All runbooks.</p>",
                           groups=("service-desk", "it-admins"))  # fmt: skip
    middle = wiki.create_page("IT", "Network runbooks", "<p>Network.</p>", parent=top,
                              groups=("service-desk", "network"))  # fmt: skip
    leaf = wiki.create_page("IT", "Core switch", "<p>Reload the core switch.</p>", parent=middle)
    first = await _changes(wiki)
    found = _by_id(first)
    assert found[f"confluence:{top}"].groups == ("it-admins", "service-desk")
    assert found[f"confluence:{middle}"].groups == ("service-desk",)
    assert found[f"confluence:{leaf}"].groups == ("service-desk",)

    # The top page's restriction changes, not the others' versions: they are read again.
    wiki.restrict(top, groups=("service-desk", "network"))
    again = await _changes(wiki, first.cursor)
    assert set(_by_id(again)) == {f"confluence:{n}" for n in (top, middle, leaf)}
    assert _by_id(again)[f"confluence:{leaf}"].groups == ("network", "service-desk")
    assert not again.deleted

    # Levels that share no group: nobody may read the branch through a group any more.
    wiki.restrict(middle, groups=("it-admins",))
    third = await _changes(wiki, again.cursor)
    assert not third.documents
    assert third.deleted == sorted([f"confluence:{middle}", f"confluence:{leaf}"])


async def test_a_page_no_group_may_read_is_not_offered(wiki: fake.ConfluenceCloud) -> None:
    secret = wiki.create_page("IT", "Salaries", "<p>Private.</p>", users=("557058:ab12",))
    open_page = wiki.create_page("IT", "Printers", "<p>Second floor.</p>")
    first = await _changes(wiki)
    assert f"confluence:{secret}" not in _by_id(first) and f"confluence:{open_page}" in _by_id(
        first
    )

    wiki.restrict(open_page, groups=(), users=("557058:ab12",))
    wiki.restrict(secret, groups=("finance",))
    second = await _changes(wiki, first.cursor)
    assert second.deleted == [f"confluence:{open_page}"]
    assert _by_id(second)[f"confluence:{secret}"].groups == ("finance",)


async def test_labels_become_tags_and_their_change_is_seen(wiki: fake.ConfluenceCloud) -> None:
    page = wiki.create_page("IT", "VPN", "<p>Connect.</p>", labels=("vpn", "remote-work"))
    first = await _changes(wiki)
    document = _by_id(first)[f"confluence:{page}"]
    assert document.tags == ("remote-work", "vpn") and document.category == "it"
    assert document.url == f"{wiki.url}/wiki/spaces/IT/pages/{page}/VPN"
    assert document.language is None and document.pair is None  # detected; no pairs

    wiki.set_labels(page, ("vpn",))
    assert _by_id(await _changes(wiki, first.cursor))[f"confluence:{page}"].tags == ("vpn",)


async def test_purged_pages_leave_and_other_spaces_are_not_read(
    wiki: fake.ConfluenceCloud,
) -> None:
    kept = wiki.create_page("IT", "Kept", "<p>Stays.</p>")
    purged = wiki.create_page("IT", "Purged", "<p>Goes.</p>")
    elsewhere = wiki.create_page("HR", "Holidays", "<p>HR only.</p>")
    first = await _changes(wiki)
    assert set(_by_id(first)) == {f"confluence:{kept}", f"confluence:{purged}"}
    assert f"confluence:{elsewhere}" not in _by_id(first)

    wiki.purge(purged)
    second = await _changes(wiki, first.cursor)
    assert second.deleted == [f"confluence:{purged}"] and not second.documents


async def test_missing_settings_name_the_variable() -> None:
    with pytest.raises(SourceUnavailable, match="CONFLUENCE__SPACES"):
        ConfluencePages(ConfluenceSourceSettings(base_url="https://x.atlassian.net/wiki"),
                        timeout_seconds=5)  # fmt: skip
