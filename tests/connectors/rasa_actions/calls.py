"""Action-server calls as Rasa 3.6 builds them (`RemoteAction._action_call_format`).

`RasaConversation` keeps the tracker of one sender the way Rasa does for these tests: events
with timestamps, slots, the latest message, the active loop, the latest action. The shape of
each call (keys of the call, of the tracker and of its events) is the one Rasa 3.6.21 sends;
the end-to-end test with a real Rasa server checks the rest.
"""

from __future__ import annotations

import time
from typing import Any

RASA_VERSION = "3.6.21"


def _now() -> float:
    return time.time()


class RasaConversation:
    def __init__(self, sender_id: str, domain: dict[str, Any]) -> None:
        self.sender_id = sender_id
        self.domain = {**domain, "session_config": {"session_expiration_time": 60}}
        self.slots: dict[str, Any] = dict.fromkeys(domain.get("slots", {}))
        self.slots |= {"requested_slot": None, "session_started_metadata": None}
        self.latest_message: dict[str, Any] = {}
        self.active_loop: dict[str, Any] = {}
        self.latest_action_name = "action_listen"
        self.events: list[dict[str, Any]] = []
        self.action("action_session_start")
        self.events.append({"event": "session_started", "timestamp": _now()})
        self.action("action_listen")

    def action(self, name: str) -> None:
        self.latest_action_name = name
        self.events.append(
            {
                "event": "action",
                "timestamp": _now(),
                "name": name,
                "policy": "RulePolicy",
                "confidence": 1.0,
                "action_text": None,
                "hide_rule_turn": False,
            }
        )

    def user(
        self,
        text: str,
        intent: str | None = None,
        entities: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        parse = {
            "intent": {"name": intent, "confidence": 1.0 if intent else 0.0},
            "entities": [
                {"entity": k, "start": 0, "end": len(text), "value": v, "extractor": "DIET"}
                for k, v in (entities or {}).items()
            ],
            "text": text,
            "message_id": "m" + str(len(self.events)),
            "metadata": metadata or {},
            "intent_ranking": [{"name": intent, "confidence": 1.0}] if intent else [],
        }
        self.latest_message = parse
        self.events.append(
            {
                "event": "user",
                "timestamp": _now(),
                "metadata": metadata or {},
                "text": text,
                "parse_data": parse,
                "input_channel": "rest",
                "message_id": parse["message_id"],
            }
        )

    def set_slots(self, **values: Any) -> None:
        """Slot candidates, as the form appends them before calling its validation action."""
        for name, value in values.items():
            self.slots[name] = value
            self.events.append({"event": "slot", "timestamp": _now(), "name": name, "value": value})

    def loop(self, form: str | None, requested: str | None = None) -> None:
        self.active_loop = {"name": form} if form else {}
        self.events.append({"event": "active_loop", "timestamp": _now(), "name": form})
        self.set_slots(requested_slot=requested)

    def call(self, next_action: str) -> dict[str, Any]:
        return {
            "next_action": next_action,
            "sender_id": self.sender_id,
            "tracker": {
                "sender_id": self.sender_id,
                "slots": dict(self.slots),
                "latest_message": self.latest_message,
                "latest_event_time": self.events[-1]["timestamp"],
                "followup_action": None,
                "paused": False,
                "events": list(self.events),
                "latest_input_channel": "rest",
                "active_loop": dict(self.active_loop),
                "latest_action": {"action_name": self.latest_action_name},
                "latest_action_name": self.latest_action_name,
            },
            "domain": self.domain,
            "version": RASA_VERSION,
        }

    def apply(self, next_action: str, result: dict[str, Any]) -> None:
        """What Rasa does with an action's answer: its events, its messages as bot events."""
        self.action(next_action)
        for event in result["events"]:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
            self.events.append({**event, "timestamp": _now()})
        for message in result["responses"]:
            self.events.append(
                {"event": "bot", "timestamp": _now(), "text": message["text"], "data": {}}
            )
