"""Keyed digests (HMAC-SHA256 with the settings' secret key): what is stored of a one-time
code or a reset link's token. A stolen database gives neither, and six digits cannot be
tried offline without the key."""

from __future__ import annotations

import hashlib
import hmac


class Digests:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"guichet self-service\0" + secret.encode()).digest()

    def of(self, purpose: str, *parts: str) -> str:
        message = "\0".join((purpose, *parts)).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
