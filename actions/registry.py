"""The registry of actions the dialogue engine can run, by name."""

from __future__ import annotations

from actions.catalog import OrderItem
from actions.handoff import HandOff
from actions.password import PasswordReset
from actions.protocol import Action
from actions.tickets import AddComment, CreateTicket, TicketStatus
from bot.kernel.registry import Registry
from bot.kernel.self_service import SelfService


def default_actions(self_service: SelfService) -> Registry[Action]:
    registry: Registry[Action] = Registry("action")
    for action in (
        CreateTicket(),
        TicketStatus(),
        AddComment(),
        OrderItem(),
        HandOff(),
        PasswordReset(self_service),
    ):
        registry.register(action.name, action)
    return registry
