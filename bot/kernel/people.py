"""How people are named to each other: an employee sees an agent's name, never their address."""

from __future__ import annotations

import re


def shown_name(display_name: str | None, email: str) -> str:
    """The name an employee sees for an agent. An account without a name of its own (none, an
    address, or the address's local part, the default an account is created with) gets one
    from the address: marc.durand@norvane.example → Marc Durand. Anything that is not an
    address (an ITSM tool's user name, "agent:zoe") is shown as it is."""
    if "@" not in email:
        return display_name.strip() if display_name and display_name.strip() else email
    local = email.split("@")[0]
    name = (display_name or "").strip()
    if name and "@" not in name and name != local:
        return name
    words = [word for word in re.split(r"[._+-]+", local) if word]
    return " ".join(word[:1].upper() + word[1:] for word in words) or local
