"""Settings of the Rasa action server (`GUICHET_RASA_ACTIONS__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class RasaActionSettings(BaseModel):
    token: SecretStr = Field(
        SecretStr(""),
        description="what Rasa sends as `?token=` (the `token` of endpoints.yml's "
        "action_endpoint); /webhook refuses calls without it. Empty: in development, one is "
        "generated and kept in GUICHET_DATA_DIR/rasa_actions_token (`guichet rasa "
        "action-token` prints it); in any other environment the action server is closed",
    )
