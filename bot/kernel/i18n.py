"""The message catalog: every sentence Guichet shows, in English and in French, with gettext.

The English sentence is the message id (the ecosystem's standard), so the code reads as what
it says and `pybabel extract` yields a real template for translators:

    t("Did that solve your problem?", language)
    t("Ticket {reference} is created.", language, reference=ticket.reference)
    tn("{n} attempt left.", "{n} attempts left.", left, language)   # plural forms, `n` filled in
    tp("notice", "Close", language)                                 # a context: one English
                                                                     # text, two French ones
    STATUS_NAMES = {"new": N_("new"), ...}  # marked for extraction, translated later with t()

Placeholders are `{name}`, filled in with `str.format`; the French text keeps exactly the same
ones. Jinja templates call `_("...")`, `ngettext(...)` and `pgettext(...)`, the same functions
bound to the page's language (`gettext_callables`).

The catalog: `bot/locale/guichet.pot` (the template, extracted from the code) and
`bot/locale/fr/LC_MESSAGES/guichet.po` (French). English needs none: the id is the text. The
`.po` file is read once, at first use, with Babel (no compiled `.mo` file to build or to keep
in step).

To add or change a sentence:
  1. write it in the code with `t`, `tn`, `tp` or `N_` (`_` in a template);
  2. `make messages`: `pybabel extract` (babel.cfg, the keywords below) writes the template,
     `pybabel update` merges it into the French catalog;
  3. translate the new entries of `guichet.po` and remove their `fuzzy` flags.
`tests/bot/kernel/test_i18n.py` fails while code and catalog differ, or a French entry is
missing, fuzzy, or has other placeholders than the English text.
"""

from __future__ import annotations

import functools
import gettext
import io
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "guichet"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
TRANSLATED = ("fr",)
# The functions `pybabel extract` looks for, besides its defaults (`_`, `gettext`, `ngettext`,
# `pgettext`, `N_`...): the Makefile's `messages` target passes the same ones.
KEYWORDS = ("t", "tn:1,2", "tp:1c,2")


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def N_(message: str) -> str:  # noqa: N802  (gettext's name for "mark only")
    """Mark a text for extraction without translating it: it is translated where it is used."""
    return message


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language`, read from its `.po` file once; English (and any language
    without a catalog) is the message ids themselves."""
    if language not in TRANSLATED:
        return NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _fill(text: str, values: dict[str, object]) -> str:
    return text.format(**values) if values else text


def t(message: str, language: str, **values: object) -> str:
    """`message` in `language`, its `{placeholders}` filled in with `values`."""
    return _fill(translations(language).gettext(message), values)


def tn(singular: str, plural: str, n: int, language: str, **values: object) -> str:
    """The singular or plural form for `n`, by the language's rule (French: 0 and 1 are
    singular); `{n}` is filled in with `n` unless `values` says otherwise."""
    return _fill(translations(language).ngettext(singular, plural, n), {"n": n, **values})


def tp(context: str, message: str, language: str, **values: object) -> str:
    """`message` in `context`: one English text that needs different translations."""
    return _fill(translations(language).pgettext(context, message), values)


def placeholders(text: str) -> set[str]:
    """The `{names}` of a text, as `str.format` reads them."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def gettext_callables(
    language: str, markup: Callable[[str], str] = str
) -> dict[str, Callable[..., str]]:
    """`_`, `gettext`, `ngettext` and `pgettext` for a Jinja template rendered in `language`
    (the names `pybabel extract` finds in templates); they fill in `{placeholders}` too.
    `markup`: what the translated text becomes before it is filled in; with markupsafe's
    `Markup`, the text is trusted (it is ours) and only the values are escaped."""
    catalog = translations(language)

    def fill(text: str, values: dict[str, Any]) -> str:
        return markup(text).format(**values) if values else markup(text)

    def translate(message: str, **values: Any) -> str:
        return fill(catalog.gettext(message), values)

    def plural(singular: str, plural: str, n: int, **values: Any) -> str:
        return fill(catalog.ngettext(singular, plural, n), {"n": n, **values})

    def in_context(context: str, message: str, **values: Any) -> str:
        return fill(catalog.pgettext(context, message), values)

    return {"_": translate, "gettext": translate, "ngettext": plural, "pgettext": in_context}
