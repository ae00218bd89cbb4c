"""The agent console: the escalation queue, live takeover of conversations, and its pages."""
