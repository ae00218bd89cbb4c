"""A local Slack Web API answering with Slack's documented payloads, and a request signer.

Responses follow the method pages of docs.slack.dev (auth.test, users.info, chat.postMessage,
chat.postEphemeral, chat.update, views.open); the server records each call so the tests can see
what Guichet sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0NORVANE"
BOT_USER = "U0GUICHET"
BOT_ID = "B0GUICHET"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str | None
    locale: str = "en-US"


PEOPLE = {
    "U0ANN": Person("U0ANN", "ann", "Ann.Martin@norvane.example", "en-US"),
    "U0BEA": Person("U0BEA", "bea", "bea.durand@norvane.example", "fr-FR"),
    "U0NOMAIL": Person("U0NOMAIL", "guest", None),
}


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, at: float | None = None
) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    timestamp = str(int(at if at is not None else time.time()))
    digest = hmac.new(
        secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


def form(**fields: str) -> str:
    return urlencode(fields)


def interactive(payload: dict[str, Any]) -> str:
    """Interactivity requests are form-encoded with one `payload` field holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


_event_ids = itertools.count(1)
# Event ids are remembered an hour, in Redis too when the settings name one: unique per run.
_RUN = uuid.uuid4().hex[:4].upper()


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> str:
    """An Events API `event_callback` envelope around `event`."""
    return json.dumps(
        {
            "token": "XXYYZZ",
            "team_id": TEAM,
            "api_app_id": "A0GUICHET",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{_RUN}{next(_event_ids):06d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
    )


def direct_message(user: str, text: str, *, ts: str | None = None) -> dict[str, Any]:
    ts = ts or f"{time.time():.6f}"
    return {
        "type": "message",
        "channel": f"D{user[1:]}",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
    }


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float


@dataclass
class FakeSlack:
    """The Web API under `/api/`; `delay` makes chat.postMessage slow like a busy Slack."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=lambda: dict(PEOPLE))
    # called in the server's thread for each recorded call (the benchmark's clock)
    on_call: Callable[[Call], None] | None = None
    delay: float = 0.0
    down: bool = False
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/{method}", self._api, methods=["GET", "POST"])])

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int, timeout: float = 20.0) -> list[Call]:
        """Block until `count` calls of `method` arrived (run it with asyncio.to_thread); the
        first `count` of them: more may have come meanwhile (an answer of two messages)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.of(method)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{method}: {len(self.of(method))} calls, wanted {count}")
                self._changed.wait(left)
            return self.of(method)[:count]

    async def _api(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        args: dict[str, Any] = dict(request.query_params)
        if request.headers.get("content-type", "").startswith("application/json"):
            args.update(await request.json())
        else:
            args.update(dict(await request.form()))
        if self.down:
            return JSONResponse({"ok": False, "error": "service_unavailable"}, status_code=503)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        if method == "chat.postMessage" and self.delay:
            await asyncio.sleep(self.delay)
        answer = self._answer(method, args)
        call = Call(method, args, time.monotonic())
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if self.on_call is not None:
            self.on_call(call)
        return JSONResponse(answer)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://norvane.slack.com/",
                "team": "Norvane",
                "user": "guichet",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "users.info":
            person = self.people.get(str(args.get("user")))
            if person is None:
                return {"ok": False, "error": "user_not_found"}
            profile: dict[str, Any] = {
                "real_name": person.name.title(),
                "display_name": person.name,
                "real_name_normalized": person.name.title(),
                "display_name_normalized": person.name,
            }
            if person.email:
                profile["email"] = person.email
            user: dict[str, Any] = {
                "id": person.id,
                "team_id": TEAM,
                "name": person.name,
                "deleted": False,
                "real_name": person.name.title(),
                "tz": "Europe/Paris",
                "tz_label": "Central European Time",
                "tz_offset": 3600,
                "profile": profile,
                "is_bot": False,
                "is_app_user": False,
            }
            if str(args.get("include_locale")).lower() in {"true", "1"}:
                user["locale"] = person.locale
            return {"ok": True, "user": user}
        if method == "chat.postMessage":
            channel = str(args["channel"])
            if channel.startswith("U"):  # a user id: Slack posts in the DM with the app
                channel = "D" + channel[1:]
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {
                    "type": "message",
                    "subtype": "bot_message",
                    "text": args.get("text", ""),
                    "bot_id": BOT_ID,
                    "ts": ts,
                    "blocks": args.get("blocks", []),
                },
            }
        if method == "chat.postEphemeral":  # shown to `user` only, in `channel`
            if str(args.get("user")) not in self.people:
                return {"ok": False, "error": "user_not_in_channel"}
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "chat.update":
            return {
                "ok": True,
                "channel": args["channel"],
                "ts": args["ts"],
                "text": args.get("text", ""),
                "message": {"text": args.get("text", ""), "user": BOT_USER},
            }
        if method == "views.open":
            if not str(args.get("trigger_id", "")).startswith("trigger-"):
                return {"ok": False, "error": "invalid_trigger_id"}
            view = args["view"] if isinstance(args["view"], dict) else json.loads(args["view"])
            return {
                "ok": True,
                "view": {
                    "id": "VMHU10V25",
                    "team_id": TEAM,
                    "type": "modal",
                    "title": view["title"],
                    "submit": view.get("submit"),
                    "close": view.get("close"),
                    "blocks": view["blocks"],
                    "private_metadata": view.get("private_metadata", ""),
                    "callback_id": view.get("callback_id", ""),
                    "state": {"values": {}},
                    "hash": "156772938.1827394",
                    "clear_on_close": False,
                    "notify_on_close": False,
                    "root_view_id": "VMHU10V25",
                    "previous_view_id": None,
                    "app_id": "A0GUICHET",
                    "external_id": "",
                    "bot_id": BOT_ID,
                },
            }
        return {"ok": False, "error": "unknown_method"}
