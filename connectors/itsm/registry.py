"""The registry of ITSM backends, chosen by name (`GUICHET_ITSM__BACKEND`, the tickets' sync list).

A factory builds one backend from the settings; it checks the backend's own settings and names
the missing one. `builtin` (Guichet as its own ticket store) belongs to the ticket store, which
registers it here; `BackendContext` is where a factory finds what it is built from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.kernel.itsm import TicketBackend
from bot.kernel.registry import Registry
from bot.settings.itsm import ItsmSettings
from connectors.itsm import (
    glpi,
    jira_service_management,
    request_tracker,
    servicenow,
    zammad,
)


@dataclass(frozen=True)
class BackendContext:
    itsm: ItsmSettings


BackendFactory = Callable[[BackendContext], TicketBackend]
BACKENDS: Registry[BackendFactory] = Registry("ITSM backend")
# The backends that also implement `ProblemBackend` (the tool has problem records); Request
# Tracker and Zammad have none: a problem link reaches them as a comment on the incident.
PROBLEM_BACKENDS = frozenset({"servicenow", "glpi"})


def build_backend(name: str, context: BackendContext) -> TicketBackend:
    return BACKENDS.get(name)(context)


BACKENDS.register("request_tracker", lambda context: request_tracker.build(context.itsm))
BACKENDS.register("servicenow", lambda context: servicenow.build(context.itsm))
BACKENDS.register(
    "jira_service_management", lambda context: jira_service_management.build(context.itsm)
)
BACKENDS.register("glpi", lambda context: glpi.build(context.itsm))
BACKENDS.register("zammad", lambda context: zammad.build(context.itsm))
