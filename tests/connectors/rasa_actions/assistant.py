"""A small Rasa 3.6 assistant whose custom actions are Guichet's, trained once per content.

Its domain is Guichet's (`actions_domain`) beside a few intents of its own; its NLU is
keyword-based (no TensorFlow training, a few seconds) and its rules start Guichet's actions.
The model is cached under `var/test-cache/rasa-actions/models/<fingerprint>.tar.gz`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from nlu.rasa_project import project_fingerprint
from nlu.rasa_runtime import RasaFailed, RasaWorkspace, ensure_rasa_venv, rasa_environment

CONFIG = {
    "recipe": "default.v1",
    "assistant_id": "guichet-actions-test",
    "language": "en",
    "pipeline": [{"name": "KeywordIntentClassifier"}],
    "policies": [{"name": "RulePolicy"}],
}
INTENTS = {
    "open_incident": ["open a ticket", "create a ticket", "log an incident"],
    "incident_status": ["where is my ticket", "status of my tickets", "my tickets"],
    "affirm": ["yes", "sure", "oui"],
    "deny": ["no", "non", "nope"],
    "inform": ["it is", "the value is"],
}
RULES = [
    {
        "rule": "open a ticket",
        "steps": [{"intent": "open_incident"}, {"action": "action_create_ticket"}],
    },
    {
        "rule": "submit the ticket form",
        "condition": [{"active_loop": "create_ticket_form"}],
        "steps": [
            {"action": "create_ticket_form"},
            {"active_loop": None},
            {"slot_was_set": [{"requested_slot": None}]},
            {"action": "action_create_ticket"},
        ],
    },
    {
        "rule": "where is my ticket",
        "steps": [{"intent": "incident_status"}, {"action": "action_ticket_status"}],
    },
]


def _dump(value: Any) -> bytes:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True).encode()


def project_files(guichet_domain: dict[str, Any]) -> dict[str, bytes]:
    own = {
        "version": "3.1",
        "intents": sorted(set(INTENTS) - set(guichet_domain["intents"])),
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }
    nlu = [
        {"intent": name, "examples": "".join(f"- {text}\n" for text in examples)}
        for name, examples in INTENTS.items()
    ]
    return {
        "config.yml": _dump(CONFIG),
        "domain/guichet.yml": _dump(guichet_domain),
        "domain/assistant.yml": _dump(own),
        "data/nlu.yml": _dump({"version": "3.1", "nlu": nlu}),
        "data/rules.yml": _dump({"version": "3.1", "rules": RULES}),
    }


def train(files: dict[str, bytes], workspace: RasaWorkspace) -> Path:
    """The model of this project: trained unless one for the same content exists."""
    fingerprint = project_fingerprint(files)
    model = workspace.model_for(fingerprint)
    if model.exists():
        return model
    for name, content in files.items():
        path = workspace.project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    log = workspace.log("train")
    with log.open("wb") as output:
        completed = subprocess.run(
            [
                str(ensure_rasa_venv()),
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain",
                "--data",
                "data",
                "--out",
                str(workspace.models.resolve()),
                "--fixed-model-name",
                fingerprint,
            ],
            cwd=workspace.project,
            env=rasa_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if completed.returncode != 0 or not model.exists():
        raise RasaFailed(step="train", code=completed.returncode, log=log)
    return model
