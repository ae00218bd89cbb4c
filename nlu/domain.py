"""The entities Guichet understands: the only names an annotation, regex or lookup may use."""

from __future__ import annotations

ENTITIES: dict[str, str] = {
    "ticket_number": "an incident or request number (INC-104233, REQ-20451)",
    "software": "an application, from the catalog's lookup table (Outlook, SAP, VS Code)",
    "device": "a kind of device (laptop, screen, printer, phone, headset, dock...)",
    "email": "an e-mail address",
    "urgency": "how urgent, normalised to low, high or critical",
    "impact": "who is affected, normalised to person, team or organisation",
    "time": "a date or time as written (since this morning, hier à 9h)",
}
