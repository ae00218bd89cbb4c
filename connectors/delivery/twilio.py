"""Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
(form fields To, From or MessagingServiceSid, Body; HTTP Basic with the Account SID and Auth
Token) answers 201 with the Message resource; an error answers 4xx with
`{"code", "message", "more_info", "status"}`. The health check reads the account
(`GET /2010-04-01/Accounts/{AccountSid}.json`), which sends nothing.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.kernel.delivery import DeliveryFailed
from bot.kernel.directory import CodeDestination, DestinationKind, HealthCheck
from bot.kernel.errors import SettingsInvalid
from bot.settings.delivery import TwilioSettings

NAME = "twilio"
API_VERSION = "2010-04-01"


class TwilioSms:
    name = NAME

    def __init__(self, settings: TwilioSettings) -> None:
        missing = [
            (setting, expected)
            for setting, value, expected in (
                ("ACCOUNT_SID", settings.account_sid, "the Account SID (AC...)"),
                ("AUTH_TOKEN", settings.auth_token.get_secret_value(), "the Auth Token"),
                (
                    "SENDER",
                    settings.sender or settings.messaging_service_sid,
                    "the number texts come from (E.164), or set MESSAGING_SERVICE_SID",
                ),
            )
            if not value
        ]
        if missing:
            setting, expected = missing[0]
            raise SettingsInvalid(
                setting=f"GUICHET_DELIVERY__TWILIO__{setting}",
                problem="is not set while text messages go through Twilio",
                expected=expected,
            )
        self.settings = settings
        self._account = f"/{API_VERSION}/Accounts/{settings.account_sid}"
        self._http = httpx.AsyncClient(
            base_url=settings.api_url.rstrip("/"),
            auth=(settings.account_sid, settings.auth_token.get_secret_value()),
            timeout=settings.timeout_seconds,
        )

    async def send_text(self, to: str, text: str) -> None:
        form = {"To": to, "Body": text}
        if self.settings.messaging_service_sid:
            form["MessagingServiceSid"] = self.settings.messaging_service_sid
        else:
            form["From"] = self.settings.sender
        masked = CodeDestination("sms", DestinationKind.SMS, to).masked()
        try:
            response = await self._http.post(f"{self._account}/Messages.json", data=form)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(sender=NAME, problem=f"{type(exc).__name__} ({masked})") from exc
        if response.status_code != 201:
            raise DeliveryFailed(sender=NAME, problem=f"{_error(response)} ({masked})")
        status = _json(response).get("status")
        if status in ("failed", "undelivered"):
            raise DeliveryFailed(sender=NAME, problem=f"message {status} ({masked})")

    async def health(self) -> list[HealthCheck]:
        try:
            response = await self._http.get(f"{self._account}.json")
        except httpx.HTTPError as exc:
            return [HealthCheck("twilio", False, f"{self.settings.api_url}: {exc!r}")]
        if response.status_code != 200:
            return [HealthCheck("twilio", False, _error(response))]
        account = _json(response)
        status = account.get("status", "?")
        return [
            HealthCheck(
                "twilio",
                status == "active",
                f"account {account.get('friendly_name', self.settings.account_sid)} is "
                f"{status}; nothing sent",
            )
        ]

    async def aclose(self) -> None:
        await self._http.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(response: httpx.Response) -> str:
    body = _json(response)
    if "code" in body:
        return f"HTTP {response.status_code}, Twilio error {body['code']}: {body.get('message')}"
    return f"HTTP {response.status_code}"
