"""The registries of code senders (`GUICHET_DELIVERY__EMAIL`, `__SMS`, `__VOICE` name one) and
of SMS providers (`GUICHET_DELIVERY__SMS_PROVIDER`)."""

from __future__ import annotations

from collections.abc import Callable

from bot.kernel.delivery import CodeSender
from bot.kernel.directory import DestinationKind
from bot.kernel.errors import SettingsInvalid
from bot.kernel.registry import Registry
from bot.settings.delivery import DeliverySettings
from connectors.delivery.demo import DemoInbox
from connectors.delivery.sms import SmsProvider, SmsSender
from connectors.delivery.smtp import SmtpSender
from connectors.delivery.twilio import TwilioSms

SenderFactory = Callable[[DeliverySettings], CodeSender]
SENDERS: Registry[SenderFactory] = Registry("code sender")
SMS_PROVIDERS: Registry[Callable[[DeliverySettings], SmsProvider]] = Registry("SMS provider")

SMS_PROVIDERS.register("twilio", lambda settings: TwilioSms(settings.twilio))
SENDERS.register("smtp", lambda settings: SmtpSender(settings.smtp))
SENDERS.register(
    "sms", lambda settings: SmsSender(SMS_PROVIDERS.get(settings.sms_provider)(settings))
)
SENDERS.register("demo", lambda _settings: DemoInbox())


def build_senders(settings: DeliverySettings) -> dict[DestinationKind, CodeSender]:
    """The sender of each destination kind that has one; a sender named for several kinds is
    built once (one demo inbox for e-mail and text messages)."""
    built: dict[str, CodeSender] = {}
    senders: dict[DestinationKind, CodeSender] = {}
    for kind, name in settings.senders().items():
        if name not in SENDERS.names():
            raise SettingsInvalid(
                setting=f"GUICHET_DELIVERY__{kind.upper()}",
                problem=f"names no code sender: {name!r}",
                expected=f"one of {', '.join(SENDERS.names())} or 'none'",
            )
        sender = built.get(name) or SENDERS.get(name)(settings)
        built[name] = sender
        if DestinationKind(kind) not in sender.kinds:
            raise SettingsInvalid(
                setting=f"GUICHET_DELIVERY__{kind.upper()}",
                problem=f"is {name!r}, which cannot reach a {kind} destination",
                expected="'smtp' for e-mail, 'sms' for text messages, 'demo' in development, "
                "or 'none'",
            )
        senders[DestinationKind(kind)] = sender
    return senders
