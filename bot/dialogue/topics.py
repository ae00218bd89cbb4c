"""What a recognised problem is about: its name for the user and its articles' categories.

When the intent is clear but no article scores high enough to be given as the answer, the
engine shows the closest articles of the problem's own categories under the topic's name,
rather than saying it did not understand.
"""

from __future__ import annotations

from bot.kernel.domain import Button, Reply, payload
from bot.kernel.i18n import N_, t
from knowledge_index.index import Hit

TOPICS: dict[str, tuple[str, frozenset[str]]] = {
    "password_reset": (N_("your password"), frozenset({"account"})),
    "account_locked": (N_("your account"), frozenset({"account"})),
    "mfa_problem": (N_("two-step verification"), frozenset({"account", "security"})),
    "vpn_problem": (N_("the VPN"), frozenset({"network"})),
    "wifi_problem": (N_("the Wi-Fi"), frozenset({"network"})),
    "email_problem": (N_("e-mail and Outlook"), frozenset({"email"})),
    "printer_problem": (N_("printing"), frozenset({"printing"})),
    "hardware_problem": (N_("your computer or equipment"), frozenset({"hardware"})),
    "software_problem": (
        N_("an application"),
        frozenset({"software", "collaboration", "email"}),
    ),
    "access_request": (N_("access rights"), frozenset({"access"})),
}


def topic_of(intent: str | None) -> tuple[str, frozenset[str]] | None:
    """The topic's name (to translate) and its article categories, for a problem intent."""
    return TOPICS.get(intent or "")


def topic_reply(
    topic: tuple[str, frozenset[str]], hits: list[Hit], language: str, escalate: list[Button]
) -> list[Reply]:
    """The problem is clear but no article is a sure answer: the closest ones on its topic."""
    name, categories = topic
    related = [h for h in hits if h.entry.category in categories]
    if not related:
        return [
            Reply(
                text=t(
                    "I understand it's about {topic}, but I have no article that fits. "
                    "A technician can look into it:",
                    language,
                    topic=t(name, language),
                ),
                buttons=escalate,
            )
        ]
    return [
        Reply(
            text=t(
                "About {topic}, these articles may help. Otherwise a technician can look into it:",
                language,
                topic=t(name, language),
            ),
            buttons=[
                Button(title=h.entry.title, payload=payload("article", article=h.entry.group))
                for h in related
            ]
            + escalate,
        )
    ]
