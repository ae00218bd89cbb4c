"""Single sign-on for the console with OpenID Connect (authorization code flow, authlib).

Mounted only when GUICHET_AUTH__OIDC__ISSUER is set. A person signing in for the first time
becomes a user with GUICHET_AUTH__OIDC__DEFAULT_ROLE (employee unless configured); an admin
raises it with `guichet user update EMAIL --role agent`.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.api.deps import ServicesDep
from bot.console.pages import _safe_next, signed_in
from bot.kernel.errors import NotAuthenticated
from bot.settings import OidcSettings

DISCOVERY = "/.well-known/openid-configuration"
NEXT_KEY = "guichet_next"  # where to go after signing in (a ticket page, a console page)


def oidc_router(settings: OidcSettings) -> APIRouter:
    oauth = OAuth()
    oauth.register(
        "sso",
        client_id=settings.client_id,
        client_secret=settings.client_secret.get_secret_value(),
        server_metadata_url=(settings.issuer or "").rstrip("/") + DISCOVERY,
        client_kwargs={"scope": settings.scopes},
    )
    router = APIRouter(prefix="/console/oidc", include_in_schema=False)

    @router.get("/login")
    async def start(request: Request) -> Response:
        """Off to the identity provider, which comes back to /console/oidc/callback."""
        request.session[NEXT_KEY] = _safe_next(request.query_params.get("next", "/console"))
        response: Response = await oauth.sso.authorize_redirect(
            request, str(request.url_for("oidc_callback"))
        )
        return response

    @router.get("/callback", name="oidc_callback")
    async def callback(request: Request, services: ServicesDep) -> Response:
        try:
            token: dict[str, Any] = await oauth.sso.authorize_access_token(request)
        except OAuthError as exc:
            raise NotAuthenticated(reason=f"single sign-on failed: {exc.error}") from exc
        claims: dict[str, Any] = token.get("userinfo") or await oauth.sso.userinfo(token=token)
        email = claims.get("email")
        if not email or claims.get("email_verified") is False:
            raise NotAuthenticated(reason="the identity provider gave no verified e-mail")
        user = await services.auth.ensure_user(
            email, role=settings.default_role, display_name=claims.get("name")
        )
        if not user.active:
            raise NotAuthenticated(reason="user disabled")
        session = await services.auth.open_session(user)
        await services.auth.audit(user.email, "login.oidc", target_kind="user", target=user.email)
        target = _safe_next(str(request.session.pop(NEXT_KEY, "/console")))
        response = RedirectResponse(target, status_code=303)
        signed_in(response, services, session)
        return response

    return router
