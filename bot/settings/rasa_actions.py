"""Settings of the Rasa action server (`GUICHET_RASA_ACTIONS__*`)."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr


class RasaActionSettings(BaseModel):
    # What Rasa sends as `?token=` when endpoints.yml gives the action endpoint a `token`;
    # when set, /webhook refuses calls without it. Empty: open in development, closed otherwise.
    token: SecretStr = SecretStr("")
