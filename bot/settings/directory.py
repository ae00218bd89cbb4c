"""Typed settings of the directory: `GUICHET_DIRECTORY__*` (nested in bot.settings.Settings).

`backend` names one entry of `connectors.directory.registry.DIRECTORIES`; each backend has its
own nested settings here and checks them when it is built, naming the one that is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator


class BuiltinDirectorySettings(BaseModel):
    """The demo directory of `make run`: every address of `domain` is a person."""

    domain: str = "norvane.example"
    min_password_length: int = Field(12, ge=1)
    password_history: int = Field(5, ge=0, description="refuse the last N passwords")


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
    ldap: LdapSettings = LdapSettings()
