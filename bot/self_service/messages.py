"""The texts of a one-time code message, in the person's language."""

from __future__ import annotations

from bot.kernel.delivery import CodeMessage
from bot.kernel.directory import CodeDestination, DestinationKind, Person
from bot.kernel.i18n import t


def code_message(
    person: Person, destination: CodeDestination, code: str, *, language: str, minutes: int
) -> CodeMessage:
    """An e-mail greets the person and says what to do if they did not ask; a text message or
    a call says the code first (a phone shows the start of a text in its notification)."""
    if destination.kind is DestinationKind.EMAIL:
        text = t(
            "Hello {name},\n\nYour Guichet verification code is {code}. Type it in the chat "
            "with the IT help desk. It is valid for {minutes} minutes and can be used once.\n\n"
            "If you did not ask for it, ignore this message and tell your IT service desk: "
            "someone may be trying to use your account. Guichet will never ask you for your "
            "password.",
            language,
            name=person.name,
            code=code,
            minutes=minutes,
        )
    else:
        text = t(
            "{code} is your Guichet verification code, valid {minutes} minutes. Never share "
            "it: the IT help desk will never ask you for it by phone.",
            language,
            code=code,
            minutes=minutes,
        )
    return CodeMessage(
        destination=destination,
        code=code,
        subject=t("Your verification code: {code}", language, code=code),
        text=text,
        language=language,
    )
