"""Find secrets and payment data in free text, in English and French, and replace them.

What is redacted: a password, passphrase, PIN, secret, API key or token given after its name
("my password is X", "mdp : X", "api_key=X", "mon mot de passe c'est X"); bearer tokens,
JSON Web Tokens, credentials in URLs, private key blocks and the well-known key formats of cloud
and chat vendors; payment card numbers (Luhn-checked, with a card network's prefix); IBANs
(checksum-validated); and the patterns configured in `GUICHET_PRIVACY__PATTERNS`.

What is not: e-mail addresses and names. They identify the requester, tickets need them, and
access to them is a matter of authentication, not of redaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stdnum import iban, luhn


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


_NAMES = (
    r"passwords?|passwd|pwd|pass(?:phrase|code)|pin(?:\s+code)?|"
    r"(?:client[ _-]?)?secret(?:[ _-]?key)?|api[ _-]?key|apikey|access[ _-]?key|"
    r"(?:access|auth|refresh|api|bearer)?[ _-]?token|"
    r"mots?[ -]de[ -]passe|mdp|code\s+(?:secret|pin|d'acc[eè]s)|"
    r"cl[ée]f?\s+(?:api|d'api|secr[èe]te)|jeton|phrase\s+secr[èe]te"
)
_VALUE = r"(?P<secret>\"[^\"\n]{1,200}\"|'[^'\n]{1,200}'|«[^»\n]{1,200}»|\S{0,199}[^\s,;])"
# "password: X", "mdp : X", "token=X", "password is: X"
_GIVEN = re.compile(rf"\b(?:{_NAMES})\b(?:\s+(?:is|was|est))?\s*[:=]\s*{_VALUE}", re.IGNORECASE)
# "my password is X", "mon mot de passe c'est X", "mon mdp est maintenant X"
_SAID = re.compile(
    rf"\b(?:{_NAMES})\s+(?:is|was|will\s+be|becomes|est|était|etait|c'est|sera|devient)\s+"
    rf"(?:(?:now|still|currently|maintenant|toujours|actuellement|désormais)\s+)?{_VALUE}",
    re.IGNORECASE,
)
# Words that follow "my password is" in a description of a problem, not in a disclosure.
_NOT_A_SECRET = frozenset(
    """not no never expired expiring wrong incorrect invalid blocked locked too the a an my
    your being correct right ok okay fine reset changed required missing empty same different
    working broken lost forgotten unknown what which weak strong case-sensitive revoked disabled
    enabled valid compromised leaked stolen shared saved stored still now also probably
    pas plus jamais expiré expirée expire bloqué bloquée bloque verrouillé verrouillée
    incorrect incorrecte faux fausse erroné erronée mauvais mauvaise trop le la les un une mon
    ma ton ta bon bonne valide invalide ne n'est réinitialisé réinitialisée changé changée vide
    requis obligatoire différent différente en quoi quel quelle perdu oublié inconnu à a de du
    pour révoqué désactivé activé compromis volé partagé enregistré sûrement""".split()
)

# (kind, a string the lower-cased text must contain for the pattern to be tried, pattern):
# most texts hold none of them, and a substring test is much cheaper than a regex scan.
_TOKENS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "private_key",
        "private key-----",
        re.compile(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\Z)"
        ),
    ),
    ("token", "eyj", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("token", "bearer", re.compile(r"\b[Bb]earer\s+(?P<secret>[A-Za-z0-9._~+/-]{8,}=*)")),
    (
        "token",
        "authorization",
        re.compile(
            r"\bauthorization\s*[:=]\s*(?:(?:basic|bearer|token|digest)\s+)?(?P<secret>\S+)",
            re.IGNORECASE,
        ),
    ),
    (
        "secret",
        "://",
        re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]+:(?P<secret>[^\s/@]+)@"),
    ),
    ("token", "ia", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("token", "_", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("token", "xox", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("token", "aiza", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("token", "sk", re.compile(r"\bsk[-_](?:(?:live|test|proj)[-_])?[A-Za-z0-9_-]{20,}")),
)
# Cheap tests first (on the lower-cased text, without IGNORECASE: several times faster), the
# patterns only when they may match: a 4,000-character message costs a fraction of a millisecond.
_NAME_HINTS = re.compile(r"pass|pwd|pin|secret|key|token|mot|mdp|code|cl[ée]|jeton|phrase")
_NO_DIGITS = str.maketrans("", "", "0123456789")
_MIN_CARD_DIGITS = 13
_MIN_IBAN_DIGITS = 6


@dataclass(frozen=True)
class _Text:
    text: str
    lowered: str
    digits: int

    @classmethod
    def of(cls, text: str) -> _Text:
        return cls(text, text.lower(), len(text) - len(text.translate(_NO_DIGITS)))


_CARD = re.compile(r"(?<![\d.,-])\d(?:[ -]?\d){12,18}(?![\d-]|[.,]\d)")
# Visa, Mastercard, American Express, Diners, Discover, JCB, UnionPay, Maestro.
_CARD_PREFIX = re.compile(r"4|5[0-9]|2[2-7]|3[0478]|35|6")
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){10,32}\b")


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    kind: str


def _value_span(match: re.Match[str], kind: str) -> Span:
    group = "secret" if "secret" in match.re.groupindex else 0
    return Span(match.start(group), match.end(group), kind)


def _secrets_given(seen: _Text) -> Iterator[Span]:
    if not _NAME_HINTS.search(seen.lowered):
        return
    text = seen.text
    for match in _GIVEN.finditer(text):
        yield _value_span(match, "secret")
    for match in _SAID.finditer(text):
        if match["secret"].strip(".,;:!?\"'«»").lower() not in _NOT_A_SECRET:
            yield _value_span(match, "secret")


def _tokens(seen: _Text) -> Iterator[Span]:
    for kind, hint, pattern in _TOKENS:
        if hint not in seen.lowered:
            continue
        for match in pattern.finditer(seen.text):
            yield _value_span(match, kind)


def _cards(seen: _Text) -> Iterator[Span]:
    if seen.digits < _MIN_CARD_DIGITS:
        return
    for match in _CARD.finditer(seen.text):
        digits = re.sub(r"\D", "", match[0])
        if (
            13 <= len(digits) <= 19
            and _CARD_PREFIX.match(digits)
            and len(set(digits)) > 1
            and luhn.is_valid(digits)
        ):
            yield Span(match.start(), match.end(), "card")


def _ibans(seen: _Text) -> Iterator[Span]:
    if seen.digits < _MIN_IBAN_DIGITS:
        return
    for match in _IBAN.finditer(seen.text):
        # The pattern may run into the words that follow ("FR76 ... 189 merci"): keep the
        # longest run of space-separated groups that is a valid IBAN.
        parts = match[0].split(" ")
        for count in range(len(parts), 0, -1):
            candidate = " ".join(parts[:count])
            if len(candidate.replace(" ", "")) >= 15 and iban.is_valid(candidate):
                yield Span(match.start(), match.start() + len(candidate), "iban")
                break


class Redactor:
    """Replaces what it finds by `[REDACTED:kind]`; `patterns` adds named regexes."""

    def __init__(self, patterns: Mapping[str, str] | None = None) -> None:
        self.patterns = tuple(
            (name, re.compile(pattern)) for name, pattern in (patterns or {}).items()
        )

    def spans(self, text: str) -> list[Span]:
        """What would be redacted, overlapping findings merged, in order."""
        seen = _Text.of(text)
        found = sorted(
            [
                *_secrets_given(seen),
                *_tokens(seen),
                *_cards(seen),
                *_ibans(seen),
                *(
                    _value_span(match, name)
                    for name, pattern in self.patterns
                    for match in pattern.finditer(text)
                ),
            ]
        )
        merged: list[Span] = []
        for span in found:
            if span.start == span.end:
                continue
            if merged and span.start < merged[-1].end:
                last = merged[-1]
                merged[-1] = Span(last.start, max(last.end, span.end), last.kind)
            else:
                merged.append(span)
        return merged

    def redact(self, text: str) -> str:
        spans = self.spans(text)
        if not spans:
            return text
        pieces: list[str] = []
        position = 0
        for span in spans:
            pieces += [text[position : span.start], marker(span.kind)]
            position = span.end
        pieces.append(text[position:])
        return "".join(pieces)

    def redact_data(self, value: Any) -> Any:
        """Every string inside nested dicts and lists redacted; keys and other types kept."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {key: self.redact_data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.redact_data(item) for item in value]
        return value
