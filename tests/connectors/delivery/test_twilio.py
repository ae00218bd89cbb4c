"""Texted codes through Twilio's Messages API, against a local server speaking it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.kernel.delivery import CodeMessage, DeliveryFailed
from bot.kernel.directory import CodeDestination, DestinationKind
from bot.kernel.errors import SettingsInvalid
from bot.settings.delivery import DeliverySettings, TwilioSettings
from connectors.delivery.registry import build_senders
from connectors.delivery.sms import SmsSender
from tests.browser import served
from tests.connectors.delivery.twilio_server import ACCOUNT_SID, AUTH_TOKEN, Twilio

PHONE = CodeDestination("mobile", DestinationKind.SMS, "+33612000046")


def _message(destination: CodeDestination = PHONE) -> CodeMessage:
    return CodeMessage(destination, "104729", "", "104729 is your code", "en")


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[Twilio, str]]:
    server = Twilio()
    async with served(server.app()) as url:
        yield server, url


def _settings(url: str, **changes: str) -> DeliverySettings:
    twilio = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "sender": "+33757000000",
        "api_url": url,
        **changes,
    }
    return DeliverySettings(email="none", sms="sms", twilio=TwilioSettings(**twilio))  # type: ignore[arg-type]


async def test_a_text_is_sent_through_the_messages_api(twilio: tuple[Twilio, str]) -> None:
    server, url = twilio
    senders = build_senders(_settings(url))
    sender = senders[DestinationKind.SMS]
    assert isinstance(sender, SmsSender) and set(senders) == {DestinationKind.SMS}
    [health] = await sender.health()
    assert health.ok and "Norvane IT" in health.detail and server.sent == []
    await sender.send(_message())
    assert server.sent == [
        {"To": PHONE.address, "From": "+33757000000", "Body": "104729 is your code"}
    ]
    await sender.aclose()


async def test_a_messaging_service_replaces_the_sender(twilio: tuple[Twilio, str]) -> None:
    server, url = twilio
    sender = build_senders(_settings(url, sender="", messaging_service_sid="MG" + "a" * 32))[
        DestinationKind.SMS
    ]
    await sender.send(_message())
    assert server.sent[0]["MessagingServiceSid"] == "MG" + "a" * 32 and "From" not in server.sent[0]
    await sender.aclose()


async def test_refusals_name_twilio_s_reason_without_the_number(twilio: tuple[Twilio, str]) -> None:
    _server, url = twilio
    sender = build_senders(_settings(url))[DestinationKind.SMS]
    with pytest.raises(DeliveryFailed, match="21211") as refused:
        await sender.send(_message(CodeDestination("mobile", DestinationKind.SMS, "0612")))
    assert "104729" not in str(refused.value)
    wrong = build_senders(_settings(url, auth_token="wrong-token"))[DestinationKind.SMS]
    [health] = await wrong.health()
    assert not health.ok and "20003" in health.detail
    with pytest.raises(DeliveryFailed, match="20003") as failed:
        await wrong.send(_message())
    assert PHONE.address not in str(failed.value)
    await sender.aclose()
    await wrong.aclose()


def test_missing_settings_are_named() -> None:
    with pytest.raises(SettingsInvalid, match="GUICHET_DELIVERY__TWILIO__ACCOUNT_SID"):
        build_senders(DeliverySettings(email="none", sms="sms"))
    texts = _settings("http://127.0.0.1:9").twilio
    with pytest.raises(SettingsInvalid, match=r"GUICHET_DELIVERY__EMAIL.*cannot reach"):
        build_senders(DeliverySettings(email="sms", sms="none", twilio=texts))
    with pytest.raises(SettingsInvalid, match="GUICHET_DELIVERY__VOICE"):
        build_senders(DeliverySettings(voice="fax"))
