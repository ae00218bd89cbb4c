"""Guichet's error tree. Errors carry structured fields; bot.api.errors maps them to HTTP."""

from __future__ import annotations


class GuichetError(Exception):
    """Root of every error Guichet raises on purpose."""

    message = "Guichet error"

    def __init__(self, **fields: object) -> None:
        self.fields = fields
        super().__init__(self.describe())

    def describe(self) -> str:
        return self.message.format(**self.fields)


class SettingsInvalid(GuichetError):
    message = "setting {setting} {problem}: expected {expected}"


class NotFound(GuichetError):
    message = "{kind} {key!r} not found"


class ConversationNotFound(NotFound):
    def __init__(self, *, conversation_id: str) -> None:
        super().__init__(kind="conversation", key=conversation_id)


class TicketNotFound(NotFound):
    def __init__(self, *, reference: str) -> None:
        super().__init__(kind="ticket", key=reference)


class Conflict(GuichetError):
    """The request is valid but clashes with the current state of the thing it changes."""

    message = "{reference}: {problem}; allowed: {allowed}"


class InvalidRequest(GuichetError):
    message = "{field}: {problem}"


class NotReady(GuichetError):
    """A component the request needs is not loaded (index missing, model not trained)."""

    message = "{component} is not ready: {reason}"


class IndexMismatch(NotReady):
    def __init__(self, *, built_with: str, configured: str) -> None:
        super().__init__(
            component="knowledge index",
            reason=(
                f"it was built with embedder {built_with!r} but {configured!r} is configured; "
                "run `guichet index build` to rebuild it"
            ),
        )


class NotAuthenticated(GuichetError):
    """No credentials, or credentials that are wrong, expired or revoked (HTTP 401)."""

    message = "authentication required: {reason}"


class Forbidden(GuichetError):
    """Authenticated, but the role or the ownership does not allow it (HTTP 403)."""

    message = "{who} may not {action}: {reason}"


class IdempotencyKeyInvalid(InvalidRequest):
    """An `Idempotency-Key` header Guichet cannot use (HTTP 400)."""

    def __init__(self, *, problem: str) -> None:
        super().__init__(field="Idempotency-Key", problem=problem)


class IdempotencyKeyReused(GuichetError):
    """The key was already used by this caller for a different request (HTTP 422)."""

    message = (
        "Idempotency-Key {key!r} was already used for a different request to {route}; "
        "send a new key with a new request"
    )


class IdempotencyKeyInProgress(GuichetError):
    """Another request with the same key has not finished yet (HTTP 409, retry it)."""

    message = "a request with Idempotency-Key {key!r} to {route} is in progress; retry it"
