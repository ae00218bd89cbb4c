"""The console's pages: sign in and out, the queue (with the approvals the service desk has),
one escalation. Server-rendered; the small
script in static/ adds live updates. Every page needs an agent or an admin; every form carries
the session's CSRF token."""

from __future__ import annotations

import contextlib
import hmac
import secrets
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from babel import Locale
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.api.deps import ServicesDep
from bot.api.page_language import (
    LANGUAGE_NAMES,
    LANGUAGES,
    other_language,
    page_language,
    remember_language,
)
from bot.api.page_zone import page_zone, time_callables
from bot.api.schemas import RowId
from bot.auth import AgentUser, CurrentUser
from bot.auth.deps import SESSION_COOKIE, cookie_signer
from bot.auth.store import NewSession
from bot.channels.throttle import wait_words
from bot.console.desk import ESCALATION_STATUS_NAMES, ESCALATION_STATUSES, EscalationDesk
from bot.console.markdown import markdown
from bot.kernel.assets import KIND_NAMES
from bot.kernel.errors import GuichetError, InvalidRequest, NotAuthenticated
from bot.kernel.i18n import N_, gettext_callables, t
from bot.kernel.language import Language
from bot.kernel.messages import (
    CATEGORY_LABELS,
    HANDOFF_REASONS,
    IMPACT_LABELS,
    STATUS_NAMES,
    TURN_ROLES,
    URGENCY_LABELS,
)
from bot.kernel.tickets import CATEGORIES, IMPACTS, URGENCIES, Status
from bot.protection.errors import SignInThrottled
from bot.protection.sign_in import Lifted, Scope, SignInThrottle, Wait
from bot.services import Services
from bot.settings import Environment as RunMode

LOGIN_CSRF_COOKIE = "guichet_login"
TEMPLATES = Environment(
    loader=PackageLoader("bot.console", "templates"), autoescape=select_autoescape()
)
TEMPLATES.filters["markdown"] = markdown

ROLE_NAMES: dict[str, str] = {"agent": N_("agent"), "admin": N_("admin")}
# A ticket's copy in an ITSM tool, by its state.
SYNC_STATE_NAMES: dict[str, str] = {
    "synced": N_("up to date"),
    "pending": N_("waiting to be copied"),
    "failed": N_("copy failed"),
}

router = APIRouter(prefix="/console", include_in_schema=False)


async def console_language(request: Request, services: ServicesDep) -> Language:
    """The ticket pages' rule: `?lang=`, a cookie, Accept-Language, the default."""
    return page_language(request, services)


ConsoleLanguage = Annotated[Language, Depends(console_language)]


def render(
    request: Request, language: Language, name: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """A console page in `language`, with its language switch; a language picked with
    `?lang=` is remembered for the console's pages."""
    other = other_language(language)
    zone = page_zone(request)
    html = TEMPLATES.get_template(name).render(
        language=language,
        zone=zone,
        **time_callables(language, zone),
        other_language=other,
        other_language_name=LANGUAGE_NAMES[other],
        role_names={role: t(name, language) for role, name in ROLE_NAMES.items()},
        # What the codes of a queue row are called, for the page and its live rows.
        labels={
            code: t(name, language)
            for code, name in (CATEGORY_LABELS | ESCALATION_STATUS_NAMES).items()
        },
        **gettext_callables(language, Markup),
        **values,
    )
    response = HTMLResponse(html, status_code=status_code)
    remember_language(response, request, language, path="/console")
    return response


def _secure(services: Services) -> bool:
    configured = services.settings.auth.cookie_secure
    return (
        configured
        if configured is not None
        else services.settings.environment != RunMode.DEVELOPMENT
    )


def _safe_next(target: str) -> str:
    """Only a console page or a ticket page: never a redirect to another site."""
    ours = target.startswith(("/console", "/tickets")) and "\\" not in target
    return target if ours and not target.startswith("//") else "/console"


def signed_in(response: Response, services: Services, session: NewSession) -> None:
    """Put the signed session id in an HttpOnly cookie."""
    secret = services.settings.secret_key.get_secret_value()
    response.set_cookie(
        SESSION_COOKIE,
        cookie_signer(secret).sign(session.cookie_value).decode(),
        max_age=services.settings.auth.session_minutes * 60,
        httponly=True,
        secure=_secure(services),
        samesite="lax",
        path="/",
    )


# -- signing in and out ---------------------------------------------------------------------


def _login_form(
    request: Request,
    services: Services,
    language: Language,
    *,
    next_page: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The form, with a fresh CSRF token that must come back with the matching cookie."""
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        language,
        "login.html",
        status_code=status,
        csrf_token=token,
        next=_safe_next(next_page),
        email=email,
        error=error,
        oidc=bool(services.settings.auth.oidc.issuer),
        user=None,
    )
    secret = services.settings.secret_key.get_secret_value()
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        cookie_signer(secret).sign(token).decode(),
        max_age=3600,
        httponly=True,
        secure=_secure(services),
        samesite="strict",
        path="/console",
    )
    return response


def _unlocked(services: Services) -> Lifted:
    """Whether an admin ran `guichet user unlock` on this account or address since `since`."""

    async def lifted(scope: Scope, identity: str, since: float) -> bool:
        return await services.auth.audited_since(
            "login.unlock",
            target_kind=scope,
            target=identity,
            since=datetime.fromtimestamp(since, UTC),
        )

    return lifted


def _throttled(
    request: Request,
    services: Services,
    language: Language,
    wait: Wait,
    *,
    next_page: str,
    email: str,
) -> HTMLResponse:
    """429 naming the wait, the same whether the account exists or not."""
    if "text/html" not in request.headers.get("accept", "text/html"):
        raise SignInThrottled(retry_after=wait.retry_after)
    response = _login_form(
        request,
        services,
        language,
        next_page=next_page,
        email=email,
        error=t(
            "Too many failed attempts to sign in. Please wait {wait} before trying again.",
            language,
            wait=wait_words(wait.retry_after, language),
        ),
        status=429,
    )
    response.headers["Retry-After"] = str(wait.retry_after)
    return response


async def _count_failure(
    services: Services, throttle: SignInThrottle, email: str, address: str | None
) -> None:
    """Count a wrong password; a lock it starts goes to the audit log."""
    for scope, identity, wait in await throttle.failed(email, address):
        if wait.locked:
            await services.auth.audit(
                "system", "login.locked", target_kind=scope, target=identity,
                data={"seconds": wait.retry_after},
            )  # fmt: skip


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request,
    services: ServicesDep,
    language: ConsoleLanguage,
    next_page: Annotated[str, Query(alias="next")] = "/console",
) -> HTMLResponse:
    return _login_form(request, services, language, next_page=next_page)


@router.post("/login")
async def login(
    request: Request,
    services: ServicesDep,
    language: ConsoleLanguage,
    email: Annotated[str, Form(max_length=255)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next_page: Annotated[str, Form(alias="next", max_length=500)] = "/console",
) -> Response:
    secret = services.settings.secret_key.get_secret_value()
    try:
        expected = cookie_signer(secret).unsign(request.cookies.get(LOGIN_CSRF_COOKIE, "")).decode()
    except BadSignature:
        expected = ""
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_form(
            request,
            services,
            language,
            next_page=next_page,
            email=email,
            error=t(
                "The form expired or was not sent from this page; please sign in again.",
                language,
            ),
            status=403,
        )
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    address = request.client.host if request.client else None
    wait = await throttle.check(email, address, _unlocked(services))
    if wait is not None:
        return _throttled(request, services, language, wait, next_page=next_page, email=email)
    try:
        user = await services.auth.authenticate(email, password)
    except NotAuthenticated as exc:
        await services.auth.audit_failed_sign_in(email)
        await _count_failure(services, throttle, email, address)
        return _login_form(
            request,
            services,
            language,
            next_page=next_page,
            email=email,
            error=str(exc),
            status=401,
        )
    await throttle.succeeded(email)
    session = await services.auth.open_session(user)
    await services.auth.audit(user.email, "login", target_kind="user", target=user.email)
    response = RedirectResponse(_safe_next(next_page), status_code=303)
    signed_in(response, services, session)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.get("/logout", response_class=HTMLResponse)
async def logout_page(
    request: Request, user: CurrentUser, language: ConsoleLanguage
) -> HTMLResponse:
    return render(request, language, "logout.html", user=user)


@router.post("/logout")
async def logout(request: Request, services: ServicesDep, user: CurrentUser) -> Response:
    """CSRF-checked like every form (the dependency does it)."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    secret = services.settings.secret_key.get_secret_value()
    with contextlib.suppress(BadSignature):
        await services.auth.close_session(cookie_signer(secret).unsign(cookie).decode())
    await services.auth.audit(user, "logout", target_kind="user", target=user.email)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- the queue and one escalation ------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def queue_page(
    request: Request,
    services: ServicesDep,
    page: ConsoleLanguage,
    agent: AgentUser,
    status: str = "",
    category: str = "",
    channel: str = "",
    language: str = "",
) -> HTMLResponse:
    if status and status not in ESCALATION_STATUSES:
        raise InvalidRequest(field="status", problem=f"expected one of {ESCALATION_STATUSES}")
    desk = EscalationDesk(services)
    items = await desk.queue(
        statuses=[status] if status else None,
        category=category or None,
        channel=channel or None,
        language=language or None,
    )
    return render(
        request,
        page,
        "queue.html",
        user=agent,
        items=items,
        statuses=ESCALATION_STATUSES,
        categories=CATEGORIES,
        channels=sorted({*await desk.channels(), *([channel] if channel else [])}),
        languages={code: LANGUAGE_NAMES[code] for code in LANGUAGES},
        filters={"status": status, "category": category, "channel": channel, "language": language},
        desk_approvals=[tk.reference for tk in await services.approvals.for_the_desk()],
    )


@router.get("/escalations/{escalation_id}", response_class=HTMLResponse)
async def escalation_page(
    escalation_id: RowId,
    request: Request,
    services: ServicesDep,
    agent: AgentUser,
    language: ConsoleLanguage,
    error: str | None = None,
) -> HTMLResponse:
    detail = await EscalationDesk(services).detail(escalation_id)
    offered = {  # what the user's next button press may be, for the live transcript
        button.payload: button.title
        for turn in detail.transcript
        if turn.role != "user"
        for button in turn.buttons
    }
    return render(
        request,
        language,
        "escalation.html",
        user=agent,
        e=detail,
        offered=offered,
        roles={role: t(name, language) for role, name in TURN_ROLES.items()},
        names={  # what the ticket's codes are called, in the page's language
            kind: {code: t(name, language) for code, name in table.items()}
            for kind, table in (
                ("status", STATUS_NAMES),
                ("impact", IMPACT_LABELS),
                ("urgency", URGENCY_LABELS),
                ("category", CATEGORY_LABELS),
                ("reason", HANDOFF_REASONS),
                ("sync", SYNC_STATE_NAMES),
                ("asset_kind", KIND_NAMES),
            )
        },
        language_names=Locale.parse(language).languages,
        categories=CATEGORIES,
        impacts=IMPACTS,
        urgencies=URGENCIES,
        error=error,
    )


async def _act(escalation_id: int, action: Awaitable[object]) -> Response:
    """Run a form's action, then back to the escalation's page, with the error if it failed."""
    target = f"/console/escalations/{escalation_id}"
    try:
        await action
    except GuichetError as exc:
        return RedirectResponse(f"{target}?{urlencode({'error': str(exc)})}", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/escalations/{escalation_id}/take")
async def take(escalation_id: RowId, services: ServicesDep, agent: AgentUser) -> Response:
    return await _act(escalation_id, EscalationDesk(services).take(escalation_id, agent))


@router.post("/escalations/{escalation_id}/messages")
async def write(
    escalation_id: RowId,
    services: ServicesDep,
    agent: AgentUser,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    return await _act(escalation_id, EscalationDesk(services).write(escalation_id, agent, text))


@router.post("/escalations/{escalation_id}/changes")
async def change(
    escalation_id: RowId,
    services: ServicesDep,
    agent: AgentUser,
    status: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    impact: Annotated[str, Form()] = "",
    urgency: Annotated[str, Form()] = "",
) -> Response:
    desk = EscalationDesk(services)
    chosen: Status | None = status or None  # type: ignore[assignment]  # the service checks it
    return await _act(
        escalation_id,
        desk.change(
            escalation_id,
            agent,
            status=chosen,
            category=category or None,
            impact=impact or None,
            urgency=urgency or None,
        ),
    )


@router.post("/escalations/{escalation_id}/resolve")
async def resolve(escalation_id: RowId, services: ServicesDep, agent: AgentUser) -> Response:
    return await _act(escalation_id, EscalationDesk(services).resolve(escalation_id, agent))


@router.post("/escalations/{escalation_id}/hand-back")
async def hand_back(escalation_id: RowId, services: ServicesDep, agent: AgentUser) -> Response:
    return await _act(escalation_id, EscalationDesk(services).hand_back(escalation_id, agent))
