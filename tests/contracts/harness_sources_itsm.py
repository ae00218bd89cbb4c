"""One harness per ITSM tool's knowledge base, each a local server replaying the vendor's
documented API, with what a test needs to write articles in it between two syncs.

Shaped like the other knowledge sources' harnesses: a `SourceHarness` (how to create, change
and remove a document on the replay server, and the source's settings) and a build function
per source, keyed by source name in `ITSM_SOURCE_HARNESSES`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from bot.kernel.language import Language
from bot.settings.sources import SourceSettings
from bot.settings.sources_itsm import (
    GlpiKnowledgeSettings,
    ServiceNowKnowledgeSettings,
    ZammadKnowledgeSettings,
)
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.glpi import APP_TOKEN as GLPI_APP_TOKEN
from tests.contracts.fakes.glpi import glpi_app
from tests.contracts.fakes.server import LocalServer
from tests.contracts.fakes.servicenow import servicenow_app
from tests.contracts.fakes.zammad import zammad_app

SourceAccount = Literal["guichet", "wrong"]


@dataclass(frozen=True)
class Article:
    """An article as a test writes it: HTML body; `groups` (directory groups) who may read
    it; `agents_only` a restriction the source states in its own terms (a role, a technician
    profile, an internal answer); `translation` (language, title, HTML body)."""

    title: str
    body: str
    groups: tuple[str, ...] = ()
    agents_only: bool = False
    translation: tuple[Language, str, str] | None = None


@dataclass
class SourceHarness:
    name: str  # the source's name in the registry
    url: str
    faults: Faults
    # The sources' settings with this source enabled: account, server URL, page size.
    settings: Callable[[SourceAccount, str, int], SourceSettings]
    create: Callable[[Article], str]  # → the document id of the original
    change: Callable[[str, Article], None]  # by document id
    remove: Callable[[str], None]  # the way articles leave this source, by document id
    language: Language | None  # what the source says of an original's language (None: detected)
    names_groups: bool  # restrictions to directory groups can be stated in this source
    translation_id: Callable[[str, Language], str]  # a translation's document id


def servicenow_source_harness() -> Iterator[SourceHarness]:
    faults = Faults()
    app, instance = servicenow_app(faults)
    server = LocalServer(app).start()
    passwords = {"guichet": "guichet-pass", "wrong": "not-the-password"}
    with instance.lock:
        base = instance.insert("kb_knowledge_base", {"title": "IT", "active": "true"})
        category = instance.insert("kb_category", {"label": "Network", "parent_id": base["sys_id"]})

    def settings(account: SourceAccount, url: str, page_size: int) -> SourceSettings:
        return SourceSettings(
            enabled=["servicenow"],
            servicenow=ServiceNowKnowledgeSettings(
                base_url=url,
                username="guichet.integration",
                password=SecretStr(passwords[account]),
                page_size=page_size,
            ),
        )

    def criterion(article: Article) -> str:
        if article.agents_only:
            fields = {"name": "IT staff", "role": uuid.uuid4().hex}
        else:
            ids = []
            for name in article.groups:
                group = next(
                    (g for g in instance.tables["sys_user_group"] if g["name"] == name), None
                ) or instance.insert("sys_user_group", {"name": name})
                ids.append(group["sys_id"])
            fields = {"name": " or ".join(article.groups), "group": ",".join(ids)}
        fields |= {"match_all": "false", "active": "true"}
        return str(instance.insert("user_criteria", fields)["sys_id"])

    def create(article: Article) -> str:
        with instance.lock:
            fields = {
                "short_description": article.title, "text": article.body,
                "workflow_state": "published", "language": "en",
                "kb_knowledge_base": base["sys_id"], "kb_category": category["sys_id"],
            }  # fmt: skip
            if article.groups or article.agents_only:
                fields["can_read_user_criteria"] = criterion(article)
            original = instance.insert("kb_knowledge", fields)
            if article.translation:
                language, title, body = article.translation
                instance.insert(
                    "kb_knowledge",
                    {**fields, "short_description": title, "text": body,
                     "language": language, "parent": original["sys_id"]},
                )  # fmt: skip
            return f"servicenow:{original['sys_id']}"

    def change(document_id: str, article: Article) -> None:
        with instance.lock:
            instance.update(
                "kb_knowledge",
                document_id.removeprefix("servicenow:"),
                {"short_description": article.title, "text": article.body},
            )

    def remove(document_id: str) -> None:
        # Retired; its translations too (ServiceNow retires them with it).
        with instance.lock:
            sys_id = document_id.removeprefix("servicenow:")
            for record in instance.tables["kb_knowledge"]:
                if sys_id in (record["sys_id"], record["parent"]):
                    instance.update("kb_knowledge", record["sys_id"], {"workflow_state": "retired"})

    def translation_id(document_id: str, language: Language) -> str:
        sys_id = document_id.removeprefix("servicenow:")
        with instance.lock:
            found = next(
                r for r in instance.tables["kb_knowledge"]
                if r["parent"] == sys_id and r["language"] == language
            )  # fmt: skip
        return f"servicenow:{found['sys_id']}"

    try:
        yield SourceHarness(
            "servicenow", server.url, faults, settings, create, change, remove,
            language="en", names_groups=True, translation_id=translation_id,
        )  # fmt: skip
    finally:
        server.stop()


def glpi_source_harness() -> Iterator[SourceHarness]:
    faults = Faults()
    app, glpi = glpi_app(faults)
    server = LocalServer(app).start()
    tokens = {"guichet": "guichet-user-token", "wrong": "revoked"}
    locales = {"fr": "fr_FR", "en": "en_GB"}

    def settings(account: SourceAccount, url: str, page_size: int) -> SourceSettings:
        return SourceSettings(
            enabled=["glpi"],
            glpi=GlpiKnowledgeSettings(
                base_url=f"{url}/apirest.php",
                app_token=SecretStr(GLPI_APP_TOKEN),
                user_token=SecretStr(tokens[account]),
                page_size=page_size,
            ),
        )

    def create(article: Article) -> str:
        translations = {}
        if article.translation:
            language, title, body = article.translation
            translations[locales[language]] = (title, body)
        item_id = glpi.add_article(
            article.title,
            article.body,
            groups=article.groups,
            profiles=("Technician",) if article.agents_only else (),
            entity=not (article.groups or article.agents_only),
            translations=translations,
        )
        return f"glpi:{item_id}"

    def change(document_id: str, article: Article) -> None:
        glpi.change_article(
            int(document_id.removeprefix("glpi:")), name=article.title, answer=article.body
        )

    def remove(document_id: str) -> None:
        glpi.purge_article(int(document_id.removeprefix("glpi:")))

    try:
        yield SourceHarness(
            "glpi", server.url, faults, settings, create, change, remove,
            language=None, names_groups=True,
            translation_id=lambda document_id, language: f"{document_id}-{language}",
        )  # fmt: skip
    finally:
        server.stop()


def zammad_source_harness() -> Iterator[SourceHarness]:
    faults = Faults()
    app, zammad = zammad_app(faults)
    server = LocalServer(app).start()
    tokens = {"guichet": "guichet-token", "wrong": "revoked-token"}

    def settings(account: SourceAccount, url: str, page_size: int) -> SourceSettings:
        # Zammad's init answer is not paged: the page size has nothing to say here.
        return SourceSettings(
            enabled=["zammad"],
            zammad=ZammadKnowledgeSettings(base_url=url, token=SecretStr(tokens[account])),
        )

    def create(article: Article) -> str:
        texts = {"en": (article.title, article.body)}
        if article.translation:
            language, title, body = article.translation
            texts[language] = (title, body)
        with zammad.lock:
            answer_id = zammad.knowledge.add_answer(
                texts, "internal" if article.agents_only else "published"
            )
        return f"zammad:{answer_id}-en"

    def answer_of(document_id: str) -> int:
        return int(document_id.removeprefix("zammad:").split("-")[0])

    def change(document_id: str, article: Article) -> None:
        with zammad.lock:
            zammad.knowledge.change(answer_of(document_id), "en", article.title, article.body)

    def remove(document_id: str) -> None:
        with zammad.lock:
            zammad.knowledge.set_visibility(answer_of(document_id), "archived")

    try:
        yield SourceHarness(
            "zammad", server.url, faults, settings, create, change, remove,
            language="en", names_groups=False,
            translation_id=lambda document_id, language: document_id.replace("-en", f"-{language}"),
        )  # fmt: skip
    finally:
        server.stop()


ITSM_SOURCE_HARNESSES: dict[str, Callable[[], Iterator[SourceHarness]]] = {
    "servicenow": servicenow_source_harness,
    "glpi": glpi_source_harness,
    "zammad": zammad_source_harness,
}
