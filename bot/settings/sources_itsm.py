"""Typed settings of the knowledge bases of the ITSM tools read as knowledge sources:
`GUICHET_KNOWLEDGE__SOURCES__SERVICENOW__*`, `…__GLPI__*`, `…__ZAMMAD__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

NO_SECRET = SecretStr("")


class ServiceNowKnowledgeSettings(BaseModel):
    """ServiceNow's published knowledge articles, through the Table API (`kb_knowledge`)."""

    base_url: str = ""  # https://INSTANCE.service-now.com
    username: str = ""
    password: SecretStr = NO_SECRET
    # sys_ids of the knowledge bases read; empty: all those the account may read.
    knowledge_bases: list[str] = Field(default_factory=list)
    page_size: int = Field(100, ge=1, le=10000)
    interval_seconds: float = Field(900.0, gt=0)


class GlpiKnowledgeSettings(BaseModel):
    """GLPI's knowledge base (`KnowbaseItem`), through its REST API (`apirest.php`)."""

    base_url: str = ""  # https://glpi.example/apirest.php
    app_token: SecretStr = NO_SECRET
    user_token: SecretStr = NO_SECRET
    # Articles shown to these profiles (GLPI's simplified interface) are for everyone.
    public_profiles: list[str] = Field(default_factory=lambda: ["Self-Service"])
    page_size: int = Field(50, ge=1, le=1000)
    interval_seconds: float = Field(900.0, gt=0)


class ZammadKnowledgeSettings(BaseModel):
    """Zammad's knowledge base answers, through its REST API (`/api/v1/knowledge_bases`)."""

    base_url: str = ""
    token: SecretStr = NO_SECRET  # an access token with knowledge_base.editor
    interval_seconds: float = Field(900.0, gt=0)
