"""Microsoft Teams channel: the Microsoft 365 Agents SDK at /api/messages."""
