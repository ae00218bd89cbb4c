"""The suite's guard on the real set: Guichet's recall@5 may not fall by more than 0.03 from the
baseline recorded beside the set (`guichet eval search --set real --write-baseline`).
"""

from __future__ import annotations

import pytest

from bot.services import Components
from bot.settings import PACKAGE_ROOT, load_settings
from knowledge_index.real_eval.realset import BASELINE, SPLITS, load_splits
from knowledge_index.real_eval.session import evaluate_with_peers
from knowledge_index.real_eval.targets import drops, read_baseline

SET_DIR = PACKAGE_ROOT / "knowledge_index" / "eval" / "real"
pytestmark = pytest.mark.unit


async def test_recall_at_5_has_not_fallen_from_the_baseline(components: Components) -> None:
    settings = load_settings()
    report = await evaluate_with_peers(
        components.knowledge,
        load_splits(SET_DIR, SPLITS),
        suggest_threshold=settings.knowledge.suggest_threshold,
        confidence_threshold=settings.knowledge.confidence_threshold,
    )
    baseline = read_baseline(SET_DIR / BASELINE)
    assert len(baseline) == 2 * 2 * 2 * 2  # splits, languages, forms, search and omnibox
    assert drops(report, baseline) == []
