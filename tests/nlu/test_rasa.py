"""The `rasa` engine: a real Rasa 3.6.21 server trained on Guichet's data, over its HTTP API."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest
import yaml

from bot.app.cli.nlu import EVAL_DIR
from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components
from bot.settings import SAMPLE_NLU_DIR, load_settings
from nlu.data import load_test_data, load_training_data
from nlu.domain import ENTITIES
from nlu.evaluation import evaluate
from nlu.rasa_parser import NluUnavailable, RasaIntentParser, from_rasa
from nlu.rasa_project import export_project, project_files, project_fingerprint
from nlu.registry import PARSERS, ParserContext
from tests.bot.auth.helpers import bearer
from tests.cli import invoke

# What Rasa 3.6 answers on POST /model/parse (its HTTP API reference, with the fields its
# DIET, regex and synonym components add).
RASA_BODY = {
    "text": "status of INC-104233, it blocks the whole team",
    "intent": {"name": "incident_status", "confidence": 0.9731},
    "entities": [
        {
            "entity": "ticket_number",
            "start": 10,
            "end": 20,
            "confidence_entity": 0.998,
            "value": "INC-104233",
            "extractor": "DIETClassifier",
        },
        {
            "entity": "impact",
            "start": 32,
            "end": 46,
            "value": "team",
            "extractor": "DIETClassifier",
            "processors": ["EntitySynonymMapper"],
        },
    ],
    "text_tokens": [[0, 6], [7, 9]],
    "intent_ranking": [
        {"name": "incident_status", "confidence": 0.9731},
        {"name": "open_incident", "confidence": 0.0151},
    ],
    "response_selector": {"all_retrieval_intents": [], "default": {}},
}


@pytest.mark.unit
def test_rasa_body_becomes_a_parse_result() -> None:
    result = from_rasa(RASA_BODY["text"], RASA_BODY)  # type: ignore[arg-type]
    assert (result.intent, result.confidence) == ("incident_status", 0.9731)
    assert result.entity("ticket_number") == "INC-104233"
    assert result.entity("impact") == "team"
    assert result.entities[1].text == "the whole team"
    assert [s.name for s in result.ranking] == ["incident_status", "open_incident"]
    assert result.to_rasa()["entities"][0] == {
        "entity": "ticket_number",
        "start": 10,
        "end": 20,
        "value": "INC-104233",
        "extractor": "DIETClassifier",
    }


@pytest.mark.unit
def test_export_is_a_complete_rasa_project(tmp_path: Path) -> None:
    data = load_training_data(SAMPLE_NLU_DIR)
    fingerprint = export_project(data, tmp_path, threshold=0.4)
    config = yaml.safe_load((tmp_path / "config.yml").read_text())
    domain = yaml.safe_load((tmp_path / "domain.yml").read_text())
    names = [component["name"] for component in config["pipeline"]]
    assert "DIETClassifier" in names and "EntitySynonymMapper" in names
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    assert fallback["threshold"] == 0.4
    assert domain["intents"] == data.intents and domain["entities"] == sorted(ENTITIES)
    exported = sorted(p.name for p in (tmp_path / "data" / "nlu").iterdir())
    assert exported == sorted(f"{p.parent.name}-{p.name}" for p in data.files)
    assert {"en-nlu.yml", "fr-nlu.yml", "en-tickets.yml", "fr-tickets.yml"} <= set(exported)
    assert (tmp_path / "data" / "nlu" / "fr-nlu.yml").read_bytes() == (
        SAMPLE_NLU_DIR / "fr" / "nlu.yml"
    ).read_bytes()
    assert fingerprint == project_fingerprint(project_files(data, 0.4))
    assert fingerprint != project_fingerprint(project_files(data, 0.5))


@pytest.mark.slow
def test_guichet_rasa_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # "out" is where the operator runs the command
    completed = invoke(["rasa", "export", "out"], {})  # in this process (tests/cli.py)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Rasa project written to out" in completed.stdout
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"config.yml", "domain.yml", "data"}


@pytest.mark.unit
async def test_unreachable_server_is_a_clear_error() -> None:
    parser = RasaIntentParser(httpx.AsyncClient(timeout=2.0), "http://127.0.0.1:9")
    try:
        with pytest.raises(NluUnavailable, match="guichet rasa serve"):
            await parser.parse("hello", language="en")
    finally:
        await parser.aclose()


@pytest.mark.integration
@pytest.mark.slow
async def test_real_rasa_parses_both_languages(rasa_parser: RasaIntentParser) -> None:
    status = await rasa_parser.status()
    assert status["model_file"].endswith(".tar.gz")
    greet = await rasa_parser.parse("bonjour", language="fr")
    assert greet.intent == "greet" and greet.confidence > 0.5
    vpn = await rasa_parser.parse("my GlobalProtect vpn keeps dropping", language="en")
    assert vpn.intent == "vpn_problem"
    status = await rasa_parser.parse("où en est INC-104233 ?", language="fr")
    assert status.intent == "incident_status"
    assert status.entity("ticket_number") == "INC-104233"
    for entity in status.entities:
        assert status.text[entity.start : entity.end] == entity.text


@pytest.mark.integration
@pytest.mark.slow
async def test_real_rasa_takes_bad_input(rasa_parser: RasaIntentParser) -> None:
    for text in ("", "🙂🙂", "x" * 10_000, "mi impresora no funciona"):
        result = await rasa_parser.parse(text, language="en")
        assert result.text == text
        assert 0.0 <= result.confidence <= 1.0


@pytest.mark.integration
@pytest.mark.slow
async def test_the_registry_builds_the_rasa_engine(components: Components, rasa_url: str) -> None:
    settings = load_settings(nlu={"engine": "rasa", "rasa_url": rasa_url})
    context = ParserContext(
        settings=settings,
        embedder=components.embedder,
        data=load_training_data(settings.nlu.data_dir),
    )
    parser = await PARSERS.get("rasa")(context)
    assert isinstance(parser, RasaIntentParser)
    assert (await parser.parse("thanks a lot", language="en")).intent == "thank"
    await parser.aclose()


@pytest.mark.integration
@pytest.mark.slow
async def test_parse_api_with_the_rasa_engine(
    components: Components, rasa_parser: RasaIntentParser, tmp_path: Path
) -> None:
    swapped = dataclasses.replace(components, parser=rasa_parser)
    services = await open_services(
        load_settings(data_dir=tmp_path, nlu={"engine": "rasa"}), swapped
    )
    app = create_app(services.settings, services)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://guichet.test",
                headers=await bearer(services, role="agent"),
            ) as client,
        ):
            body = (
                await client.post("/api/v1/nlu/parse", json={"text": "mon imprimante bourre"})
            ).json()
    finally:
        await services.close()
    assert body["intent"]["name"] == "printer_problem"
    assert body["language"] == "fr"
    assert {"text", "intent", "entities", "intent_ranking"} <= set(body)


@pytest.mark.integration
@pytest.mark.slow
async def test_the_embedded_engine_beats_rasa_on_the_test_set(
    components: Components, rasa_parser: RasaIntentParser
) -> None:
    examples = load_test_data(EVAL_DIR)
    rasa = {r.name: r for r in await evaluate(rasa_parser, examples)}
    embedded = {r.name: r for r in await evaluate(components.parser, examples)}
    assert rasa["all"].macro_f1 > 0.7  # a real model answered, not a stub
    assert embedded["all"].macro_f1 > rasa["all"].macro_f1
    assert embedded["all"].out_of_scope.f1 > rasa["all"].out_of_scope.f1
