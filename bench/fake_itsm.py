"""The local ServiceNow of the contract tests as a process of its own, for the load test:
`python -m bench.fake_itsm PORT`. Counted through its own Table API."""

from __future__ import annotations

import sys

import uvicorn

from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.servicenow import servicenow_app

USER, PASSWORD = "guichet.integration", "guichet-pass"


def main() -> None:
    app, _ = servicenow_app(Faults())
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
