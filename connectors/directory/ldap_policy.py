"""Why an LDAP directory refused a new password, read from what it answered.

OpenLDAP's ppolicy overlay says it in the password policy response control
(draft-behera-ldap-password-policy, OID 1.3.6.1.4.1.42.2.27.8.5.1) and in its diagnostic text.
Active Directory answers `constraintViolation` with the Win32 error 0000052D
(ERROR_PASSWORD_RESTRICTION) and says no more; Samba's AD domain controller adds which rule
(`check_password_restrictions: the password is too short...`).
"""

from __future__ import annotations

from bot.kernel.directory import PolicyReason

PPOLICY_OID = "1.3.6.1.4.1.42.2.27.8.5.1"

# The control's `error` enumeration, in the draft's order.
PPOLICY_ERRORS: dict[int, str] = {
    0: "passwordExpired",
    1: "accountLocked",
    2: "changeAfterReset",
    3: "passwordModNotAllowed",
    4: "mustSupplyOldPassword",
    5: "insufficientPasswordQuality",
    6: "passwordTooShort",
    7: "passwordTooYoung",
    8: "passwordInHistory",
}
_PPOLICY_REASONS: dict[str, PolicyReason] = {
    "insufficientPasswordQuality": PolicyReason.TOO_SIMPLE,
    "passwordTooShort": PolicyReason.TOO_SHORT,
    "passwordTooYoung": PolicyReason.TOO_SOON,
    "passwordInHistory": PolicyReason.IN_HISTORY,
}
# ppolicy's own diagnostic texts, for a server that leaves the control out.
_OPENLDAP_TEXTS: tuple[tuple[str, PolicyReason], ...] = (
    ("password fails quality checking policy", PolicyReason.TOO_SIMPLE),
    ("password is too young to change", PolicyReason.TOO_SOON),
    ("password is in history of old passwords", PolicyReason.IN_HISTORY),
)
# Samba AD's check_password_restrictions texts (Windows AD gives only 0000052D).
_AD_TEXTS: tuple[tuple[str, PolicyReason], ...] = (
    ("too short", PolicyReason.TOO_SHORT),
    ("already used", PolicyReason.IN_HISTORY),
    ("in history", PolicyReason.IN_HISTORY),
    ("complexity", PolicyReason.TOO_SIMPLE),
    ("too young", PolicyReason.TOO_SOON),
)
AD_PASSWORD_RESTRICTION = "0000052D"  # ERROR_PASSWORD_RESTRICTION
AD_WILL_NOT_PERFORM = "0000001F"  # e.g. unicodePwd over an unencrypted connection


def _tlv(data: bytes) -> tuple[int, bytes, bytes]:
    """One BER element: (tag, contents, what follows)."""
    if len(data) < 2:
        raise ValueError("truncated")
    tag, length, offset = data[0], data[1], 2
    if length & 0x80:
        count = length & 0x7F
        if not count or len(data) < 2 + count:
            raise ValueError("bad length")
        length, offset = int.from_bytes(data[2 : 2 + count], "big"), 2 + count
    if len(data) < offset + length:
        raise ValueError("truncated")
    return tag, data[offset : offset + length], data[offset + length :]


def ppolicy_error(value: bytes | None) -> str | None:
    """The `error` of a password policy response control value, e.g. "passwordTooShort".

    The value is `SEQUENCE { warning [0] CHOICE {...} OPTIONAL, error [1] ENUMERATED OPTIONAL }`.
    """
    if not value:
        return None
    try:
        tag, body, _ = _tlv(value)
        if tag != 0x30:  # SEQUENCE
            return None
        while body:
            tag, contents, body = _tlv(body)
            if tag == 0x81:  # [1] IMPLICIT ENUMERATED
                return PPOLICY_ERRORS.get(int.from_bytes(contents, "big"))
    except ValueError:
        return None
    return None


def openldap_reason(control_error: str | None, message: str) -> PolicyReason | None:
    """The policy rule behind an OpenLDAP refusal; None when it is no policy refusal."""
    if control_error is not None:
        return _PPOLICY_REASONS.get(control_error, PolicyReason.OTHER)
    lowered = message.lower()
    if "password" in lowered and "too short" in lowered:
        return PolicyReason.TOO_SHORT
    for text, reason in _OPENLDAP_TEXTS:
        if text in lowered:
            return reason
    return None


def active_directory_reason(message: str) -> PolicyReason | None:
    """The policy rule behind an Active Directory refusal; None when it is no policy refusal."""
    if AD_PASSWORD_RESTRICTION not in message.upper():
        return None
    lowered = message.lower()
    for text, reason in _AD_TEXTS:
        if text in lowered:
            return reason
    return PolicyReason.OTHER


def active_directory_bind_problem(message: str) -> str | None:
    """What the `data` code of an AD bind refusal means (AcceptSecurityContext error)."""
    lowered = message.lower()
    for code, meaning in _AD_BIND_DATA.items():
        if f"data {code}," in lowered or lowered.endswith(f"data {code}"):
            return meaning
    return None


_AD_BIND_DATA = {
    "52e": "wrong password for the bind DN",
    "525": "the bind DN does not exist",
    "530": "the service account may not log on at this time",
    "531": "the service account may not log on from this workstation",
    "532": "the service account's password has expired",
    "533": "the service account is disabled",
    "701": "the service account has expired",
    "773": "the service account must change its password",
    "775": "the service account is locked out",
}
