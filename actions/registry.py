"""The registry of actions the dialogue engine can run, by name."""

from __future__ import annotations

from actions.catalog import OrderItem
from actions.handoff import HandOff
from actions.protocol import Action
from actions.tickets import CreateTicket, TicketStatus
from bot.registry import Registry


def default_actions() -> Registry[Action]:
    registry: Registry[Action] = Registry("action")
    for action in (CreateTicket(), TicketStatus(), OrderItem(), HandOff()):
        registry.register(action.name, action)
    return registry
