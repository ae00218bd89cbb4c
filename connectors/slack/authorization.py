"""Who the bot is (`auth.test`), asked within the time Slack gives for an acknowledgement.

Bolt's single-workspace authorization asks Slack's `auth.test` on the first request it sees and
only then acknowledges it. With the Web API down, that call took the SDK's retry (a back-off of
up to 1.5 s) and, on a Web API that hangs rather than refuses, the client's 30-second timeout,
while Slack wants its 200 within 3 seconds and resends the event otherwise. Here the question
is asked once, without retries, within `AUTH_TEST_SECONDS`; when it cannot be answered, the
error reaches the app's error handler, which acknowledges, and the next request asks again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from slack_bolt.middleware.authorization.async_internals import _is_no_auth_required
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_bolt.middleware.authorization.internals import _is_no_auth_test_call_required
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

AUTH_TEST_SECONDS = 1.5  # half of Slack's 3 seconds: the rest is for the acknowledgement itself


class BoundedAuthorization(AsyncSingleTeamAuthorization):
    """Bolt's single-workspace authorization with `auth.test` bounded in time and not retried."""

    def __init__(self, token: str, base_url: str) -> None:
        super().__init__(base_logger=logging.getLogger("slack_bolt"))
        # The app's token and base URL; no retries, a timeout inside the bound.
        self.client = AsyncWebClient(
            token=token, base_url=base_url, timeout=int(AUTH_TEST_SECONDS) + 1, retry_handlers=[]
        )

    async def who_am_i(self) -> None:
        """Ask `auth.test` now; raises what the Web API raised, or `TimeoutError`."""
        async with asyncio.timeout(AUTH_TEST_SECONDS):
            self.auth_test_result = await self.client.auth_test()

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        # Bolt's own tests of whether this request needs `auth.test` (url_verification and
        # the like do not), so that those still pass while Slack's Web API is down.
        if (
            self.auth_test_result is None
            and not _is_no_auth_required(req)
            and not _is_no_auth_test_call_required(req)
        ):
            await self.who_am_i()
        return await super().async_process(req=req, resp=resp, next=next)
