"""Search quality on the labelled queries: the issue's targets are met."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.cli.index import DEFAULT_EVAL
from bot.services import Components
from knowledge_index.documents import ContentInvalid
from knowledge_index.evaluation import LabelledSet, evaluate, prefix_of

pytestmark = pytest.mark.slow


def test_the_labelled_set_is_large_and_varied() -> None:
    queries = LabelledSet.load(DEFAULT_EVAL).queries
    assert len(queries) >= 150
    assert {q.lang for q in queries} == {"en", "fr"}
    assert sum(1 for q in queries if not q.expect) >= 20
    assert prefix_of("mot de passe oublié") == "mot de passe"


async def test_targets_are_met(components: Components) -> None:
    report = await evaluate(
        components.knowledge, LabelledSet.load(DEFAULT_EVAL), answer_threshold=0.45
    )
    assert report.failures() == [], report.failures()
    assert set(report.full) == {"all", "en", "fr"}


def test_a_malformed_file_names_itself(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("queries:\n  - {lang: de, q: hallo, expect: []}\n")
    with pytest.raises(ContentInvalid, match=r"bad\.yaml"):
        LabelledSet.load(tmp_path / "bad.yaml")
