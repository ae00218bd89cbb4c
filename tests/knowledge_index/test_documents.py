"""The sample knowledge base and catalog, and how content is read and split."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SAMPLE_KB_DIR
from knowledge_index.documents import ContentInvalid, KnowledgeContent, passages
from knowledge_index.text import SPACES

pytestmark = pytest.mark.unit


def test_sample_knowledge_base_is_complete_and_bilingual() -> None:
    content = KnowledgeContent.load(SAMPLE_KB_DIR)
    assert len(content.articles) >= 60
    by_language = {
        lang: {a.slug for a in content.articles if a.lang == lang} for lang in ("en", "fr")
    }
    assert by_language["en"] == by_language["fr"]
    assert {a.type for a in content.articles} == {"procedure", "faq", "known_error"}
    for article in content.articles:
        assert article.id == f"{article.lang}-{article.slug}"
        if article.type == "known_error":
            assert article.symptom and article.cause and article.workaround
    categories = {a.category for a in content.articles}
    assert {
        "account",
        "network",
        "email",
        "collaboration",
        "printing",
        "hardware",
        "software",
        "access",
        "onboarding",
        "security",
    } <= categories
    assert len(content.catalog) >= 20
    assert all(item.title.en and item.title.fr for item in content.catalog)


def test_entries_have_urls_and_groups_tie_translations() -> None:
    entries = KnowledgeContent.load(SAMPLE_KB_DIR).entries()
    vpn = [e for e in entries if e.group == "vpn-connect"]
    assert {e.language for e in vpn} == {"en", "fr"}
    assert {e.url for e in vpn} == {"/kb/en/vpn-connect", "/kb/fr/vpn-connect"}
    catalog = [e for e in entries if e.type == "catalog_item"]
    assert catalog and all(e.url.startswith("/catalog/") for e in catalog)


def test_long_articles_are_split_into_passages() -> None:
    entries = KnowledgeContent.load(SAMPLE_KB_DIR).entries()
    longest = max(entries, key=lambda e: len(e.body.split()))
    chunks = passages(longest)
    assert len(chunks) >= 3
    # words at ordinary spaces: a French no-break space keeps "problème ?" one word
    assert all(len(SPACES.split(chunk)) <= 160 for chunk in chunks)


def test_invalid_front_matter_names_the_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "bad.md").write_text(
        "---\nid: en-x\nslug: x\ntitle: X\nlang: de\n"
        "type: faq\ncategory: network\n"
        "updated: 2026-01-01\n---\nbody\n"
    )
    with pytest.raises(ContentInvalid) as caught:
        KnowledgeContent.load(tmp_path)
    assert "bad.md" in str(caught.value) and "lang" in str(caught.value)
    with pytest.raises(ContentInvalid, match="GUICHET_KNOWLEDGE__KB_DIR"):
        KnowledgeContent.load(tmp_path / "nowhere")
