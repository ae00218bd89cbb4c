"""Redaction of secrets, tokens, cards, IBANs and configured patterns, in English and French."""

from __future__ import annotations

import pytest

from bot.privacy.redact import Redactor, marker

pytestmark = pytest.mark.unit
redactor = Redactor()

# Test card numbers published by the card networks, and IBANs from the registry's examples.
CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011111111111117"]
IBANS = [
    "FR76 3000 6000 0112 3456 7890 189",
    "DE89370400440532013000",
    "gb82 west 1234 5698 7654 32",
    "BE71 0961 2345 6769",
    "NL91 ABNA 0417 1643 00",
    "CH93 0076 2011 6238 5295 7",
]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("my password is Summer2024!", "Summer2024!"),
        ("My new password is now hunter22 can you check", "hunter22"),
        ("password: Tr0ub4dor&3", "Tr0ub4dor&3"),
        ('my password is "correct horse battery staple" ok?', '"correct horse battery staple"'),
        ("mon mot de passe est Soleil2024", "Soleil2024"),
        ("mon mdp c'est azerty123", "azerty123"),
        ("mdp : Az3rty!!", "Az3rty!!"),
        ("le mot de passe est maintenant Chaton#7", "Chaton#7"),
        ("code pin : 4821", "4821"),
        ("api_key=sk3cr3tv4lu3 in the config", "sk3cr3tv4lu3"),
        ("client_secret = 9f8e7d6c5b", "9f8e7d6c5b"),
        ("ma clé API est ABCD-1234-EFGH", "ABCD-1234-EFGH"),
        ("le jeton : 5up3rT0k3n", "5up3rT0k3n"),
    ],
)
def test_secrets_given_after_their_name(text: str, secret: str) -> None:
    redacted = redactor.redact(text)
    assert secret not in redacted
    assert marker("secret") in redacted


@pytest.mark.parametrize(
    "text",
    [
        "my password is expired",
        "I forgot my password",
        "my password is not working since this morning",
        "mon mot de passe est bloqué",
        "mon mdp est toujours pas bon",
        "le mot de passe ne marche plus",
        "reset my password please",
        "the token is invalid",
        "my API token was revoked yesterday",
        "mon mot de passe est à changer",
        "le jeton est révoqué",
        "ticket INC-104233 opened at 2026-11-23 12:15:09",
        "call me on 06 12 34 56 78 or +33 1 23 45 67 89",
        "order 1234567890123 arrived",  # 13 digits, fails Luhn
        "marie.dupont@norvane.example cannot print",
    ],
)
def test_problems_described_are_left_alone(text: str) -> None:
    assert redactor.redact(text) == text


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("Authorization: Bearer abc.def-ghi_jkl123", "abc.def-ghi_jkl123"),
        ("curl -H 'authorization: Basic dXNlcjpwYXNz'", "dXNlcjpwYXNz'"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9",
            "eyJhbGciOiJIUzI1NiJ9",
        ),
        ("db is postgres://bob:s3cr3t@db.internal:5432/app", "s3cr3t"),
        ("key AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE"),
        ("ghp_" + "a1B2" * 9 + " in the repo", "ghp_"),
        ("slack xoxb-123456789012-abcdefABCDEF", "xoxb-"),
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    ],
)
def test_tokens_and_credentials(text: str, token: str) -> None:
    redacted = redactor.redact(text)
    assert token not in redacted
    assert "[REDACTED:" in redacted


def test_private_key_block_goes_whole() -> None:
    text = (
        "here is the key\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
        "QyNTUxOQAAACD\n-----END OPENSSH PRIVATE KEY-----\nthanks"
    )
    assert redactor.redact(text) == f"here is the key\n{marker('private_key')}\nthanks"
    cut = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA"  # pasted without its end
    assert redactor.redact(cut) == marker("private_key")


@pytest.mark.parametrize("card", CARDS)
def test_card_numbers(card: str) -> None:
    assert redactor.redact(f"ma carte {card}, merci") == f"ma carte {marker('card')}, merci"


def test_a_number_failing_luhn_is_not_a_card() -> None:
    assert redactor.redact("4111 1111 1111 1112") == "4111 1111 1111 1112"


@pytest.mark.parametrize("iban", IBANS)
def test_ibans_validated_by_checksum(iban: str) -> None:
    assert redactor.redact(f"IBAN {iban} merci") == f"IBAN {marker('iban')} merci"


def test_an_iban_with_a_wrong_checksum_stays() -> None:
    assert redactor.redact("FR77 3000 6000 0112 3456 7890 189") == (
        "FR77 3000 6000 0112 3456 7890 189"
    )


def test_configured_patterns_whole_or_their_secret_group() -> None:
    custom = Redactor({"employee_id": r"\bEMP-\d{6}\b", "badge": r"badge (?P<secret>\d{4})"})
    assert custom.redact("EMP-123456, badge 9981") == (
        f"{marker('employee_id')}, badge {marker('badge')}"
    )


def test_several_findings_and_nested_data() -> None:
    data = {
        "transcript": [
            {"role": "user", "text": "mdp : Xyz!2345 et carte 4111111111111111"},
            {"role": "bot", "text": "Thanks"},
        ],
        "count": 2,
    }
    assert redactor.redact_data(data) == {
        "transcript": [
            {"role": "user", "text": f"mdp : {marker('secret')} et carte {marker('card')}"},
            {"role": "bot", "text": "Thanks"},
        ],
        "count": 2,
    }


def test_redacting_twice_changes_nothing_more() -> None:
    once = redactor.redact("password: abc123 IBAN DE89370400440532013000")
    assert redactor.redact(once) == once
