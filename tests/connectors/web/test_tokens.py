"""The portal's token: what is accepted, and the reason given for everything that is not."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from pydantic import SecretStr

from bot.kernel.errors import NotAuthenticated, SettingsInvalid
from bot.settings import Settings, load_settings
from bot.settings.web import WebSettings
from connectors.web.tokens import DEMO_ISSUER, PortalTokens, demo_key, mint_token
from tests.connectors.web.conftest import ISSUER, MARIE, PORTAL_KEY, Mint

pytestmark = pytest.mark.unit


@pytest.fixture
def tokens(web_settings: Settings) -> PortalTokens:
    return PortalTokens(web_settings.web)


def refusal(tokens: PortalTokens, token: str | None) -> str:
    with pytest.raises(NotAuthenticated) as refused:
        tokens.verify(token)
    return str(refused.value)


def test_hs256_and_rs256_tokens_name_the_user(tokens: PortalTokens, mint: Mint) -> None:
    user = tokens.verify(mint("Marie.Dupont@Norvane.example"))
    assert user.email == MARIE  # the same person on every channel: e-mail, lower case
    assert tokens.verify(mint(algorithm="RS256")).email == MARIE


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lifetime": timedelta(minutes=-5)}, "expired"),
        ({"key": "another-portal-key-" + "x" * 40}, "signature does not match"),
        ({"audience": "someone-else"}, "audience is not 'guichet'"),
        ({"issuer": "https://evil.example"}, f"issuer is not '{ISSUER}'"),
        ({"issuer": None}, "no 'iss' claim"),
        ({"email": "not-an-address"}, "not an e-mail address"),
    ],
)
def test_wrong_tokens_are_refused_with_the_reason(
    tokens: PortalTokens, mint: Mint, change: dict[str, object], reason: str
) -> None:
    email = str(change.pop("email", MARIE))
    assert reason in refusal(tokens, mint(email, **change))


def test_missing_garbled_and_unsigned_tokens(tokens: PortalTokens) -> None:
    assert "no token" in refusal(tokens, None)
    assert "not a JWT" in refusal(tokens, "not-a-token")
    unsigned = jwt.encode({"email": MARIE, "aud": "guichet"}, key="", algorithm="none")
    assert "algorithm 'none' is not accepted" in refusal(tokens, unsigned)
    no_email = jwt.encode(
        {"aud": "guichet", "iss": ISSUER, "exp": 4_000_000_000}, PORTAL_KEY, algorithm="HS256"
    )
    assert "no 'email' claim" in refusal(tokens, no_email)


def test_an_hs256_token_is_refused_where_only_rs256_is_configured(
    web_settings: Settings, mint: Mint
) -> None:
    only_rs = PortalTokens(web_settings.web.model_copy(update={"portal_key": None}))
    assert "expected RS256" in refusal(only_rs, mint())


def test_nothing_is_accepted_without_a_key(mint: Mint) -> None:
    assert "no portal key is configured" in refusal(PortalTokens(WebSettings()), mint())


def test_the_demo_portal_key_exists_in_development_only() -> None:
    development = load_settings()
    key = demo_key(development)
    assert key is not None
    tokens = PortalTokens(development.web, demo_key=key)
    token = mint_token(MARIE, key, issuer=DEMO_ISSUER)
    assert tokens.verify(token).email == MARIE
    production = load_settings(
        environment="production",
        secret_key="hJ4s9Qe2Vx7Lm0Rk3Tb8Wn5Yc1Pz6Ud-Gf_Ka2Hs7Jd4Nq9Xv3Bm8Ct5Ew1",
        directory={"backend": "ldap"},
        delivery={"email": "none", "sms": "none"},
    )
    assert demo_key(production) is None
    assert demo_key(load_settings(web=WebSettings(portal_key=SecretStr("k" * 40)))) is None


def test_settings_name_a_wrong_origin_or_key() -> None:
    with pytest.raises(SettingsInvalid, match="GUICHET_WEB__ALLOWED_ORIGINS"):
        load_settings(web={"allowed_origins": ["intranet.example/"]})
    with pytest.raises(SettingsInvalid, match="GUICHET_WEB__PORTAL_PUBLIC_KEY"):
        load_settings(web={"portal_public_key": "ssh-rsa AAAA"})
