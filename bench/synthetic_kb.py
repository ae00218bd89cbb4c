"""A knowledge base grown from the sample one to any size, for benchmarks.

The sample articles, catalog and actions are kept; new articles (Markdown files, English and
French twins) are made from templates of the kinds a real IT knowledge base is full of: access
to an application for a team, an application's error code, installing a version on a device, a
printer's trouble on a floor. Their bodies borrow paragraphs of the sample articles, so the
vocabulary is the real one.
"""

from __future__ import annotations

import itertools
import random
import shutil
from pathlib import Path

import frontmatter

from bot.settings import SAMPLE_KB_DIR

APPS = """SAP Salesforce Jira Confluence Workday Concur ServiceNow Tableau Zoom Webex Slack Miro
Figma AutoCAD MATLAB Visio Acrobat Photoshop Illustrator PowerBI Qlik Teams OneDrive SharePoint
Outlook Excel Word PowerPoint Notion Trello Asana GitLab GitHub Jenkins Docker Postman DBeaver
Citrix AnyDesk Zscaler GlobalProtect Okta DocuSign Coupa Ariba Kyriba Sage Cegid Silae Lucca
PayFit Alan Swile Talend Informatica Snowflake Databricks Looker Metabase Grafana Kibana
Splunk""".split()
TEAMS = [
    ("finance", "finance"), ("sales", "commercial"), ("marketing", "marketing"),
    ("legal", "juridique"), ("HR", "RH"), ("logistics", "logistique"),
    ("purchasing", "achats"), ("engineering", "ingénierie"), ("support", "support"),
    ("data", "data"), ("audit", "audit"), ("design", "design"),
]  # fmt: skip
SITES = """Paris Lyon Lille Nantes Bordeaux Toulouse Marseille Strasbourg Rennes Nice Grenoble
Montpellier Bruxelles Genève Montréal""".split()
DEVICES = [
    ("Windows laptop", "PC portable Windows"), ("MacBook", "MacBook"),
    ("iPhone", "iPhone"), ("Android phone", "téléphone Android"),
    ("virtual desktop", "bureau virtuel"), ("meeting-room PC", "PC de salle de réunion"),
]  # fmt: skip
PRINTER_PROBLEMS = [
    ("paper jam", "bourrage papier"), ("toner empty", "toner vide"),
    ("offline", "hors ligne"), ("scan to e-mail fails", "la numérisation vers e-mail échoue"),
    ("badge not recognised", "badge non reconnu"),
    ("prints blank pages", "imprime des pages blanches"),
]  # fmt: skip


def _paragraphs(language: str) -> list[str]:
    found: list[str] = []
    for path in sorted((SAMPLE_KB_DIR / "articles" / language).glob("*.md")):
        body = frontmatter.load(path).content
        found.extend(p.strip() for p in body.split("\n\n") if len(p.split()) > 25)
    return found


def _templates(n: int, rng: random.Random) -> tuple[dict[str, str], dict[str, str], str]:
    """English and French front matter and first paragraph of the n-th generated article."""
    app = APPS[n % len(APPS)]
    team_en, team_fr = TEAMS[(n // len(APPS)) % len(TEAMS)]
    site = SITES[(n // (len(APPS) * len(TEAMS))) % len(SITES)]
    kind = n % 4
    code = f"{rng.randrange(0x1000, 0xFFFF):04X}"
    if kind == 0:
        en = {"title": f"Request access to {app} for the {team_en} team in {site}",
              "type": "procedure", "category": "access"}  # fmt: skip
        fr = {"title": f"Demander l'accès à {app} pour l'équipe {team_fr} à {site}",
              "type": "procedure", "category": "access"}  # fmt: skip
        lead = f"{app} {team_en} {site}"
    elif kind == 1:
        en = {"title": f"{app} shows error {code} for the {team_en} team in {site}",
              "type": "known_error", "category": "software",
              "symptom": f"{app} stops with error {code}.",
              "cause": f"An outdated {app} connector on the {site} servers.",
              "workaround": f"Sign out of {app}, clear its cache and sign in again."}  # fmt: skip
        fr = {"title": f"{app} affiche l'erreur {code} pour l'équipe {team_fr} à {site}",
              "type": "known_error", "category": "software",
              "symptom": f"{app} s'arrête avec l'erreur {code}.",
              "cause": f"Un connecteur {app} obsolète sur les serveurs de {site}.",
              "workaround": f"Quittez {app}, videz son cache, reconnectez-vous."}  # fmt: skip
        lead = f"{app} {code}"
    elif kind == 2:
        device_en, device_fr = DEVICES[n % len(DEVICES)]
        version = f"{n % 9 + 1}.{n % 7}"
        en = {"title": f"Install {app} {version} on a {device_en} ({team_en}, {site})",
              "type": "procedure", "category": "software"}  # fmt: skip
        fr = {"title": f"Installer {app} {version} sur un {device_fr} ({team_fr}, {site})",
              "type": "procedure", "category": "software"}  # fmt: skip
        lead = f"{app} {version} {device_en}"
    else:
        problem_en, problem_fr = PRINTER_PROBLEMS[n % len(PRINTER_PROBLEMS)]
        floor = n % 9 + 1
        en = {"title": f"Printer {code} on floor {floor} in {site}: {problem_en}",
              "type": "faq", "category": "printing"}  # fmt: skip
        fr = {"title": f"Imprimante {code} au {floor}e étage à {site} : {problem_fr}",
              "type": "faq", "category": "printing"}  # fmt: skip
        lead = f"{code} {site} {problem_en}"
    return en, fr, lead


def grow(target: Path, entries: int, seed: int = 1) -> int:
    """Write a knowledge base of about `entries` entries at `target`; returns the count."""
    if target.exists():
        shutil.rmtree(target)
    sample_articles = sorted((SAMPLE_KB_DIR / "articles").rglob("*.*"))
    base = len(sample_articles) + 2 * 34 + 2 * 5  # articles, catalog and actions, two languages
    (target / "articles").mkdir(parents=True)
    shutil.copy(SAMPLE_KB_DIR / "catalog.yaml", target / "catalog.yaml")
    shutil.copy(SAMPLE_KB_DIR / "actions.yaml", target / "actions.yaml")
    if entries < base:
        keep = max(0, entries - 2 * 34 - 2 * 5) // 2
        slugs = sorted({p.stem for p in sample_articles})[:keep]
        for path in sample_articles:
            if path.stem in slugs:
                destination = target / "articles" / path.parent.name / path.name
                destination.parent.mkdir(exist_ok=True)
                shutil.copy(path, destination)
        return 2 * keep + 2 * 34 + 2 * 5
    shutil.copytree(SAMPLE_KB_DIR / "articles", target / "articles", dirs_exist_ok=True)
    rng = random.Random(seed)
    paragraphs = {language: _paragraphs(language) for language in ("en", "fr")}
    groups = (entries - base) // 2
    for language in ("en", "fr"):
        (target / "articles" / language / "generated").mkdir(parents=True)
    for n in itertools.islice(itertools.count(), groups):
        en, fr, lead = _templates(n, rng)
        picks = rng.sample(range(min(len(paragraphs["en"]), len(paragraphs["fr"]))), 2)
        for language, meta in (("en", en), ("fr", fr)):
            slug = f"gen-{n:06d}"
            post = frontmatter.Post(
                f"{lead}.\n\n" + "\n\n".join(paragraphs[language][i] for i in picks),
                id=f"{language}-{slug}",
                slug=slug,
                lang=language,
                tags=lead.lower().split(),
                updated="2026-10-01",
                **meta,
            )
            path = target / "articles" / language / "generated" / f"{slug}.md"
            path.write_text(frontmatter.dumps(post), encoding="utf-8")
    return base + 2 * groups
