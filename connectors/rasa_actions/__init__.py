"""Guichet's actions served to a Rasa assistant through the Rasa action-server protocol."""
