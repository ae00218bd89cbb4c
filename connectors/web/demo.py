"""Development only: a fake intranet home page with the widget, and the fake portal that
signs a token for the demo user (a real portal signs for whoever is signed in to it)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from connectors.web.layout import page, widget_tag
from connectors.web.tokens import mint_token

DEMO_USER = "marie.dupont@norvane.example"
DEMO_NAME = "Marie Dupont"
TOKEN_LIFETIME = timedelta(hours=8)
SIGN_IN = "Sign in as Marie Dupont / Se connecter"
SIGN_OUT = "Sign out (visitor) / Se déconnecter (visiteur)"

_HOME = """<header class="bar">
  <strong>Norvane</strong>
  <span data-en="Intranet" data-fr="Intranet">Intranet</span>
  <nav aria-label="Language / Langue">
    <button type="button" class="lang" data-set-lang="en">EN</button>
    <button type="button" class="lang" data-set-lang="fr">FR</button>
  </nav>
  <span class="who">{who}</span>
</header>
<main>
  <h1 data-en="Good morning" data-fr="Bonjour">Good morning</h1>
  <p data-en="IT help is one click away: the button at the bottom right searches the help
  articles as you type, and chats with the service desk."
     data-fr="L'aide informatique est à un clic\u00a0: le bouton en bas à droite cherche dans les
  articles d'aide pendant que vous tapez, et discute avec le centre de services.">IT help is one
  click away.</p>
  <section>
    <h2 data-en="News" data-fr="Actualités">News</h2>
    <ul>
      <li data-en="The canteen opens at 11:30 from Monday."
          data-fr="La cantine ouvre à 11 h 30 à partir de lundi.">The canteen opens at 11:30.</li>
      <li data-en="Windows 11 upgrade: your laptop's turn is announced by e-mail."
          data-fr="Passage à Windows 11\u00a0: le tour de votre PC est annoncé par e-mail."
          >Windows 11 upgrade.</li>
    </ul>
  </section>
  <p><a href="{switch_href}">{switch}</a></p>
</main>
<script src="/widget/demo.js"></script>"""


class PortalToken(BaseModel):
    token: str
    user: str


def demo_router(*, key: str, audience: str, issuer: str | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    async def home(visitor: bool = False) -> HTMLResponse:
        who = "Visitor / Visiteur" if visitor else DEMO_NAME
        body = _HOME.format(
            who=who,
            switch_href="/" if visitor else "/?visitor=true",
            switch=SIGN_IN if visitor else SIGN_OUT,
        )
        return HTMLResponse(
            page(
                language="en",
                title="Norvane intranet",
                body=body,
                widget=widget_tag(signed_in=not visitor),
            )
        )

    @router.get("/demo/portal/token")
    async def portal_token() -> PortalToken:
        """What the host portal does for its signed-in user: a short-lived signed token."""
        token = mint_token(
            DEMO_USER,
            key,
            audience=audience,
            issuer=issuer,
            lifetime=TOKEN_LIFETIME,
            name=DEMO_NAME,
        )
        return PortalToken(token=token, user=DEMO_USER)

    return router
