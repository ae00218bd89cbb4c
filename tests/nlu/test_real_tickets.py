"""The embedded engine on employees' own ticket texts (nlu/eval_real): a floor under its gains."""

from __future__ import annotations

import pytest

from bot.app.cli.nlu import REAL_DIR
from bot.services import Components
from nlu.data import load_test_data
from nlu.evaluation import evaluate

# Measured at 0.75 (en) and 0.80 (fr) on the tune split when the ticket-style examples and the
# word features were added (before: 0.63 and 0.63); a fall of more than 0.03 fails.
TUNE_FLOOR = {"en": 0.72, "fr": 0.77}


@pytest.mark.slow
async def test_real_tickets_keep_their_macro_f1(components: Components) -> None:
    reports = {
        r.name: r for r in await evaluate(components.parser, load_test_data(REAL_DIR / "tune"))
    }
    for language, floor in TUNE_FLOOR.items():
        assert reports[language].macro_f1 >= floor, (language, reports[language].confusions[:8])
