"""Typed settings of the knowledge sources: `GUICHET_KNOWLEDGE__SOURCES__*`.

The folder (`GUICHET_KNOWLEDGE__KB_DIR`) is always a source; the others are read when listed
in `enabled`. Each is synced every `interval_seconds` by the service's background worker, and
on demand with `guichet index sync SOURCE`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from bot.settings.sources_itsm import (
    GlpiKnowledgeSettings,
    ServiceNowKnowledgeSettings,
    ZammadKnowledgeSettings,
)

NO_SECRET = SecretStr("")


class FolderSourceSettings(BaseModel):
    """The knowledge-base folder itself (`GUICHET_KNOWLEDGE__KB_DIR`)."""

    interval_seconds: float = Field(300.0, gt=0)


class RequestTrackerArticlesSettings(BaseModel):
    """Request Tracker 5's articles, through REST2 (`{base_url}/REST/2.0/articles`)."""

    base_url: str = ""
    username: str = "root"
    password: SecretStr = NO_SECRET
    token: SecretStr = NO_SECRET  # an RT auth token; used instead of the password when set
    # The article classes read; their articles' body is the custom field `body_field`.
    classes: list[str] = Field(default_factory=lambda: ["General"])
    body_field: str = "Content"
    # Groups (of the directory) allowed to read a class's articles; a class not listed here is
    # for everyone. RT's own rights are not read: REST2 does not expose them.
    class_groups: dict[str, list[str]] = Field(default_factory=dict)
    # Where people open an article: RT's web address; empty: base_url.
    web_url: str = ""
    interval_seconds: float = Field(900.0, gt=0)


class ConfluenceSourceSettings(BaseModel):
    """Confluence's pages, through its REST API (`{base_url}/rest/api/content`).

    `base_url` is the wiki's address: `https://your-site.atlassian.net/wiki` on Cloud (sign in
    with `email` and an API token), the server's root on Data Center (a personal access token).
    """

    base_url: str = ""
    email: str = ""
    api_token: SecretStr = NO_SECRET  # Cloud: with `email`, HTTP basic
    personal_access_token: SecretStr = NO_SECRET  # Data Center: a bearer token instead
    spaces: list[str] = Field(default_factory=list)  # space keys
    interval_seconds: float = Field(900.0, gt=0)


class SharePointSourceSettings(BaseModel):
    """SharePoint Online site pages, through Microsoft Graph, as an Entra ID application with
    the `Sites.Read.All` application permission (client credentials)."""

    tenant_id: str = ""
    client_id: str = ""
    client_secret: SecretStr = NO_SECRET
    # The site: its Graph id (`contoso.sharepoint.com,{site guid},{web guid}`), or
    # `contoso.sharepoint.com:/sites/helpdesk` (looked up once per sync).
    site: str = ""
    # Directory groups allowed to read the site's pages (Graph does not expose a page's own
    # permissions); empty: everyone.
    groups: list[str] = Field(default_factory=list)
    login_url: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com"
    interval_seconds: float = Field(900.0, gt=0)


class SourceSettings(BaseModel):
    # Sources read besides the folder, by name: "request_tracker", "servicenow", "glpi",
    # "zammad", "confluence", "sharepoint".
    enabled: list[str] = Field(default_factory=list)
    # Sync each enabled source on its interval in the service (one process is enough: the
    # others pick the new index version up).
    run_scheduler: bool = True
    timeout_seconds: float = Field(30.0, gt=0)
    folder: FolderSourceSettings = FolderSourceSettings()
    request_tracker: RequestTrackerArticlesSettings = RequestTrackerArticlesSettings()
    servicenow: ServiceNowKnowledgeSettings = ServiceNowKnowledgeSettings()
    glpi: GlpiKnowledgeSettings = GlpiKnowledgeSettings()
    zammad: ZammadKnowledgeSettings = ZammadKnowledgeSettings()
    confluence: ConfluenceSourceSettings = ConfluenceSourceSettings()
    sharepoint: SharePointSourceSettings = SharePointSourceSettings()
