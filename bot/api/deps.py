"""Dependencies handed to routes, as named Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bot.dialogue.engine import DialogueEngine
from bot.kernel.errors import NotReady
from bot.services import Services


async def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise NotReady(component="service", reason="still starting")
    return services


async def get_engine(services: Annotated[Services, Depends(get_services)]) -> DialogueEngine:
    return services.engine


ServicesDep = Annotated[Services, Depends(get_services)]
EngineDep = Annotated[DialogueEngine, Depends(get_engine)]
