"""Articles in HTML and plain text, beside Markdown, and the actions file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SAMPLE_KB_DIR
from knowledge_index.documents import ContentInvalid, KnowledgeContent, load_articles, passages

pytestmark = pytest.mark.unit


def test_sample_html_and_text_articles() -> None:
    content = KnowledgeContent.load(SAMPLE_KB_DIR)
    by_id = {a.id: a for a in content.articles}
    html = by_id["fr-meeting-room-screen-sharing"]
    assert html.title.startswith("Partager son écran") and html.type == "procedure"
    assert "clickshare" in html.tags and html.updated is not None
    assert "Intranet" not in html.body  # the navigation is left out
    assert "# Avec le bouton ClickShare" in html.body
    text = by_id["en-service-desk-hours"]
    assert text.title == "IT service desk: opening hours and how to reach it"
    assert text.type == "faq" and text.lang == "en" and "4444" in text.body


def test_actions_become_entries_in_both_languages() -> None:
    entries = KnowledgeContent.load(SAMPLE_KB_DIR).entries()
    actions = {e.id: e for e in entries if e.type == "action"}
    assert actions["fr-action-my-tickets"].title == "Mes tickets"
    assert actions["en-action-my-tickets"].action == "/incident_status"
    assert actions["en-action-reset-password"].url == "/kb/en/reset-password"
    known = next(e for e in entries if e.id == "en-outlook-crash-startup")
    assert known.symptom and known.cause and known.workaround


def test_html_page_split_at_its_headings(tmp_path: Path) -> None:
    folder = tmp_path / "articles" / "en"
    folder.mkdir(parents=True)
    sections = "".join(
        f"<h2>Step {i}</h2><p>{'word ' * 30}</p><script>var x = {i};</script>" for i in range(3)
    )
    (folder / "steps.htm").write_text(
        f"<html lang='en-GB'><head><title>Steps</title>"
        f"<meta name='guichet:category' content='software'>"
        f"<meta name='keywords' content='a, b'></head><body>{sections}</body></html>"
    )
    (article,) = load_articles(tmp_path / "articles")
    assert (article.id, article.lang, article.category, article.tags) == (
        "en-steps",
        "en",
        "software",
        ["a", "b"],
    )
    assert "var x" not in article.body
    content = KnowledgeContent(articles=[article], catalog=[])
    assert len(passages(content.entries()[0])) == 3


def test_a_text_file_without_language_says_so(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "note.txt").write_text("A title\n\nSome text.\n")
    with pytest.raises(ContentInvalid) as caught:
        KnowledgeContent.load(tmp_path)
    assert "note.txt" in str(caught.value) and "lang" in str(caught.value)


def test_a_broken_actions_file_names_itself(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "actions.yaml").write_text("actions:\n  - id: x\n")
    with pytest.raises(ContentInvalid, match=r"actions\.yaml"):
        KnowledgeContent.load(tmp_path)
