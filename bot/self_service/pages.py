"""Guichet's own password pages, in English and French.

`/password/reset/{token}`: the one-time link the chat gives once the code is checked. The
employee types the new password twice; it goes straight to the directory (never stored or
logged) and a refusal says which rule, in the employee's language. The link stays usable until
the directory accepts a password or it expires.

`/password/demo-inbox/{token}`: in development with the demo sender, the codes sent to one
person (the path is signed for them); 404 anywhere else.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.api.deps import ServicesDep
from bot.api.page_language import (
    LANGUAGE_NAMES,
    LANGUAGES,
    other_language,
    page_language,
    remember_language,
)
from bot.api.page_zone import page_zone
from bot.kernel.directory import (
    DestinationKind,
    DirectoryError,
    PasswordRejected,
    PersonNotFound,
    PolicyReason,
)
from bot.kernel.domain import utcnow
from bot.kernel.i18n import N_, gettext_callables, t
from bot.kernel.language import Language
from bot.self_service.links import ResetLink
from bot.services import Services

TEMPLATES = Environment(
    loader=PackageLoader("bot.self_service", "templates"), autoescape=select_autoescape()
)
MAX_PASSWORD = 256  # longer than any directory takes; a bigger form is not a password
REASONS: dict[PolicyReason, str] = {
    PolicyReason.IN_HISTORY: N_(
        "You have used this password recently. Choose one you have not used before."
    ),
    PolicyReason.TOO_SIMPLE: N_(
        "This password is too simple for the company's rules: make it longer, or mix words, "
        "numbers and symbols."
    ),
    PolicyReason.TOO_SOON: N_(
        "Your password was changed too recently to be changed again now. Try again later, or "
        "talk to the IT service desk."
    ),
    PolicyReason.OTHER: N_("The company directory refused this password. Choose another one."),
}
KINDS = {
    DestinationKind.EMAIL: N_("E-mail"),
    DestinationKind.SMS: N_("Text message"),
    DestinationKind.VOICE: N_("Phone call"),
}

router = APIRouter(prefix="/password", include_in_schema=False)


def _render(
    request: Request, template: str, language: Language, *, status_code: int = 200, **values: Any
) -> HTMLResponse:
    other = other_language(language)
    html = TEMPLATES.get_template(template).render(
        language=language,
        zone=page_zone(request),
        other_language=other,
        other_language_name=LANGUAGE_NAMES[other],
        **gettext_callables(language),
        **values,
    )
    response = HTMLResponse(html, status_code=status_code)
    # The token is in the address: never sent on to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    remember_language(response, request, language, path="/password")
    return response


def _language(request: Request, fallback: str) -> Language:
    chosen = request.query_params.get("lang")
    for language in LANGUAGES:
        if chosen == language or (chosen not in LANGUAGES and fallback == language):
            return language
    return "en"


def _gone(request: Request, services: Services) -> HTMLResponse:
    language = page_language(request, services)
    return _render(
        request,
        "message.html",
        language,
        status_code=410,
        heading=t("This link no longer works", language),
        text=t(
            "A reset link works once and for 15 minutes. Ask the IT assistant in the chat for "
            "a new one.",
            language,
        ),
    )


def _refusal(error: PasswordRejected, language: str) -> str:
    if error.reason is PolicyReason.TOO_SHORT:
        if error.min_length:
            return t(
                "This password is too short: the company's rules ask for at least {n} characters.",
                language,
                n=error.min_length,
            )
        return t("This password is too short for the company's rules.", language)
    return t(REASONS[error.reason], language)


async def _name(services: Services, link: ResetLink) -> str | None:
    try:
        person = await services.directory.lookup(link.email)
    except DirectoryError:
        return None
    return person.name if person else None


@router.get("/reset/{token}", response_class=HTMLResponse)
async def reset_page(token: str, request: Request, services: ServicesDep) -> HTMLResponse:
    link = await services.self_service.links.find(token, now=utcnow())
    if link is None:
        return _gone(request, services)
    language = _language(request, link.language)
    return _render(request, "reset.html", language, name=await _name(services, link))


@router.post("/reset/{token}", response_class=HTMLResponse)
async def reset(
    token: str,
    request: Request,
    services: ServicesDep,
    password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    confirm: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
) -> HTMLResponse:
    links = services.self_service.links
    link = await links.find(token, now=utcnow())
    if link is None:
        return _gone(request, services)
    language = _language(request, link.language)

    def again(error: str, status_code: int) -> HTMLResponse:
        return _render(
            request,
            "reset.html",
            language,
            status_code=status_code,
            name=None,
            error=error,
        )

    if not password:
        return again(t("Type your new password in both fields.", language), 422)
    if password != confirm:
        return again(t("The two passwords are different. Type the same one twice.", language), 422)
    if not await links.claim(token, now=utcnow()):
        return _gone(request, services)
    try:
        await services.directory.set_password(link.email, password)
    except PasswordRejected as refused:
        await links.release(token)
        return again(_refusal(refused, language), 422)
    except PersonNotFound:
        await links.release(token)
        return again(
            t(
                "Your account was not found in the company directory. Talk to the IT service desk.",
                language,
            ),
            409,
        )
    except DirectoryError:
        await links.release(token)
        return again(
            t(
                "The company directory cannot be reached right now, so your password was not "
                "changed. Try again in a few minutes with this same link, or talk to the IT "
                "service desk.",
                language,
            ),
            503,
        )
    return _render(
        request,
        "message.html",
        language,
        heading=t("Your password is changed", language),
        text=t(
            "You can sign in with your new password now, on your computer and your other devices.",
            language,
        ),
    )


@router.get("/demo-inbox/{token}", response_class=HTMLResponse)
async def demo_inbox(token: str, request: Request, services: ServicesDep) -> HTMLResponse:
    self_service = services.self_service
    inbox = self_service.demo_inbox
    owner = self_service.demo_inbox_owner(token) if inbox is not None else None
    person = await services.directory.lookup(owner) if owner else None
    if inbox is None or person is None:
        language = page_language(request, services)
        return _render(
            request,
            "message.html",
            language,
            status_code=404,
            heading=t("Page not found", language),
            text=t("There is nothing here.", language),
        )
    language = page_language(request, services)
    addresses = {destination.address for destination in person.destinations}
    messages = [
        {
            "kind": t(KINDS[m.message.destination.kind], language),
            "to": m.message.destination.masked(),
            "subject": m.message.subject,
            "code": m.message.code,
            "text": m.message.text,
            "sent_at": m.sent_at,
        }
        for m in inbox.for_addresses(addresses)
    ]
    return _render(request, "demo_inbox.html", language, name=person.name, messages=messages)
