"""Limits on what one caller may send: request body size and request rates."""
