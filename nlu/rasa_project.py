"""`guichet rasa export`: a complete Rasa 3.6 project (config, domain, data) from Guichet's data.

The NLU files are copied as they are (they are Rasa's format already); the domain lists every
intent of the data and every entity Guichet knows; the config is Rasa's DIET pipeline with the
regex and synonym components, and the same fallback threshold as the embedded engine.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import yaml

from nlu.data import TrainingData
from nlu.domain import ENTITIES

RASA_VERSION = "3.6.21"
FALLBACK_AMBIGUITY = 0.1  # Rasa's default


def rasa_config(threshold: float, epochs: int = 100) -> dict[str, Any]:
    return {
        "recipe": "default.v1",
        "assistant_id": "guichet",
        # The tokenizer and featurizers below are language-agnostic: one model serves both.
        "language": "en",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "RegexFeaturizer"},
            {"name": "LexicalSyntacticFeaturizer"},
            {"name": "CountVectorsFeaturizer"},
            {
                "name": "CountVectorsFeaturizer",
                "analyzer": "char_wb",
                "min_ngram": 1,
                "max_ngram": 4,
            },
            {"name": "DIETClassifier", "epochs": epochs, "constrain_similarities": True},
            {"name": "RegexEntityExtractor", "use_lookup_tables": False, "use_regexes": True},
            {"name": "EntitySynonymMapper"},
            {
                "name": "FallbackClassifier",
                "threshold": threshold,
                "ambiguity_threshold": FALLBACK_AMBIGUITY,
            },
        ],
        "policies": [{"name": "RulePolicy"}],
    }


def rasa_domain(data: TrainingData) -> dict[str, Any]:
    return {
        "version": "3.1",
        "intents": data.intents,
        "entities": sorted(ENTITIES),
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }


def _dump(value: dict[str, Any]) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)


def project_files(data: TrainingData, threshold: float, epochs: int = 100) -> dict[str, bytes]:
    """Relative path -> content of every file of the project."""
    files = {
        "config.yml": _dump(rasa_config(threshold, epochs)).encode(),
        "domain.yml": _dump(rasa_domain(data)).encode(),
    }
    for path in data.files:
        files[f"data/nlu/{path.parent.name}-{path.name}"] = path.read_bytes()
    return files


def project_fingerprint(files: dict[str, bytes]) -> str:
    """Changes with any file of the project or the Rasa version: the trained model's key."""
    digest = hashlib.sha256(RASA_VERSION.encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()[:16]


def export_project(data: TrainingData, target: Path, threshold: float, epochs: int = 100) -> str:
    """Write the project into `target` (its data/ is replaced); returns its fingerprint."""
    files = project_files(data, threshold, epochs)
    shutil.rmtree(target / "data", ignore_errors=True)
    for name, content in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return project_fingerprint(files)
