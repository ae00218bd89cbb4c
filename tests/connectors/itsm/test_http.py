"""The one mapping from HTTP answers to the backend error tree."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from bot.kernel.itsm import BackendRejected, BackendUnavailable, UpstreamConflict, UpstreamNotFound
from connectors.itsm.common import plain_text
from connectors.itsm.http import error_for, retry_after_seconds

pytestmark = pytest.mark.unit


def answer(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("PUT", "https://itsm.example/api/ticket/7")
    return httpx.Response(status, headers=headers, text="nope", request=request)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BackendRejected),
        (401, BackendRejected),
        (403, BackendRejected),
        (422, BackendRejected),
        (404, UpstreamNotFound),
        (409, UpstreamConflict),
        (412, UpstreamConflict),
        (429, BackendUnavailable),
        (500, BackendUnavailable),
        (503, BackendUnavailable),
    ],
)
def test_status_codes(status: int, kind: type[Exception]) -> None:
    error = error_for("zammad", answer(status))
    assert type(error) is kind
    assert f"HTTP {status} on PUT /api/ticket/7: nope" in str(error)


def test_success_is_no_error() -> None:
    assert error_for("zammad", answer(204)) is None


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Mon, 23 Nov 2026 10:01:30 GMT", now=now) == 90
    assert retry_after_seconds("Mon, 23 Nov 2026 09:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_rate_limit_carries_retry_after() -> None:
    error = error_for("glpi", answer(429, {"Retry-After": "30"}))
    assert isinstance(error, BackendUnavailable)
    assert error.retry_after == 30


def test_rich_text_comments_become_plain_text() -> None:
    markup = (
        "<p>Bonjour,</p><p>Le profil VPN est &agrave; jour.<br>Pouvez-vous r&eacute;essayer ?</p>"
    )
    assert plain_text(markup) == "Bonjour,\nLe profil VPN est à jour.\nPouvez-vous réessayer ?"
    assert plain_text("déjà simple") == "déjà simple"
