"""`guichet serve` for the cost bench: the same app in one process, plus what the bench reads
from inside it. `python -m bench.cost_server --port N`.

GET /bench/counters gives the SQL statements the process has sent so far (counted with
SQLAlchemy's `before_cursor_execute` event on every engine).
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.app.serve import UVICORN_LOGGING
from bot.app.web import create_app
from bot.observability.log_format import configure_logging
from bot.settings import Settings

statements = 0


def _count(*_: Any) -> None:
    global statements
    statements += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    event.listen(Engine, "before_cursor_execute", _count)
    settings = Settings()
    configure_logging(settings)  # as `guichet serve` does: the log lines are part of the cost
    app = create_app(settings)

    @app.get("/bench/counters", include_in_schema=False)
    async def counters() -> dict[str, int]:
        return {"sql": statements}

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level=settings.log_level.lower(),
        **UVICORN_LOGGING,
    )


if __name__ == "__main__":
    main()
