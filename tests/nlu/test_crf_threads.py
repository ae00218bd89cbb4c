"""The CRF entity tagger used from several threads at once, as parses run in worker threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.settings import SAMPLE_NLU_DIR
from nlu.crf import CrfTagger
from nlu.data import load_training_data

TEXTS = [
    "my laptop screen is broken since yesterday",
    "statut du ticket INC-104233 svp",
    "I need Visio installed on my desktop urgently",
    "le vpn coupe sur mon portable depuis ce matin",
    "install teams",
    "my docking station and my second monitor stopped working at 9am",
]


def test_tagging_from_many_threads_gives_what_one_thread_gives() -> None:
    examples = [e for e in load_training_data(SAMPLE_NLU_DIR).examples if e.entities][:400]
    tagger = CrfTagger.train(examples)
    expected = [tagger.tag(text) for text in TEXTS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(tagger.tag, TEXTS * 300))
    assert results == expected * 300
