"""A local Zammad for the tests: `/api/v1/tickets` (create, show, update, search), ticket
articles, ticket history and `users/me`, with its documented JSON, `Token token=...` auth,
`expand=true`, `customer_id: "guess:EMAIL"`, and a `guichet_reference` ticket attribute.

And the knowledge base: `POST /api/v1/knowledge_bases/init` (every KnowledgeBase,
KnowledgeBaseLocale, KnowledgeBaseCategory(+Translation), KnowledgeBaseAnswer and
KnowledgeBaseAnswerTranslation, keyed by id as strings; answers with `published_at`,
`internal_at`, `archived_at`), `GET /api/v1/knowledge_bases/{kb}/answers/{id}?full=1&
include_contents=...` (the answer's assets with KnowledgeBaseAnswerTranslationContent bodies)
and `GET /api/v1/locales`. Documented at
https://docs.zammad.org/en/latest/api/knowledgebase.html and
https://docs.zammad.org/en/latest/api/knowledgebase/answers.html"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.contracts.fakes.faults import FaultMiddleware, Faults

STATES = {"new": 1, "open": 2, "pending reminder": 3, "closed": 4, "merged": 5, "pending close": 7}
PRIORITIES = {"1 low": 1, "2 normal": 2, "3 high": 3}
NOBODY_ID = 1
KB_ANSWER = re.compile(r"^knowledge_bases/(\d+)/answers/(\d+)$")
TERM = re.compile(r'^(_exists_:(\w+)|(\w+):(>)?"([^"]*)")$')


def zammad_error(status: int) -> object:
    text = {429: "Too Many Requests", 409: "Conflict"}.get(status, "Internal Server Error")
    return {"error": text, "error_human": text}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Zammad:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users: dict[int, dict[str, Any]] = {
            user_id: {"id": user_id, "login": login, "firstname": first, "lastname": last}
            for user_id, login, first, last in [
                (NOBODY_ID, "-", "-", ""),
                (3, "guichet@norvane.example", "Guichet", ""),
                (4, "agent@norvane.example", "Alex", "Agent"),
            ]
        }
        self.tokens = {"guichet-token": 3, "agent-token": 4}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.articles: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.knowledge = KnowledgeBase()

    def customer(self, spec: str) -> int:
        email = spec.removeprefix("guess:")
        for user in self.users.values():
            if user["login"] == email:
                return int(user["id"])
        new_id = max(self.users) + 1
        self.users[new_id] = {"id": new_id, "login": email, "firstname": email, "lastname": ""}
        return new_id

    def expanded(self, ticket: dict[str, Any]) -> dict[str, Any]:
        state = next(name for name, i in STATES.items() if i == ticket["state_id"])
        priority = next(name for name, i in PRIORITIES.items() if i == ticket["priority_id"])
        owner = self.users[ticket["owner_id"]]["login"]
        return {**ticket, "state": state, "priority": priority, "owner": owner, "group": "Users"}

    def log(self, ticket: dict[str, Any], attribute: str, old: str, new: str, user: int) -> None:
        self.history.append(
            {
                "id": len(self.history) + 1,
                "o_id": ticket["id"],
                "object": "Ticket",
                "type": "updated",
                "attribute": attribute,
                "value_from": old,
                "value_to": new,
                "created_by_id": user,
                "created_at": _now(),
            }
        )

    def add_article(self, ticket_id: int, body: dict[str, Any], user: int) -> dict[str, Any]:
        article = {
            "id": len(self.articles) + 1,
            "ticket_id": ticket_id,
            "from": self.users[user]["login"],
            "subject": body.get("subject"),
            "body": body.get("body", ""),
            "content_type": body.get("content_type", "text/html"),
            "type": body.get("type", "note"),
            "internal": bool(body.get("internal", False)),
            "sender": "Agent",
            "created_by_id": user,
            "created_at": _now(),
        }
        self.articles.append(article)
        # Zammad touches the ticket when an article is added: its updated_at is never older.
        self.tickets[ticket_id]["updated_at"] = article["created_at"]
        return article

    def update(self, ticket: dict[str, Any], body: dict[str, Any], user: int) -> None:
        if "state" in body:
            old = next(n for n, i in STATES.items() if i == ticket["state_id"])
            ticket["state_id"] = STATES[body["state"]]
            if old != body["state"]:
                self.log(ticket, "state", old, body["state"], user)
        if "pending_time" in body:
            ticket["pending_time"] = body["pending_time"]
        if "owner_id" in body:
            old_owner = self.users[ticket["owner_id"]]
            ticket["owner_id"] = int(body["owner_id"])
            new_owner = self.users[ticket["owner_id"]]
            self.log(ticket, "owner", old_owner["login"], new_owner["login"], user)
        ticket["updated_at"], ticket["updated_by_id"] = _now(), user

    def assign(self, ticket_id: str, user: int) -> None:
        with self.lock:
            self.update(self.tickets[int(ticket_id)], {"owner_id": user}, user)

    def search(self, query: str) -> list[dict[str, Any]]:
        found = [self.expanded(t) for t in self.tickets.values()]
        for term in query.split(" AND "):
            match = TERM.match(term.strip())
            if not match:
                raise ValueError(term)
            if match.group(2):
                found = [t for t in found if t.get(match.group(2))]
            elif match.group(4):  # field:>"value"
                field, value = match.group(3), match.group(5)
                found = [t for t in found if str(t.get(field, "")) > value]
            else:
                field, value = match.group(3), match.group(5)
                found = [t for t in found if str(t.get(field, "")) == value]
        return sorted(found, key=lambda t: str(t["updated_at"]))


LOCALES = [
    {"id": 1, "locale": "en-us", "alias": "en", "name": "English (United States)", "active": True},
    {"id": 2, "locale": "fr-fr", "alias": "fr", "name": "Français (France)", "active": True},
    {"id": 3, "locale": "de-de", "alias": "de", "name": "Deutsch", "active": True},
]
KB_LOCALES = {"en": 1, "fr": 2, "de": 3}  # language → kb_locale_id (system_locale_id alike)


class KnowledgeBase:
    """One knowledge base, its locales, a category, and the answers the tests write."""

    def __init__(self) -> None:
        now = _now()
        self.answers: dict[int, dict[str, Any]] = {}
        self.translations: dict[int, dict[str, Any]] = {}
        self.contents: dict[int, dict[str, Any]] = {}
        self.base = {
            "id": 1, "iconset": "FontAwesome", "active": True, "custom_address": None,
            "created_at": now, "updated_at": now, "translation_ids": [1],
            "kb_locale_ids": list(KB_LOCALES.values()), "category_ids": [1], "answer_ids": [],
            "permission_ids": [], "permissions_effective": [],
        }  # fmt: skip
        self.locales = {
            kb_locale: {
                "id": kb_locale, "knowledge_base_id": 1, "system_locale_id": kb_locale,
                "primary": kb_locale == 1, "created_at": now, "updated_at": now,
            }
            for kb_locale in KB_LOCALES.values()
        }  # fmt: skip
        self.category = {
            "id": 1, "knowledge_base_id": 1, "parent_id": None, "category_icon": "f115",
            "position": 0, "created_at": now, "updated_at": now, "translation_ids": [1, 2],
            "answer_ids": [], "child_ids": [1], "permission_ids": [], "permissions_effective": [],
        }  # fmt: skip
        self.category_translations = {
            1: {"id": 1, "title": "Network", "kb_locale_id": 1, "category_id": 1},
            2: {"id": 2, "title": "Réseau", "kb_locale_id": 2, "category_id": 1},
        }

    def add_answer(self, texts: dict[str, tuple[str, str]], visibility: str = "published") -> int:
        """An answer with a translation per language (title, HTML body), published, internal
        or a draft."""
        now = _now()
        answer_id = max(self.answers, default=0) + 1
        answer = {
            "id": answer_id, "category_id": 1, "promoted": False, "internal_note": None,
            "position": answer_id, "archived_at": None, "archived_by_id": None,
            "internal_at": now if visibility == "internal" else None, "internal_by_id": None,
            "published_at": now if visibility == "published" else None, "published_by_id": None,
            "created_at": now, "updated_at": now, "translation_ids": [], "attachments": [],
            "tags": [],
        }  # fmt: skip
        self.answers[answer_id] = answer
        for language, (title, body) in texts.items():
            self._translate(answer, language, title, body)
        self.category["answer_ids"].append(answer_id)
        self.base["answer_ids"].append(answer_id)
        return answer_id

    def _translate(self, answer: dict[str, Any], language: str, title: str, body: str) -> None:
        now = _now()
        key = max(self.translations, default=0) + 1
        self.contents[key] = {"id": key, "body": body, "attachments": []}
        self.translations[key] = {
            "id": key, "title": title, "kb_locale_id": KB_LOCALES[language],
            "answer_id": answer["id"], "content_id": key, "created_by_id": 3,
            "updated_by_id": 3, "created_at": now, "updated_at": now,
        }  # fmt: skip
        answer["translation_ids"].append(key)
        answer["updated_at"] = now

    def change(self, answer_id: int, language: str, title: str, body: str) -> None:
        answer = self.answers[answer_id]
        for key in answer["translation_ids"]:
            translation = self.translations[key]
            if translation["kb_locale_id"] == KB_LOCALES[language]:
                translation.update(title=title, updated_at=_now())
                self.contents[translation["content_id"]]["body"] = body
                answer["updated_at"] = _now()  # Zammad touches the answer with its translation
                return
        self._translate(answer, language, title, body)

    def set_visibility(self, answer_id: int, visibility: str) -> None:
        """ "published", "internal", "draft" or "archived", as the editor's buttons do."""
        answer, now = self.answers[answer_id], _now()
        answer.update(
            published_at=now if visibility == "published" else None,
            internal_at=now if visibility == "internal" else None,
            archived_at=now if visibility == "archived" else None,
            updated_at=now,
        )

    def destroy(self, answer_id: int) -> None:
        answer = self.answers.pop(answer_id)
        for key in answer["translation_ids"]:
            self.contents.pop(self.translations.pop(key)["content_id"], None)
        self.category["answer_ids"].remove(answer_id)
        self.base["answer_ids"].remove(answer_id)

    def init(self) -> dict[str, Any]:
        def keyed(rows: dict[int, dict[str, Any]]) -> dict[str, Any]:
            return {str(k): v for k, v in rows.items()}

        return {
            "KnowledgeBase": {"1": self.base},
            "KnowledgeBaseLocale": keyed(self.locales),
            "KnowledgeBaseCategory": {"1": self.category},
            "KnowledgeBaseCategoryTranslation": keyed(self.category_translations),
            "KnowledgeBaseAnswer": keyed(self.answers),
            "KnowledgeBaseAnswerTranslation": keyed(self.translations),
        }

    def show(self, answer_id: int, contents: str) -> dict[str, Any] | None:
        answer = self.answers.get(answer_id)
        if answer is None:
            return None
        mine = {k: self.translations[k] for k in answer["translation_ids"]}
        wanted = {int(c) for c in contents.split(",") if c.isdigit()}
        assets: dict[str, Any] = {
            "KnowledgeBaseAnswer": {str(answer_id): answer},
            "KnowledgeBaseCategory": {"1": self.category},
            "KnowledgeBaseAnswerTranslation": {str(k): v for k, v in mine.items()},
        }
        if wanted:
            assets["KnowledgeBaseAnswerTranslationContent"] = {
                str(k): self.contents[k] for k in wanted if k in self.contents
            }
        return {"id": answer_id, "assets": assets}


def zammad_app(faults: Faults) -> tuple[ASGIApp, Zammad]:
    zammad = Zammad()

    def user_of(request: Request) -> int | None:
        token = request.headers.get("authorization", "").removeprefix("Token token=")
        return zammad.tokens.get(token)

    def not_found(kind: str, key: object) -> JSONResponse:
        text = f"Couldn't find {kind} with 'id'={key}"
        return JSONResponse({"error": text, "error_human": text}, 404)

    async def endpoint(request: Request) -> Response:
        user = user_of(request)
        if user is None:
            return JSONResponse({"error": "Invalid token!", "error_human": "Invalid token!"}, 401)
        # Read the body before taking the lock (cached by Starlette for request.json() below):
        # awaiting the network inside a thread lock blocks every other request of the server.
        await request.body()
        with zammad.lock:
            return await route(request, user)

    async def route(request: Request, user: int) -> Response:
        path = request.url.path.removeprefix("/api/v1/")
        expand = request.query_params.get("expand") == "true"
        if path == "locales":
            return JSONResponse(LOCALES)
        if path == "knowledge_bases/init" and request.method == "POST":
            return JSONResponse(zammad.knowledge.init())
        found = KB_ANSWER.match(path)
        if found:
            shown = zammad.knowledge.show(
                int(found.group(2)), request.query_params.get("include_contents", "")
            )
            return (
                JSONResponse(shown) if shown else not_found("KnowledgeBase::Answer", found.group(2))
            )
        if path == "users/me":
            return JSONResponse(zammad.users[user])
        if path == "tickets/search":
            found = zammad.search(request.query_params["query"])
            found = found[: int(request.query_params.get("limit", 10))]
            if expand:
                return JSONResponse(found)
            return JSONResponse(
                {
                    "tickets": [t["id"] for t in found],
                    "tickets_count": len(found),
                    "assets": {"Ticket": {str(t["id"]): t for t in found}},
                }
            )
        if path == "tickets" and request.method == "POST":
            body = await request.json()
            ticket_id = len(zammad.tickets) + 1
            now = _now()
            ticket = {
                "id": ticket_id,
                "group_id": 1,
                "priority_id": PRIORITIES[body.get("priority", "2 normal")],
                "state_id": STATES[body.get("state", "new")],
                "number": str(31000 + ticket_id),
                "title": body["title"],
                "owner_id": NOBODY_ID,
                "customer_id": zammad.customer(str(body.get("customer_id", ""))),
                "pending_time": body.get("pending_time"),
                "guichet_reference": body.get("guichet_reference"),
                "article_count": 1,
                "created_by_id": user,
                "updated_by_id": user,
                "created_at": now,
                "updated_at": now,
            }
            zammad.tickets[ticket_id] = ticket
            if body.get("article"):
                zammad.add_article(ticket_id, body["article"], user)
            return JSONResponse(zammad.expanded(ticket) if expand else ticket, 201)
        if path == "ticket_articles" and request.method == "POST":
            body = await request.json()
            if int(body["ticket_id"]) not in zammad.tickets:
                return not_found("Ticket", body["ticket_id"])
            return JSONResponse(zammad.add_article(int(body["ticket_id"]), body, user), 201)
        kind, _, key = path.rpartition("/")
        if not key.isdigit() or int(key) not in zammad.tickets:
            return not_found("Ticket", key)
        ticket = zammad.tickets[int(key)]
        if kind == "tickets" and request.method == "PUT":
            zammad.update(ticket, await request.json(), user)
        if kind == "tickets":
            return JSONResponse(zammad.expanded(ticket) if expand else ticket)
        if kind == "ticket_history":
            entries = [h for h in zammad.history if h["o_id"] == ticket["id"]]
            return JSONResponse({"history": entries, "assets": {}})
        if kind == "ticket_articles/by_ticket":
            return JSONResponse([a for a in zammad.articles if a["ticket_id"] == ticket["id"]])
        return JSONResponse({"error": "No route matches", "error_human": "No route"}, 404)

    app = Starlette(routes=[Route("/api/v1/{path:path}", endpoint, methods=["GET", "POST", "PUT"])])
    return FaultMiddleware(app, faults, zammad_error), zammad
