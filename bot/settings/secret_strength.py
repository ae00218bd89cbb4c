"""How much randomness a secret holds, estimated from its length and its alphabet.

GUICHET_SECRET_KEY signs sessions and CSRF tokens: outside development it must hold at least
256 bits (32 bytes) of randomness, what `secrets.token_urlsafe(32)` or `token_hex(32)` give.
The estimate is length x log2(size of the smallest usual alphabet the characters come from:
hexadecimal, digits, letters, base64 or printable ASCII), and a secret made of few distinct
characters ('aaaa…', 'abab…') is refused whatever its length.
"""

from __future__ import annotations

import math
import string

MIN_BITS = 256
MIN_LENGTH = 32
GENERATE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
_ALPHABETS: tuple[tuple[str, int], ...] = (
    (string.digits, 10),
    (string.hexdigits, 16),
    (string.ascii_lowercase, 26),
    (string.ascii_letters, 52),
    (string.ascii_letters + string.digits, 62),
    (string.ascii_letters + string.digits + "+/=-_", 64),
    (string.printable.strip(), 94),
)


def estimated_bits(secret: str) -> float:
    """Bits of randomness `secret` may hold at most, if each character were drawn at random."""
    if not secret:
        return 0.0
    used = set(secret)
    size = next((size for chars, size in _ALPHABETS if used <= set(chars)), 256)
    return len(secret) * math.log2(size)


def weakness(secret: str) -> str | None:
    """Why `secret` is too weak to sign with outside development, or None."""
    if len(secret) < MIN_LENGTH:
        return f"has {len(secret)} characters, fewer than {MIN_LENGTH}"
    if len(set(secret)) < min(12, len(secret) // 4):
        return f"is made of only {len(set(secret))} distinct characters"
    bits = estimated_bits(secret)
    if bits < MIN_BITS:
        return f"holds about {bits:.0f} bits of randomness, fewer than {MIN_BITS}"
    return None
