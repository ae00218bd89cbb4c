"""MkDocs hook: the settings reference, generated from the settings classes at build time.

`docs/settings.md` holds the hand-written introduction and the marker line
`<!-- settings-reference -->`; this hook replaces the marker with one table per section, made by
walking `bot.settings.Settings` (pydantic-settings, prefix `GUICHET_`, nested with `__`) and every
nested `BaseModel`, wherever the nested classes are defined. Nothing generated is committed.

Descriptions come from each field's `description=`; fields without one may be described in
`docs/hooks/settings_notes.yml` (keyed by environment variable), which this hook checks against
the settings: a note for a variable that does not exist, or a `GUICHET_*` name in the docs or the
README that is no setting, is a warning, so `mkdocs build --strict` fails instead of drifting.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import json
import logging
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import annotated_types
import yaml
from pydantic import BaseModel, SecretStr, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

log = logging.getLogger("mkdocs.hooks.settings_reference")

MARKER = "<!-- settings-reference -->"
SETTINGS_CLASS = "bot.settings:Settings"
NOTES_FILE = Path(__file__).with_name("settings_notes.yml")
LONG_DEFAULT = 60  # characters; longer defaults are shown below their section's table
NAME_IN_TEXT = re.compile(r"GUICHET_[A-Z0-9_]+\*?")


@dataclass
class Row:
    env: str
    type: str
    default: str
    description: str
    long_default: str | None = None


@dataclass
class Section:
    title: str
    prefix: str
    model: type[BaseModel]
    rows: list[Row] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)


def _repo_root(config: Any) -> Path:
    return Path(config["config_file_path"]).resolve().parent


def load_settings_class(root: Path) -> type[BaseSettings]:
    """The root settings class of the checkout being documented (not an installed copy)."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module_name, _, class_name = SETTINGS_CLASS.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, BaseSettings)):
        raise TypeError(f"{SETTINGS_CLASS} is not a pydantic-settings BaseSettings class")
    return cls


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None was allowed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            return args[0], optional
        return typing.Union[tuple(args)], optional  # noqa: UP007 - built from a list
    return annotation, False


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    inner, _ = _without_none(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner
    return None


def type_name(annotation: Any) -> str:
    """A short readable name: `float`, `str | None`, `list[str]`, `"en" | "fr"`."""
    inner, optional = _without_none(annotation)
    suffix = " | None" if optional else ""
    origin = typing.get_origin(inner)
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in typing.get_args(inner)) + suffix
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return " | ".join(json.dumps(m.value) for m in inner) + suffix
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in typing.get_args(inner)) + suffix
    if origin is not None:
        args = ", ".join("..." if a is Ellipsis else type_name(a) for a in typing.get_args(inner))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]{suffix}"
    return getattr(inner, "__name__", str(inner)) + suffix


def constraints(info: FieldInfo) -> str:
    """Bounds and patterns declared on the field, e.g. `>= 0, <= 1`."""
    parts = []
    symbols = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    for meta in info.metadata:
        for attr, symbol in symbols.items():
            value = getattr(meta, attr, None)
            if value is not None and isinstance(meta, annotated_types.BaseMetadata):
                parts.append(f"{symbol} {value}")
        if getattr(meta, "min_length", None) is not None:
            parts.append(f"at least {meta.min_length} characters")
        if getattr(meta, "pattern", None) is not None:
            parts.append(f"matches `{meta.pattern}`")
    return ", ".join(parts)


def default_text(info: FieldInfo, root: Path) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, SecretStr):
        return '`""`' if not value.get_secret_value() else "hidden"
    if value is None:
        return "unset"
    if isinstance(value, Path):
        path = value.resolve() if value.is_absolute() else value
        if path.is_absolute() and path.is_relative_to(root):
            path = path.relative_to(root)
        return f"`{path.as_posix()}`"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    dumped = TypeAdapter(info.annotation).dump_python(value, mode="json")
    return f"`{json.dumps(dumped, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def walk(
    model: type[BaseModel],
    prefix: str,
    title: str,
    root: Path,
    notes: dict[str, str],
    delimiter: str,
) -> Section:
    section = Section(title=title, prefix=prefix, model=model)
    for name, info in model.model_fields.items():
        env = f"{prefix}{(info.alias or name).upper()}"
        nested = _nested_model(info.annotation)
        if nested is not None:
            child_title = f"{title}.{name}" if title else name
            section.children.append(
                walk(nested, f"{env}{delimiter}", child_title, root, notes, delimiter)
            )
            continue
        kind = type_name(info.annotation)
        bounds = constraints(info)
        default = default_text(info, root)
        long_default = None
        if len(default) > LONG_DEFAULT:
            long_default, default = default.strip("`"), "see below"
        section.rows.append(
            Row(
                env=env,
                type=f"`{kind}`" + (f", {bounds}" if bounds else ""),
                default=default,
                description=info.description or notes.get(env, ""),
                long_default=long_default,
            )
        )
    return section


def build_reference(settings_cls: type[BaseSettings], root: Path, notes: dict[str, str]) -> Section:
    config = settings_cls.model_config
    prefix = str(config.get("env_prefix") or "")
    delimiter = str(config.get("env_nested_delimiter") or "__")
    return walk(settings_cls, prefix.upper(), "", root, notes, delimiter)


def all_rows(section: Section) -> list[Row]:
    rows = list(section.rows)
    for child in section.children:
        rows.extend(all_rows(child))
    return rows


def render(section: Section, depth: int = 2) -> str:
    lines: list[str] = []
    if section.title:
        lines.append(f"{'#' * depth} `{section.prefix}*` {{ #{section.title.replace('.', '-')} }}")
    else:
        lines.append(f"{'#' * depth} General")
    lines.append("")
    source = f"{section.model.__module__}.{section.model.__qualname__}"
    own_doc = section.model.__dict__.get("__doc__")  # a docstring of its own, not inherited
    if own_doc:
        for paragraph in inspect.cleandoc(own_doc).split("\n\n"):
            lines.extend([" ".join(paragraph.split()), ""])
    lines.extend([f"Defined in `{source}`.", ""])
    if section.rows:
        lines.append("| variable | type | default | description |")
        lines.append("| --- | --- | --- | --- |")
        for row in section.rows:
            lines.append(
                f"| `{row.env}` | {_cell(row.type)} | {_cell(row.default)} | "
                f"{_cell(row.description)} |"
            )
        lines.append("")
        for row in section.rows:
            if row.long_default is not None:
                lines.extend(
                    [f"Default of `{row.env}`:", "", "```json", row.long_default, "```", ""]
                )
    # The root's own fields are "General"; its nested sections are its siblings.
    child_depth = depth if not section.title else min(depth + 1, 4)
    for child in section.children:
        lines.append(render(child, child_depth))
    return "\n".join(lines)


def _load_notes() -> dict[str, str]:
    if not NOTES_FILE.exists():
        return {}
    data = yaml.safe_load(NOTES_FILE.read_text(encoding="utf-8")) or {}
    return {str(k): " ".join(str(v).split()) for k, v in data.items()}


class _State:
    names: typing.ClassVar[set[str]] = set()
    markdown: typing.ClassVar[str] = ""
    count: typing.ClassVar[int] = 0


def on_config(config: Any) -> Any:
    """Build the reference once per build and check the notes against it."""
    root = _repo_root(config)
    notes = _load_notes()
    reference = build_reference(load_settings_class(root), root, notes)
    rows = all_rows(reference)
    _State.names = {row.env for row in rows}
    _State.count = len(rows)
    _State.markdown = render(reference)
    for env in sorted(set(notes) - _State.names):
        log.warning("settings_notes.yml describes %s, which is not a setting", env)
    for env, text in notes.items():
        described = next((r for r in rows if r.env == env), None)
        if described is not None and described.description != text:
            log.info("%s has its own description in the code; the note is not used", env)
    _check_names(root / "README.md", (root / "README.md").read_text(encoding="utf-8"))
    return config


def _check_names(where: Path | str, text: str) -> None:
    """Warn about `GUICHET_*` names that are no setting (a prefix ending in `*` or `__` counts
    when some setting starts with it)."""
    for match in NAME_IN_TEXT.finditer(text):
        name = match.group(0)
        if name.endswith(("*", "_")):
            stem = name.rstrip("*")
            if stem == "GUICHET_" or any(n.startswith(stem) for n in _State.names):
                continue
        elif name in _State.names or any(n.startswith(f"{name}__") for n in _State.names):
            continue  # a setting, or a nested section given as a whole (JSON)
        log.warning("%s names %s, which is not a setting", where, name)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    _check_names(page.file.src_uri, markdown)
    if MARKER not in markdown:
        return markdown
    count = f"{_State.count} settings, generated from the code when this site was built.\n\n"
    return markdown.replace(MARKER, count + _State.markdown)
