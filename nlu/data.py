"""Read Rasa 3 NLU YAML files (intents with annotated entities, synonyms, regexes, lookups).

Every example keeps the file and line it came from, so that a problem in the data can be
reported where a person would fix it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from bot.kernel.errors import GuichetError

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
    path: str = ""
    line: int = 0

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


class Block(BaseModel):
    """Where an `- intent:`, `- regex:`... block starts, for problems about a whole block."""

    kind: str
    name: str
    language: str
    path: str
    line: int


class TrainingData(BaseModel):
    examples: list[Example] = Field(default_factory=list)
    synonyms: dict[str, str] = Field(default_factory=dict)
    regexes: dict[str, list[str]] = Field(default_factory=dict)
    lookups: dict[str, list[str]] = Field(default_factory=dict)
    blocks: list[Block] = Field(default_factory=list)
    files: list[Path] = Field(default_factory=list)
    fingerprint: str = ""

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    @property
    def languages(self) -> list[str]:
        return sorted({e.language for e in self.examples})


class AnnotationInvalid(ValueError):
    """An entity annotation that cannot be read; the loader adds the file and line."""


def parse_example(raw: str, intent: str, language: str) -> Example:
    """Strip Rasa entity annotations, keeping their spans and normalised values."""
    text, spans, cursor = "", [], 0
    for match in _ANNOTATION.finditer(raw):
        text += raw[cursor : match.start()]
        surface = match["text"]
        if match["json"]:
            try:
                spec = json.loads(match["json"])
                name, value = str(spec["entity"]), str(spec.get("value", surface))
            except (ValueError, KeyError, TypeError) as exc:
                raise AnnotationInvalid(
                    f"entity annotation {match['json']} is not JSON with an 'entity' key"
                ) from exc
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


def _items(node: yaml.Node) -> list[tuple[int, str]]:
    """The `- item` lines of an `examples: |` block with their 1-based line numbers."""
    if not isinstance(node, yaml.ScalarNode):
        return []
    # A block scalar's text starts on the line after its `|`; other styles start on the mark.
    first = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
    return [
        (first + offset, line.strip()[2:].strip())
        for offset, line in enumerate(str(node.value).splitlines())
        if line.strip().startswith("- ")
    ]


def _mapping(node: yaml.Node) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): value for key, value in node.value}


def _read_file(path: Path, raw: bytes, data: TrainingData) -> None:
    language = path.parent.name
    try:
        document = yaml.compose(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TrainingDataInvalid(path=str(path), problem=f"invalid YAML: {exc}") from exc
    blocks = _mapping(document).get("nlu") if document is not None else None
    if not isinstance(blocks, yaml.SequenceNode):
        return
    for block_node in blocks.value:
        block = _mapping(block_node)
        examples = _items(block["examples"]) if "examples" in block else []
        kind = next((k for k in ("intent", "synonym", "regex", "lookup") if k in block), "")
        if kind:
            data.blocks.append(
                Block(
                    kind=kind,
                    name=str(block[kind].value),
                    language=language,
                    path=str(path),
                    line=block[kind].start_mark.line + 1,
                )
            )
        if kind == "intent":
            name = str(block["intent"].value)
            for line, item in examples:
                try:
                    example = parse_example(item, name, language)
                except AnnotationInvalid as exc:
                    raise TrainingDataInvalid(path=f"{path}:{line}", problem=str(exc)) from exc
                example.path, example.line = str(path), line
                data.examples.append(example)
        elif kind == "synonym":
            for _, item in examples:
                data.synonyms[item.casefold()] = str(block["synonym"].value)
        elif kind == "regex":
            data.regexes.setdefault(str(block["regex"].value), []).extend(
                item for _, item in examples
            )
        elif kind == "lookup":
            data.lookups.setdefault(str(block["lookup"].value), []).extend(
                item for _, item in examples
            )
        else:
            line = block_node.start_mark.line + 1
            raise TrainingDataInvalid(
                path=f"{path}:{line}",
                problem="expected a block starting with intent, synonym, regex or lookup",
            )


def load_training_data(directory: Path) -> TrainingData:
    """Every `*.yml` under `directory/<language>/`; the folder name is the language."""
    files = sorted(directory.glob("*/*.yml"))
    if not files:
        raise TrainingDataInvalid(
            path=str(directory),
            problem="no <language>/*.yml NLU files; "
            "set GUICHET_NLU__DATA_DIR to the folder holding them",
        )
    data = TrainingData(files=files)
    digest = hashlib.sha256()
    for path in files:
        raw = path.read_bytes()
        digest.update(path.parent.name.encode() + path.name.encode() + raw)
        _read_file(path, raw, data)
    data.fingerprint = digest.hexdigest()
    return data


def load_test_data(path: Path) -> list[Example]:
    """Labelled messages from one NLU file (its folder names the language) or a folder of them."""
    if path.is_dir():
        return load_training_data(path).examples
    if not path.is_file():
        raise TrainingDataInvalid(path=str(path), problem="no such file or folder")
    data = TrainingData(files=[path])
    _read_file(path, path.read_bytes(), data)
    return data.examples
