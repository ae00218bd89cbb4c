"""What is SharePoint's own: translations in a language folder paired with their page, pages
never published left out, a site named by its path, one token for a whole sync."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.settings.sources import SharePointSourceSettings
from knowledge_index.sources.protocol import SourceChanges, SourceDocument, SourceUnavailable
from knowledge_index.sources.sharepoint import SharePointPages, page_text
from tests.contracts.fakes import sharepoint as fake
from tests.contracts.fakes.server import serve_fake

pytestmark = pytest.mark.unit


@pytest.fixture
def site() -> Iterator[fake.SharePointOnline]:
    yield from serve_fake(fake.SharePointOnline())


async def _changes(
    site: fake.SharePointOnline, since: str | None = None, *, where: str = fake.SITE_ID,
    groups: tuple[str, ...] = (),
) -> SourceChanges:  # fmt: skip
    settings = SharePointSourceSettings(
        tenant_id=fake.TENANT, client_id=fake.CLIENT_ID,
        client_secret=SecretStr(fake.CLIENT_SECRET), site=where, groups=list(groups),
        login_url=site.url, graph_url=site.url,
    )  # fmt: skip
    source = SharePointPages(settings, timeout_seconds=5)
    try:
        return await source.changes(since)
    finally:
        await source.aclose()


def _by_id(changes: SourceChanges) -> dict[str, SourceDocument]:
    return {document.id: document for document in changes.documents}


async def test_a_translation_in_a_language_folder_is_paired_with_its_page(
    site: fake.SharePointOnline,
) -> None:
    english = site.create_page("Reset your password", "<p>Open the portal.</p>", name="Reset.aspx")
    french = site.create_page(
        "Réinitialiser son mot de passe", "<p>Ouvrez le portail.</p>", folder="fr",
        name="Reset.aspx",
    )  # fmt: skip
    alone = site.create_page("Printers", "<p>Second floor.</p>")
    found = _by_id(await _changes(site))
    mine, theirs = found[f"sharepoint:{english}"], found[f"sharepoint:{french}"]
    assert theirs.language == "fr" and mine.language is None  # the source page: detected
    assert mine.pair == theirs.pair == "sharepoint:reset.aspx"
    assert found[f"sharepoint:{alone}"].pair != mine.pair
    assert theirs.url == f"https://{fake.HOSTNAME}{fake.SITE_PATH}/SitePages/fr/Reset.aspx"
    assert theirs.body == "Ouvrez le portail."


async def test_pages_never_published_are_left_out_and_groups_come_from_the_settings(
    site: fake.SharePointOnline,
) -> None:
    draft = site.create_page("Draft", "<p>Not yet.</p>", published=False)
    page = site.create_page("Wifi", "<p>Join the staff network.</p>")
    found = _by_id(await _changes(site, groups=("staff",)))
    assert f"sharepoint:{draft}" not in found
    assert found[f"sharepoint:{page}"].groups == ("staff",)


async def test_a_site_named_by_its_path_and_one_token_per_sync(
    site: fake.SharePointOnline,
) -> None:
    pages = {site.create_page(f"Page {n}", f"<p>Text {n}.</p>") for n in range(5)}
    changes = await _changes(site, where=f"{fake.HOSTNAME}:{fake.SITE_PATH}")
    assert {f"sharepoint:{p}" for p in pages} == set(_by_id(changes))
    assert site.token_requests == 1


async def test_a_site_that_does_not_exist_is_an_error(site: fake.SharePointOnline) -> None:
    with pytest.raises(SourceUnavailable, match="404"):
        await _changes(site, where=f"{fake.HOSTNAME}:/sites/nowhere")


def test_other_web_parts_give_their_searchable_texts() -> None:
    page = {
        "description": "How to print.",
        "canvasLayout": {
            "horizontalSections": [{"columns": [{"webparts": [
                {"@odata.type": "#microsoft.graph.textWebPart", "innerHtml": "<h2>Steps</h2>"},
                {"@odata.type": "#microsoft.graph.standardWebPart", "data": {
                    "serverProcessedContent": {
                        "searchablePlainTexts": [{"key": "title", "value": "Printer map"}],
                        "htmlStrings": [{"key": "body", "value": "<p>Floor <b>2</b></p>"}],
                    }}},
            ]}]}],
            "verticalSection": {"webparts": [
                {"@odata.type": "#microsoft.graph.textWebPart", "innerHtml": "<p>Side note</p>"}
            ]},
        },
    }  # fmt: skip
    assert page_text(page) == "How to print.\n\n## Steps\n\nFloor 2\n\nPrinter map\n\nSide note"
