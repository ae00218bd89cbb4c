"""French typography in everything an employee reads: the catalog, the sample knowledge base,
the service catalog and the few French texts written outside the catalog.

The rule (the Imprimerie nationale's, as most French publishers apply it):
- a narrow no-break space (U+202F) before `?`, `!` and `;`;
- a no-break space (U+00A0) before `:` and inside `« »`;
- no "(s)" plurals: write both forms with `tn(...)`.
URLs, inline code, HTML tags, Markdown link targets and `{placeholders}` are left out of the
check, so "https://x/?a=1", "12:30" and "`C:\\Temp`" stay as they are.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.kernel.i18n import catalog_path
from tests.typography import typography_faults

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_KB = ROOT / "knowledge_index" / "sample_kb"
PROSE_FRONT_MATTER = ("title", "symptom", "cause", "workaround")
SOURCE_FOLDERS = ("bot", "connectors", "actions", "knowledge_index", "nlu")


@pytest.mark.parametrize(
    "text",
    [
        "Est-ce que cela a résolu votre problème ?",
        "Bonjour! Je suis Guichet",
        "Statut :",
        "Statut: ouvert",
        "Le support s'en occupe ; inutile",
        "Le support s'en occupe\u00a0; inutile",
        "Demandez-moi « où en est mon ticket »",
        "Encore {n} essai(s).",
    ],
)
def test_the_check_finds_a_plain_space_a_missing_space_and_a_plural_in_brackets(
    text: str,
) -> None:
    assert typography_faults(text)


@pytest.mark.parametrize(
    "text",
    [
        "Est-ce que cela a résolu votre problème\u202f?",
        "Demandez-moi «\u00a0où en est mon ticket\u202f?\u00a0» à tout moment.",
        "Statut\u00a0: {status}, ouvert le {opened} à 12:30.",
        "Voir https://intranet.norvane.example/aide?q=vpn;x=1 et [l'article](/kb/fr/vpn?x=1).",
        "Tapez `size:>10MB`\u202f; puis **Terminer**\u00a0:",
        "{summary}\nJe valide\u202f?",
        "Encore {n} essais.",
        "Les lecteurs réseau (par exemple H: et S:) et C:\\Temp.",
    ],
)
def test_the_check_leaves_urls_times_code_and_placeholders_alone(text: str) -> None:
    assert typography_faults(text) == []


def _catalog() -> Iterator[tuple[str, str]]:
    with catalog_path("fr").open("rb") as po:
        for message in read_po(po):
            if not message.id:
                continue
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            yield from ((f"{message.id!r}", str(form)) for form in forms)


def _without_code_blocks(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)


def _articles() -> Iterator[tuple[str, str]]:
    for path in sorted((SAMPLE_KB / "articles" / "fr").iterdir()):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n"):
            _, front, text = text.split("---\n", 2)
            meta = yaml.safe_load(front)
            for key in PROSE_FRONT_MATTER:
                if key in meta:
                    yield f"{path.name} ({key})", str(meta[key])
        yield path.name, _without_code_blocks(text)


def _french_values(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "fr" and isinstance(value, str):
                yield where, value
            else:
                yield from _french_values(value, f"{where}.{key}")
    elif isinstance(node, list):
        for position, value in enumerate(node):
            label = value.get("id", position) if isinstance(value, dict) else position
            yield from _french_values(value, f"{where}[{label}]")


def _service_catalog() -> Iterator[tuple[str, str]]:
    for name in ("catalog.yaml", "actions.yaml"):
        yield from _french_values(yaml.safe_load((SAMPLE_KB / name).read_text("utf-8")), name)


def _written_in_code() -> Iterator[tuple[str, str]]:
    """French written outside the catalog: `*_fr=` arguments and `data-fr` attributes."""
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.keyword) and (node.arg or "").endswith("_fr"):
                    parts = [
                        c.value
                        for c in ast.walk(node.value)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    ]
                    yield f"{where} ({node.arg})", "{x}".join(parts)
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for attribute in re.findall(r'data-fr="([^"]*)"', node.value):
                        yield f"{where} (data-fr)", attribute


@pytest.mark.parametrize(
    "source",
    [_catalog, _articles, _service_catalog, _written_in_code],
    ids=["catalog", "sample-kb-articles", "service-catalog", "code"],
)
def test_french_text_has_no_break_spaces_before_double_punctuation(
    source: Callable[[], Iterator[tuple[str, str]]],
) -> None:
    texts = list(source())
    assert texts, "nothing French found: the check would pass on nothing"
    faults = [f"{where}: {fault}" for where, text in texts for fault in typography_faults(text)]
    assert not faults, (
        "French typography: U+202F before ? ! ;, U+00A0 before : and inside « », "
        "no (s) plurals.\n" + "\n".join(faults)
    )
