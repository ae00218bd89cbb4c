"""French typography as Guichet writes it (docs/architecture.md): a narrow no-break space
(U+202F) before `?`, `!` and `;`, a no-break space (U+00A0) before `:` and inside `« »`, no "(s)"
plurals. URLs, inline code, HTML tags, Markdown link targets and `{placeholders}` are left out."""

from __future__ import annotations

import re

_LEFT_OUT = re.compile(
    r"https?://[^\s)\]>\"']+"  # a URL
    r"|`[^`\n]*`"  # inline code
    r"|<[^>\n]*>"  # an HTML tag
    r"|\]\([^)\s]*\)"  # a Markdown link target
    r"|\{[a-z_]+\}"  # a placeholder
    r"|!\["  # a Markdown image
    r"|&#?\w+;"  # an HTML entity
    r"|\b[A-Z]:(?=[\\\s,.)]|$)"  # a drive letter, H: or C:\\
)
_FAULTS = (
    (re.compile(r"[^\s\u202f?!;][?!;]"), "no narrow no-break space (U+202F) before ? ! ;"),
    (re.compile(r"[ \u00a0][?!;]"), "another space than U+202F before ? ! ;"),
    (re.compile(r"[^\s\u00a0:]:(?=\s|$)|[ \u202f]:"), "no no-break space (U+00A0) before :"),
    (re.compile(r"«(?!\u00a0)|(?<!\u00a0)»"), "no no-break space (U+00A0) inside « »"),
    (re.compile(r"\w\((?:s|x|e|es|nt)\)"), 'a plural written "(s)": use tn(...)'),
)


def typography_faults(text: str) -> list[str]:
    """What breaks the rule in a French text, each with the words around it."""
    prose = _LEFT_OUT.sub("\x00", text)
    return [
        f"{why}: {prose[max(0, m.start() - 25) : m.end() + 5]!r}"
        for pattern, why in _FAULTS
        for m in pattern.finditer(prose)
    ]
