"""Errors of the request limits; bot.api.errors maps them to 413 and 429."""

from __future__ import annotations

from bot.kernel.errors import GuichetError


class PayloadTooLarge(GuichetError):
    message = "the request body is larger than {limit} bytes"


class RateLimited(GuichetError):
    """`retry_after` (seconds) goes out as the Retry-After header."""

    message = "too many requests for this {scope}: at most {limit}; retry in {retry_after} s"


class SignInThrottled(RateLimited):
    """Too many failed sign-ins for this account or address; the same answer for an account
    that does not exist."""

    message = "too many failed sign-ins; retry in {retry_after} s"
