"""Typed settings of the ITSM backends: `GUICHET_ITSM__*` (nested in bot.settings.Settings).

Credentials are `SecretStr`: set them in the environment, e.g.
`GUICHET_ITSM__SERVICENOW__PASSWORD`. A backend checks its own settings when it is built and
names the missing one.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from bot.kernel.errors import SettingsInvalid
from bot.kernel.tickets import Status

NO_SECRET = SecretStr("")
# The status names of Jira Service Management's default IT service workflow.
JSM_DEFAULT_STATUSES: dict[Status, str] = {
    "new": "Waiting for support",
    "assigned": "Waiting for support",
    "in_progress": "In Progress",
    "awaiting_information": "Waiting for customer",
    "pending": "Pending",
    "resolved": "Resolved",
    "closed": "Closed",
    "rejected": "Canceled",
    "reopened": "Waiting for support",
}


class RequestTrackerSettings(BaseModel):
    """Request Tracker 5, REST2 (`{base_url}/REST/2.0/`); basic auth or an auth token."""

    base_url: str = "http://127.0.0.1:8099"
    username: str = "root"
    password: SecretStr = NO_SECRET
    token: SecretStr = NO_SECRET  # RT auth token; used instead of the password when set
    queue: str = "General"
    # Log in once through the web login and reuse RT's session cookie: RT checks a password
    # with bcrypt on every basic-auth request (~200 ms each); with the cookie ~15 ms.
    web_session: bool = True
    # RT's own address ($WebBaseURL), sent as Origin with the session cookie: RT refuses a
    # cookie-authenticated write from any other origin. Empty: the origin of base_url; set it
    # when Guichet reaches RT through another address (a proxy, an internal name).
    web_origin: str = ""


class ServiceNowSettings(BaseModel):
    """ServiceNow Table API (`{base_url}/api/now/table/incident`), basic auth."""

    base_url: str = ""
    username: str = ""
    password: SecretStr = NO_SECRET
    assignment_group: str = ""  # sys_id of the group new incidents go to; empty: none
    # ServiceNow incidents and requests live in different tables; Guichet files both as incidents.


class JiraServiceManagementSettings(BaseModel):
    """Jira Service Management: servicedeskapi requests, platform API for transitions and JQL."""

    base_url: str = ""
    email: str = ""
    api_token: SecretStr = NO_SECRET
    project_key: str = ""
    service_desk_id: str = ""
    incident_request_type_id: str = ""
    service_request_type_id: str = ""  # empty: requests use the incident request type
    timezone: str = "UTC"  # the API user's timezone in Jira: JQL dates are read in it
    # Guichet status → the workflow's status name.
    statuses: dict[Status, str] = Field(default_factory=lambda: dict(JSM_DEFAULT_STATUSES))


class GlpiSettings(BaseModel):
    """GLPI REST API (`{base_url}` ends with `apirest.php`): App-Token + user token."""

    base_url: str = ""
    app_token: SecretStr = NO_SECRET
    user_token: SecretStr = NO_SECRET
    timezone: str = "UTC"  # GLPI's own timezone: it writes dates in it, without an offset


class ZammadSettings(BaseModel):
    """Zammad REST API (`{base_url}/api/v1`), token auth."""

    base_url: str = ""
    token: SecretStr = NO_SECRET
    group: str = "Users"
    # A ticket object attribute (Admin → Objects) holding Guichet's reference.
    reference_attribute: str = "guichet_reference"


class ItsmSettings(BaseModel):
    """How to reach each ITSM tool; which ones tickets are synced with is
    `GUICHET_TICKETS__SYNC_BACKENDS` (a JSON list, e.g. '["request_tracker"]')."""

    timeout_seconds: float = Field(10.0, gt=0, le=300)  # every HTTP call, connect to last byte
    request_tracker: RequestTrackerSettings = RequestTrackerSettings()
    servicenow: ServiceNowSettings = ServiceNowSettings()
    jira_service_management: JiraServiceManagementSettings = JiraServiceManagementSettings()
    glpi: GlpiSettings = GlpiSettings()
    zammad: ZammadSettings = ZammadSettings()


def require(value: str, setting: str) -> str:
    """The value of a setting a backend cannot work without, or SettingsInvalid naming it."""
    if not value:
        raise SettingsInvalid(
            setting=f"GUICHET_ITSM__{setting.upper()}", problem="is empty", expected="a value"
        )
    return value
