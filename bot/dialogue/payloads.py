"""Button payloads in Rasa's form: `/intent` or `/intent{"entity": "value"}`."""

from __future__ import annotations

import json
import re

from nlu.protocol import Entity, ParseResult

_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)


def parse_payload(text: str) -> ParseResult | None:
    """A button's payload, read exactly; None when the text is not a payload."""
    match = _PAYLOAD.match(text.strip())
    if match is None:
        return None
    try:
        values = json.loads(match["entities"]) if match["entities"] else {}
    except json.JSONDecodeError:
        return None
    if not isinstance(values, dict):
        return None
    entities = [
        Entity(entity=str(k), value=str(v), text=str(v), start=0, end=0, extractor="payload")
        for k, v in values.items()
    ]
    return ParseResult(text=text, intent=match["intent"], confidence=1.0, entities=entities)
