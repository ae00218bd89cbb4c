"""Self-service password reset and unlock: one-time codes, reset links, their pages."""
