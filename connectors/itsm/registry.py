"""The registry of ITSM backends, chosen by name (`GUICHET_ITSM__BACKEND`, the tickets' sync list).

A factory builds one backend from the settings; it checks the backend's own settings and names
the missing one. `builtin` (Guichet as its own ticket store) belongs to the ticket store, which
registers it here; `BackendContext` is where a factory finds what it is built from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.kernel.changes import ChangeCalendar
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
from connectors.itsm.glpi.changes import GlpiChangeCalendar
from connectors.itsm.jira_service_management.changes import JiraServiceManagementChangeCalendar
from connectors.itsm.servicenow.changes import ServiceNowChangeCalendar


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


# Change calendars: the tools whose planned changes are read (`GUICHET_CHANGES__CALENDARS`).
CalendarFactory = Callable[[BackendContext], ChangeCalendar]
CALENDARS: Registry[CalendarFactory] = Registry("change calendar")


def build_calendar(name: str, context: BackendContext) -> ChangeCalendar:
    return CALENDARS.get(name)(context)


CALENDARS.register(
    "servicenow",
    lambda context: ServiceNowChangeCalendar(
        context.itsm.servicenow, timeout=context.itsm.timeout_seconds
    ),
)
CALENDARS.register(
    "jira_service_management",
    lambda context: JiraServiceManagementChangeCalendar(
        context.itsm.jira_service_management, timeout=context.itsm.timeout_seconds
    ),
)
CALENDARS.register(
    "glpi",
    lambda context: GlpiChangeCalendar(context.itsm.glpi, timeout=context.itsm.timeout_seconds),
)
