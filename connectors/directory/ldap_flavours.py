"""What OpenLDAP and Active Directory call things: attributes, object classes, how an account
is locked or disabled. `LdapSettings.attributes` overrides any of the attribute lists."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings.directory import LdapAttributes, LdapFlavour, LdapSettings

# ppolicy's value for an account locked by an administrator rather than by failed binds.
OPENLDAP_ADMIN_LOCK = "000001010000Z"
AD_ACCOUNTDISABLE = 0x2  # userAccountControl bit


@dataclass(frozen=True)
class Flavour:
    name: LdapFlavour
    attributes: LdapAttributes
    people_filter: str
    group_object_class: str
    state_attributes: tuple[str, ...]  # read to tell locked / disabled


OPENLDAP = Flavour(
    name="openldap",
    attributes=LdapAttributes(
        email=["mail"],
        name=["displayName", "cn"],
        language=["preferredLanguage"],
        department=["departmentNumber", "ou"],
        site=["l"],
        manager=["manager"],
        groups=["memberOf"],
        mobile=["mobile"],
        phone=["telephoneNumber"],
        personal_email=["otherMailbox"],
    ),
    people_filter="(objectClass=inetOrgPerson)",
    group_object_class="groupOfNames",
    state_attributes=("pwdAccountLockedTime",),
)
ACTIVE_DIRECTORY = Flavour(
    name="active_directory",
    attributes=LdapAttributes(
        email=["mail", "userPrincipalName"],
        name=["displayName", "cn"],
        language=["preferredLanguage"],
        department=["department"],
        site=["physicalDeliveryOfficeName", "l"],
        manager=["manager"],
        groups=["memberOf"],
        mobile=["mobile"],
        phone=["telephoneNumber"],
        personal_email=["otherMailbox"],
    ),
    people_filter="(&(objectClass=user)(!(objectClass=computer)))",
    group_object_class="group",
    state_attributes=("lockoutTime", "userAccountControl"),
)
FLAVOURS: dict[LdapFlavour, Flavour] = {"openldap": OPENLDAP, "active_directory": ACTIVE_DIRECTORY}


@dataclass(frozen=True)
class Mapping:
    """The attribute lists in force: the settings' where given, else the flavour's."""

    email: tuple[str, ...]
    name: tuple[str, ...]
    language: tuple[str, ...]
    department: tuple[str, ...]
    site: tuple[str, ...]
    manager: tuple[str, ...]
    groups: tuple[str, ...]
    mobile: tuple[str, ...]
    phone: tuple[str, ...]
    personal_email: tuple[str, ...]

    def all(self) -> list[str]:
        names: list[str] = []
        for field in self.__dataclass_fields__:
            names.extend(getattr(self, field))
        return list(dict.fromkeys(names))


def mapping(settings: LdapSettings) -> Mapping:
    defaults = FLAVOURS[settings.flavour].attributes
    chosen = {
        field: tuple(getattr(settings.attributes, field) or getattr(defaults, field) or ())
        for field in LdapAttributes.model_fields
    }
    return Mapping(**chosen)
