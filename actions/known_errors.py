"""Known errors for a new incident: the published workaround whose problem matches it.

A match is the same measure and threshold as the ongoing-incident match of the ticket form
(`INCIDENT_SIMILARITY`, and outage grouping's `SIMILARITY`): the embedder's cosine similarity
of what the employee wrote to the problem's title or to the title of any incident linked to it
(the problem's description lists them), at least 0.7.
"""

from __future__ import annotations

import re

from actions.outage import SIMILARITY
from actions.protocol import ActionContext
from bot.kernel.problems import KnownErrors, Problem

KNOWN_ERROR_SIMILARITY = SIMILARITY
LINKER = "guichet:known-error"
_REFERENCE = re.compile(r"^[A-Z]{3}-\d+: ")


def known_errors(context: ActionContext) -> KnownErrors | None:
    """The service's known errors (the `known_errors` extra), if it has them."""
    found: KnownErrors | None = context.services.get("known_errors")
    return found


async def matching_known_error(context: ActionContext, text: str) -> tuple[Problem, float] | None:
    """The offered known error closest to `text`, if it is close enough."""
    desk = known_errors(context)
    if desk is None or not text.strip():
        return None
    problems = await desk.offered()
    texts, owners = [], []
    for index, problem in enumerate(problems):
        for part in [problem.title, *problem.description.splitlines()]:
            part = _REFERENCE.sub("", part)
            if part.strip():
                texts.append(part.strip())
                owners.append(index)
    if not texts:
        return None
    scores = await context.similarity(text, texts)
    best = max(range(len(texts)), key=scores.__getitem__)
    if scores[best] < KNOWN_ERROR_SIMILARITY:
        return None
    return problems[owners[best]], scores[best]
