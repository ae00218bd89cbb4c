"""Problem rules over the store: open from an outage parent or similar tickets, link incidents,
record root cause and workaround, move through the lifecycle, publish the known error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.insights.notices import symptom
from bot.kernel.errors import Conflict, InvalidRequest
from bot.kernel.i18n import t
from bot.kernel.problems import (
    OFFERED_STATUSES,
    PROBLEM_STATUSES,
    NewProblem,
    Problem,
    ProblemEvent,
    check_problem_transition,
)
from bot.kernel.ticket_models import Ticket
from bot.privacy.redact import Redactor
from bot.problems.known_errors import KnownErrorPublisher
from bot.storage.problems import ProblemStore
from bot.tickets.service import TicketService

MAX_WORKAROUND = 20_000


class ProblemService:
    """The kernel's `KnownErrors` for the ticket action, and what the console calls.

    `problem_backends` are the ITSM tools synced with that have problem records (a copy of
    each problem, incidents linked upstream); the others (`link_comment_backends`) are told of
    a link by a comment on the incident, as they have no problem record.
    """

    def __init__(
        self,
        store: ProblemStore,
        tickets: TicketService,
        known_errors: KnownErrorPublisher | None,
        *,
        problem_backends: Sequence[str] = (),
        redactor: Redactor | None = None,
    ) -> None:
        self.store = store
        self.tickets = tickets
        self.known_errors = known_errors
        self.problem_backends = list(problem_backends)
        self.redactor = redactor or Redactor()

    @property
    def link_comment_backends(self) -> list[str]:
        return [b for b in self.tickets.backends if b not in self.problem_backends]

    # -- opening -------------------------------------------------------------------------------

    async def open(self, new: NewProblem, *, actor: str) -> Problem:
        """Open a problem for incidents that exist (each is checked)."""
        incidents = [(await self.tickets.get(reference)).reference for reference in new.incidents]
        new = new.model_copy(
            update={
                "title": self.redactor.redact(new.title.strip()),
                "description": self.redactor.redact(new.description.strip()),
                "incidents": incidents,
            }
        )
        problem = await self.store.create(new, actor=actor, backends=self.problem_backends)
        for reference in incidents:
            await self._tell_without_problems(problem, reference, actor)
        return problem

    async def open_from_parent(self, parent: str, *, actor: str) -> Problem:
        """A problem for an outage parent: the parent and every report grouped under it."""
        ticket = await self.tickets.get(parent)
        children = await self.tickets.find(parent=ticket.reference, limit=500)
        existing = await self.store.of_ticket(ticket.reference)
        if existing:
            raise Conflict(
                reference=ticket.reference,
                problem=f"already has problem {existing[0]}",
                allowed="link more incidents to it",
            )
        return await self.open(
            NewProblem(
                title=symptom(ticket)[:200],
                description=_reports(ticket, children),
                incidents=[ticket.reference, *(c.reference for c in reversed(children))],
                origin=ticket.reference,
            ),
            actor=actor,
        )

    async def open_from_tickets(
        self, references: Sequence[str], *, actor: str, title: str = ""
    ) -> Problem:
        """A problem for a selection of similar tickets (a cluster seen in the console)."""
        tickets = [await self.tickets.get(reference) for reference in dict.fromkeys(references)]
        if not tickets:
            raise InvalidRequest(field="tickets", problem="name at least one ticket")
        return await self.open(
            NewProblem(
                title=(title.strip() or tickets[0].title)[:200],
                description=_reports(None, tickets),
                incidents=[tk.reference for tk in tickets],
            ),
            actor=actor,
        )

    # -- incidents -----------------------------------------------------------------------------

    async def link(self, reference: str, ticket: str, *, actor: str) -> Problem:
        found = await self.tickets.get(ticket)
        problem, linked = await self.store.link(
            reference, found.reference, actor=actor, backends=self.problem_backends
        )
        if linked:
            await self._tell_without_problems(problem, found.reference, actor)
        return problem

    async def unlink(self, reference: str, ticket: str, *, actor: str) -> Problem:
        return await self.store.unlink(
            reference, ticket, actor=actor, backends=self.problem_backends
        )

    async def _tell_without_problems(self, problem: Problem, ticket: str, actor: str) -> None:
        """Request Tracker and Zammad have no problem record: the link becomes a comment on
        the incident there (and on its page)."""
        backends = self.link_comment_backends
        if not backends:
            return
        language = (await self.tickets.get(ticket)).language
        await self.tickets.store.comment(
            ticket,
            author=actor,
            body=t(
                'Linked to problem {reference} "{title}".',
                language,
                reference=problem.reference,
                title=problem.title,
            ),
            backends=backends,
        )

    # -- analysis and lifecycle ----------------------------------------------------------------

    async def record(
        self,
        reference: str,
        *,
        actor: str,
        root_cause: str | None = None,
        workaround_en: str | None = None,
        workaround_fr: str | None = None,
        title: str | None = None,
        description: str | None = None,
    ) -> Problem:
        """Record what was found; a published known error is rewritten with it."""
        fields = {
            name: self.redactor.redact(value.strip())
            for name, value in {
                "root_cause": root_cause,
                "workaround_en": workaround_en,
                "workaround_fr": workaround_fr,
                "title": title,
                "description": description,
            }.items()
            if value is not None
        }
        if "title" in fields and not fields["title"]:
            raise InvalidRequest(field="title", problem="must not be empty")
        for name, value in fields.items():
            if len(value) > MAX_WORKAROUND:
                raise InvalidRequest(field=name, problem=f"longer than {MAX_WORKAROUND} characters")
        problem = await self.store.change(
            reference,
            actor=actor,
            kind="analysis",
            fields=fields,
            backends=self.problem_backends,
            push=True,
        )
        if problem.published:
            if problem.workaround_en or problem.workaround_fr:
                await self._write_known_error(problem, actor)
            else:
                problem = await self.unpublish(reference, actor=actor)
        return problem

    async def transition(self, reference: str, to: str, *, actor: str) -> Problem:
        """Move the problem on; resolving or closing it retires its known error."""
        if to not in PROBLEM_STATUSES:
            raise InvalidRequest(field="status", problem=f"expected one of {PROBLEM_STATUSES}")
        problem = await self.store.get(reference)
        check_problem_transition(problem.reference, problem.status, to)
        fields: dict[str, object] = {"status": to}
        retire = problem.published and to not in OFFERED_STATUSES
        if retire:
            fields["published"] = False
        problem = await self.store.change(
            problem.reference,
            actor=actor,
            kind="status",
            fields=fields,
            backends=self.problem_backends,
            push=True,
        )
        if retire and self.known_errors is not None:
            await self.known_errors.retire(problem.reference)
        return problem

    async def publish(self, reference: str, *, actor: str) -> Problem:
        """Make the workaround a known-error entry of the index (and the problem a known
        error), offered to the next matching incidents."""
        problem = await self.store.get(reference)
        if not (problem.workaround_en or problem.workaround_fr):
            raise Conflict(
                reference=problem.reference,
                problem="has no workaround to publish",
                allowed="record a workaround in English or French first",
            )
        if problem.status not in OFFERED_STATUSES:
            raise Conflict(
                reference=problem.reference,
                problem=f"is {problem.status}",
                allowed="publish while new, under investigation or a known error",
            )
        await self._write_known_error(problem, actor)
        return await self.store.change(
            problem.reference,
            actor=actor,
            kind="published",
            fields={"published": True, "status": "known_error"},
            backends=self.problem_backends,
            push=True,
        )

    async def unpublish(self, reference: str, *, actor: str) -> Problem:
        problem = await self.store.get(reference)
        if self.known_errors is not None:
            await self.known_errors.retire(problem.reference)
        return await self.store.change(
            problem.reference, actor=actor, kind="unpublished", fields={"published": False}
        )

    async def _write_known_error(self, problem: Problem, actor: str) -> None:
        if self.known_errors is None:
            raise Conflict(
                reference=problem.reference,
                problem="cannot be published: the knowledge base folder is not known",
                allowed="none",
            )
        await self.known_errors.publish(
            problem, category=await self._category(problem), author=actor
        )

    async def _category(self, problem: Problem) -> str:
        """The linked incidents' most frequent category."""
        categories = []
        for reference in problem.incidents[:50]:
            categories.append((await self.tickets.get(reference)).category)
        return Counter(categories).most_common(1)[0][0] if categories else "other"

    # -- reads ---------------------------------------------------------------------------------

    async def get(self, reference: str) -> Problem:
        return await self.store.get(reference)

    async def find(self, *, statuses: Sequence[str] = ()) -> list[Problem]:
        return await self.store.find(statuses=statuses)

    async def history(self, reference: str) -> list[ProblemEvent]:
        return await self.store.history(reference)

    async def offered(self) -> list[Problem]:
        return await self.store.find(published=True, statuses=OFFERED_STATUSES)

    async def incidents(self, problem: Problem) -> list[Ticket]:
        return [await self.tickets.get(reference) for reference in problem.incidents]


def _reports(parent: Ticket | None, tickets: Sequence[Ticket]) -> str:
    lines = [f"{parent.reference}: {parent.title}"] if parent else []
    lines += [f"{tk.reference}: {tk.title}" for tk in tickets]
    return "\n".join(lines)[:20_000]
