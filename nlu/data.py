"""Read Rasa 3 NLU YAML files (intents with annotated entities, synonyms, regexes, lookups)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from bot.errors import GuichetError

# [text](entity) or [text]{"entity": "impact", "value": "team"}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<name>[\w-]+)\)|(?P<json>\{[^}]*\}))")


class TrainingDataInvalid(GuichetError):
    message = "{path}: {problem}"


class EntitySpan(BaseModel):
    entity: str
    start: int
    end: int
    text: str
    value: str


class Example(BaseModel):
    text: str
    intent: str
    language: str
    entities: list[EntitySpan] = Field(default_factory=list)


class TrainingData(BaseModel):
    examples: list[Example] = Field(default_factory=list)
    synonyms: dict[str, str] = Field(default_factory=dict)
    regexes: dict[str, list[str]] = Field(default_factory=dict)
    lookups: dict[str, list[str]] = Field(default_factory=dict)
    fingerprint: str = ""

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})


def parse_example(raw: str, intent: str, language: str) -> Example:
    """Strip Rasa entity annotations, keeping their spans and normalised values."""
    text, spans, cursor = "", [], 0
    for match in _ANNOTATION.finditer(raw):
        text += raw[cursor : match.start()]
        surface = match["text"]
        if match["json"]:
            spec = json.loads(match["json"])
            name, value = spec["entity"], str(spec.get("value", surface))
        else:
            name, value = match["name"], surface
        spans.append(
            EntitySpan(
                entity=name,
                start=len(text),
                end=len(text) + len(surface),
                text=surface,
                value=value,
            )
        )
        text += surface
        cursor = match.end()
    text += raw[cursor:]
    return Example(text=text, intent=intent, language=language, entities=spans)


def _items(block: str) -> list[str]:
    return [
        line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")
    ]


def load_training_data(directory: Path) -> TrainingData:
    """Every `*.yml` under `directory/<language>/`; the folder name is the language."""
    files = sorted(directory.glob("*/*.yml"))
    if not files:
        raise TrainingDataInvalid(
            path=str(directory),
            problem="no <language>/*.yml NLU files; "
            "set GUICHET_NLU__DATA_DIR to the folder holding them",
        )
    data = TrainingData()
    digest = hashlib.sha256()
    for path in files:
        raw = path.read_bytes()
        digest.update(path.parent.name.encode() + path.name.encode() + raw)
        try:
            document = yaml.safe_load(raw) or {}
        except yaml.YAMLError as exc:
            raise TrainingDataInvalid(path=str(path), problem=f"invalid YAML: {exc}") from exc
        language = path.parent.name
        for block in document.get("nlu", []):
            if "intent" in block:
                data.examples.extend(
                    parse_example(item, block["intent"], language)
                    for item in _items(block.get("examples", ""))
                )
            elif "synonym" in block:
                for item in _items(block.get("examples", "")):
                    data.synonyms[item.casefold()] = str(block["synonym"])
            elif "regex" in block:
                data.regexes.setdefault(block["regex"], []).extend(
                    _items(block.get("examples", ""))
                )
            elif "lookup" in block:
                data.lookups.setdefault(block["lookup"], []).extend(
                    _items(block.get("examples", ""))
                )
    data.fingerprint = digest.hexdigest()
    return data
