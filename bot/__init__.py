"""Guichet: a self-hosted bilingual IT-support assistant."""

__version__ = "0.1.0"
