"""Arriving on a ticket page from a link the bot gave in chat (`?signin=TOKEN`).

The token is spent for a session cookie of role `employee` and the browser goes on to the same
address without it (bot/auth/chat_links). A token that cannot be used leads to a page that says
why and how to get a new link, never to a password form: employees have no Guichet password.
A browser that already has a session (the same link opened twice) just goes on to the page,
whose ownership rules apply as always.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from bot.auth.chat_links import PARAMETER, SignInLinkRefused
from bot.auth.deps import optional_user
from bot.console.pages import signed_in
from bot.kernel.errors import GuichetError
from bot.services import Services

# The exchange's answers must not be kept nor pass the token on.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def clean_target(request: Request) -> str:
    """The address asked for, without the token."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != PARAMETER]
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


async def _already_signed_in(request: Request) -> bool:
    try:
        return await optional_user(request) is not None
    except GuichetError:
        return False


async def arrive(request: Request, services: Services) -> Response | None:
    """Spend the link's token and go on to the clean address; None when it cannot be used and
    the browser has no session either (the caller says so, with a 410 page)."""
    target = clean_target(request)
    try:
        user = await services.chat_links.redeem(request.query_params[PARAMETER], request.url.path)
    except SignInLinkRefused as refused:
        if await _already_signed_in(request):
            return RedirectResponse(target, status_code=303, headers=PRIVATE_HEADERS)
        await services.auth.audit(
            "system",
            "login.chat_link.refused",
            target_kind="page",
            target=request.url.path,
            data={"reason": refused.fields.get("reason")},
        )
        return None
    session = await services.auth.open_session(user, role="employee")
    await services.auth.audit(
        user.email, "login.chat_link", target_kind="user", target=user.email, data={"page": target}
    )
    response = RedirectResponse(target, status_code=303, headers=PRIVATE_HEADERS)
    signed_in(response, services, session)
    return response
