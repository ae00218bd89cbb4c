"""Problems and known errors (ITIL problem management), as every layer sees them.

A problem is the unknown cause behind one or more incidents. An agent opens it from an outage
parent or a cluster of similar tickets, links the incidents, records the root cause and the
workaround; publishing the workaround makes it a known error that the index serves and that
new matching incidents are offered and linked to. The ITSM tools that have problem records
(ServiceNow, Jira Service Management, GLPI) get a copy through a `ProblemBackend`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol, get_args, runtime_checkable

from pydantic import BaseModel, Field

from bot.kernel.errors import Conflict, NotFound

ProblemStatus = Literal["new", "under_investigation", "known_error", "resolved", "closed"]
PROBLEM_STATUSES: tuple[ProblemStatus, ...] = get_args(ProblemStatus)
PROBLEM_TRANSITIONS: dict[ProblemStatus, tuple[ProblemStatus, ...]] = {
    "new": ("under_investigation", "known_error", "resolved", "closed"),
    "under_investigation": ("known_error", "resolved", "closed"),
    "known_error": ("under_investigation", "resolved", "closed"),
    "resolved": ("closed", "under_investigation"),
    "closed": (),
}
KNOWN_ERROR_SLUG_PREFIX = "known-error-"
# While a problem is in one of these, its published workaround is offered; afterwards retired.
OFFERED_STATUSES: tuple[ProblemStatus, ...] = ("new", "under_investigation", "known_error")


def known_error_slug(reference: str) -> str:
    """The slug (entry group) of a problem's known-error entry: `known-error-prb-000007`."""
    return KNOWN_ERROR_SLUG_PREFIX + reference.lower()


def problem_of_entry(group: str) -> str | None:
    """The problem reference of a known error's entry group, if it came from a problem."""
    if not group.startswith(KNOWN_ERROR_SLUG_PREFIX):
        return None
    return group.removeprefix(KNOWN_ERROR_SLUG_PREFIX).upper()


class ProblemNotFound(NotFound):
    def __init__(self, *, reference: str) -> None:
        super().__init__(kind="problem", key=reference)


class InvalidProblemTransition(Conflict):
    def __init__(self, *, reference: str, current: str, requested: str) -> None:
        allowed = PROBLEM_TRANSITIONS.get(current, ())  # type: ignore[call-overload]
        super().__init__(
            reference=reference,
            problem=f"cannot go from {current!r} to {requested!r}",
            allowed=", ".join(allowed) or "none (final status)",
        )


def check_problem_transition(reference: str, current: str, requested: str) -> None:
    if requested not in PROBLEM_TRANSITIONS.get(current, ()):  # type: ignore[call-overload]
        raise InvalidProblemTransition(reference=reference, current=current, requested=requested)


class NewProblem(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    incidents: list[str] = Field(default_factory=list, max_length=500)
    origin: str | None = Field(None, max_length=64, description="the outage parent it came from")


class Problem(BaseModel):
    id: int
    reference: str  # PRB-000001
    title: str
    description: str
    status: ProblemStatus
    root_cause: str = ""
    workaround_en: str = ""
    workaround_fr: str = ""
    origin: str | None = None
    incidents: list[str] = Field(default_factory=list)
    published: bool = False  # its workaround is a known-error entry of the index
    created_by: str
    created_at: datetime
    updated_at: datetime

    def workaround(self, language: str) -> str:
        """The workaround in `language`, else in the other language."""
        first, other = (
            (self.workaround_fr, self.workaround_en)
            if language == "fr"
            else (self.workaround_en, self.workaround_fr)
        )
        return first or other

    @property
    def offered(self) -> bool:
        return self.published and self.status in OFFERED_STATUSES


class ProblemEvent(BaseModel):
    at: datetime
    actor: str
    kind: str
    data: dict[str, object]


class ProblemPayload(BaseModel):
    """What Guichet sends upstream about a problem."""

    reference: str  # also the idempotency key
    title: str
    description: str
    status: ProblemStatus
    root_cause: str = ""
    workaround: str = ""


@runtime_checkable
class ProblemBackend(Protocol):
    """An ITSM tool that has problem records (a `TicketBackend` that also implements this).

    `create_problem` is idempotent on `payload.reference`. Linking takes the upstream ids of
    the problem and of an incident the tool already has (the ticket outbox created it).
    """

    name: str

    async def create_problem(self, payload: ProblemPayload) -> str: ...

    async def update_problem(self, upstream_id: str, payload: ProblemPayload) -> None: ...

    async def link_incident(self, problem_id: str, incident_id: str) -> None: ...

    async def unlink_incident(self, problem_id: str, incident_id: str) -> None: ...


class KnownErrors(Protocol):
    """What the ticket action asks about known errors (the core's problem service)."""

    async def offered(self) -> list[Problem]:
        """Problems whose workaround is published and still offered."""
        ...

    async def link(self, reference: str, ticket: str, *, actor: str) -> Problem:
        """Link an incident to the problem (and upstream)."""
        ...
