"""Typed settings of the directory: `GUICHET_DIRECTORY__*` (nested in bot.settings.Settings).

`backend` names one entry of `connectors.directory.registry.DIRECTORIES`; each backend has its
own nested settings here and checks them when it is built, naming the one that is missing.
Secrets are `SecretStr`, from the environment: `GUICHET_DIRECTORY__ENTRA__CLIENT_SECRET`...
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from bot.kernel.errors import SettingsInvalid

NO_SECRET = SecretStr("")


class BuiltinDirectorySettings(BaseModel):
    """The demo directory of `make run`: every address of `domain` is a person."""

    domain: str = "norvane.example"
    min_password_length: int = Field(12, ge=1)
    password_history: int = Field(5, ge=0, description="refuse the last N passwords")


class DirectoryHttpSettings(BaseModel):
    """How an HTTP directory (Entra ID, Keycloak) is called."""

    timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="every HTTP call, connect to last byte"
    )
    max_retry_wait_seconds: float = Field(
        5.0,
        ge=0,
        le=60,
        description="on 429/503, wait what `Retry-After` asks and try again when it is at most "
        "this long; longer: the directory is reported unavailable",
    )
    retries: int = Field(2, ge=0, le=5, description="retries after a 429/502/503/504")


class EntraSettings(DirectoryHttpSettings):
    """Microsoft Entra ID through Microsoft Graph, as an application (client credentials).

    The app registration needs the application permissions User.Read.All, GroupMember.ReadWrite.All,
    UserAuthenticationMethod.Read.All and User-PasswordProfile.ReadWrite.All (admin consent)."""

    tenant_id: str = Field("", description="the directory (tenant) ID or a verified domain")
    client_id: str = Field("", description="the application (client) ID of the app registration")
    client_secret: SecretStr = Field(NO_SECRET, description="a client secret of that app")
    login_url: str = Field(
        "https://login.microsoftonline.com", description="the identity platform (national clouds)"
    )
    graph_url: str = Field("https://graph.microsoft.com", description="Microsoft Graph")


class KeycloakSettings(DirectoryHttpSettings):
    """Keycloak's admin REST API (`{base_url}/admin/realms/{realm}`).

    Either a confidential client with a service account (client credentials; give it the
    realm-management roles view-users, manage-users, query-groups) or an admin user (password
    grant, with `username` and `password`)."""

    base_url: str = Field(
        "", description="Keycloak's address, with `/auth` for Keycloak 16 and older"
    )
    realm: str = Field("", description="the realm employees are in")
    auth_realm: str = Field("", description="the realm Guichet signs in to; empty: `realm`")
    client_id: str = "admin-cli"
    client_secret: SecretStr = NO_SECRET
    username: str = Field("", description="an admin user: password grant instead of the client's")
    password: SecretStr = NO_SECRET
    department_attribute: str = "department"
    site_attribute: str = "site"
    manager_attribute: str = Field(
        "manager", description="user attribute holding the manager's e-mail or username"
    )
    phone_attribute: str = Field(
        "phoneNumber", description="user attribute holding a mobile number (E.164)"
    )


LdapFlavour = Literal["openldap", "active_directory"]


class LdapAttributes(BaseModel):
    """Which LDAP attributes hold what, each a list tried in order; unset: the flavour's default
    (`connectors.directory.ldap_schema`). Lists are JSON in the environment:
    `GUICHET_DIRECTORY__LDAP__ATTRIBUTES__SITE='["physicalDeliveryOfficeName"]'`."""

    email: list[str] | None = None  # looked up (any of them) and shown as the work address
    name: list[str] | None = None
    language: list[str] | None = None
    department: list[str] | None = None
    site: list[str] | None = None
    manager: list[str] | None = None  # a DN, resolved to the manager's e-mail
    groups: list[str] | None = None  # DNs of the person's groups (memberOf)
    mobile: list[str] | None = None  # codes by SMS and voice call
    phone: list[str] | None = None  # codes by voice call
    personal_email: list[str] | None = None  # codes by e-mail (not the work mailbox)


class LdapSettings(BaseModel):
    """OpenLDAP or Active Directory over LDAP. Always over TLS: `ldap://` URLs use StartTLS,
    `ldaps://` TLS from the start; the server certificate is checked against `ca_file` (or the
    system's CAs) and the host name."""

    flavour: LdapFlavour = "openldap"
    urls: list[str] = Field(default_factory=list, description="tried in order (a server pool)")
    ca_file: Path | None = None
    bind_dn: str = ""
    bind_password: SecretStr = SecretStr("")
    people_base: str = ""
    groups_base: str = ""  # empty: people_base
    # Extra conditions on people and groups; unset: the flavour's default object classes.
    people_filter: str | None = None
    group_object_class: str | None = None
    group_name_attribute: str = "cn"
    # Where a person's groups come from: their memberOf attribute (AD, OpenLDAP's memberof
    # overlay) or a search of the groups whose `member` is the person.
    groups_from: Literal["memberOf", "member"] = "memberOf"
    attributes: LdapAttributes = LdapAttributes()
    timeout_seconds: float = Field(10.0, gt=0)

    @field_validator("urls")
    @classmethod
    def _tls_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.lower().startswith(("ldap://", "ldaps://")):
                raise ValueError(
                    "LDAP URLs such as 'ldaps://dc1.corp.example' or 'ldap://ldap.example' "
                    f"(StartTLS); got {url!r}"
                )
        return urls


class DirectorySettings(BaseModel):
    backend: str = "builtin"
    builtin: BuiltinDirectorySettings = BuiltinDirectorySettings()
    entra: EntraSettings = EntraSettings()
    keycloak: KeycloakSettings = KeycloakSettings()
    ldap: LdapSettings = LdapSettings()


def require(value: str, setting: str) -> str:
    """The value of a setting a backend cannot work without, or SettingsInvalid naming it."""
    if not value:
        raise SettingsInvalid(
            setting=f"GUICHET_DIRECTORY__{setting.upper()}", problem="is empty", expected="a value"
        )
    return value
