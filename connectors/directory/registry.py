"""The registry of directory backends, chosen by `GUICHET_DIRECTORY__BACKEND`.

A factory builds one backend from the directory settings; it checks the backend's own settings
and names the missing one.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.kernel.directory import Directory
from bot.kernel.registry import Registry
from bot.settings.directory import DirectorySettings
from connectors.directory.builtin import BuiltinDirectory
from connectors.directory.entra import EntraDirectory
from connectors.directory.keycloak import KeycloakDirectory
from connectors.directory.ldap import LdapDirectory

DirectoryFactory = Callable[[DirectorySettings], Directory]
DIRECTORIES: Registry[DirectoryFactory] = Registry("directory backend")


def build_directory(settings: DirectorySettings) -> Directory:
    return DIRECTORIES.get(settings.backend)(settings)


DIRECTORIES.register("builtin", lambda settings: BuiltinDirectory(settings.builtin))
DIRECTORIES.register("entra", lambda settings: EntraDirectory(settings.entra))
DIRECTORIES.register("keycloak", lambda settings: KeycloakDirectory(settings.keycloak))
DIRECTORIES.register("ldap", lambda settings: LdapDirectory(settings.ldap))
