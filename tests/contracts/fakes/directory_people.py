"""The people every directory of the contract tests holds: the demo directory's named people
(`connectors.directory.builtin`), so that one suite asks all of them the same questions."""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN = "norvane.example"


@dataclass(frozen=True)
class Seed:
    local: str
    first: str
    last: str
    locale: str
    department: str
    site: str
    manager: str | None
    mobile: str
    groups: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return f"{self.local}@{DOMAIN}"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


PEOPLE = (
    Seed("claire.martin", "Claire", "Martin", "fr-FR", "Finance", "Lyon", "paul.bernard",
         "+33 6 12 00 00 11", ("finance-approvers",)),
    Seed("paul.bernard", "Paul", "Bernard", "fr-FR", "Direction", "Paris", None,
         "+33 6 12 00 00 12"),
    Seed("sam.taylor", "Sam", "Taylor", "en-GB", "IT", "London", "paul.bernard",
         "+44 7700 900123", ("service-desk", "vpn-users", "all-staff")),
    Seed("marie.dupont", "Marie", "Dupont", "fr-FR", "Sales", "Lyon", "claire.martin",
         "+33 6 12 34 56 78", ("all-staff",)),
    Seed("john.smith", "John", "Smith", "en-GB", "Sales", "London", "claire.martin",
         "+44 7700 900456", ("all-staff",)),
)  # fmt: skip
GROUPS = ("service-desk", "vpn-users", "all-staff", "finance-approvers", "laptop-admins")
