"""The frame of the pages Guichet serves: head, favicon, the bar back to the intranet, the
widget's tag."""

from __future__ import annotations

import html

from bot.kernel.i18n import t
from bot.kernel.language import Language


def page(*, language: Language, title: str, body: str, widget: str, script: str = "") -> str:
    extra = f'\n<script src="{script}" defer></script>' if script else ""
    return f"""<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="/widget/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/widget/demo.css">{extra}
</head>
<body>
{body}
{widget}
</body>
</html>"""


def widget_tag(*, signed_in: bool) -> str:
    """The one tag an intranet page adds; the demo portal hands out the token."""
    token = ' data-token-url="/demo/portal/token"' if signed_in else ""
    return f'<script src="/widget/guichet.js"{token} defer></script>'


def bar(language: Language) -> str:
    back = html.escape(t("Back to the intranet", language))
    return f'<header class="bar"><a href="/">{back}</a></header>'
