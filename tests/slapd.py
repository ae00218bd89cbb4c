"""A real OpenLDAP slapd for tests (Debian's `slapd`, installed by scripts/slapd.sh).

Started as a plain process on a free port of 127.0.0.1 from a temporary slapd.conf, with StartTLS
(a CA and a server certificate made here), and two databases:

- `dc=norvane,dc=test`, OpenLDAP as usually run: inetOrgPerson people, groupOfNames groups, the
  memberof overlay, and the ppolicy overlay (minimum length 12, history 3, lockout after 3
  failed binds, a stricter policy with a minimum age for one person);
- `dc=ad,dc=test`, Active Directory's attribute names on a small schema made here (`user` and
  `group`, `unicodePwd`, `lockoutTime`, `userAccountControl`, `department`, with AD's OIDs):
  what Guichet reads and writes there, not AD's own behaviour (its policy, its lockout).
"""

from __future__ import annotations

import datetime
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.contracts.fakes.directory_people import GROUPS, PEOPLE
from tests.contracts.fakes.server import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "slapd.sh"
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
LDAPADD = shutil.which("ldapadd") or "/usr/bin/ldapadd"

BASE = "dc=norvane,dc=test"
AD_BASE = "dc=ad,dc=test"
ROOT_DN, AD_ROOT_DN, ROOT_PASSWORD = f"cn=admin,{BASE}", f"cn=admin,{AD_BASE}", "slapd-root-secret"
SERVICE_DN = f"cn=guichet,ou=services,{BASE}"
AD_SERVICE_DN = f"cn=guichet,cn=Users,{AD_BASE}"
SERVICE_PASSWORD = "guichet-service-secret"
# The directory contract's people (tests/contracts/fakes/directory_people.py), in a third database.
CONTRACT_BASE = "dc=norvane,dc=example"
CONTRACT_ROOT_DN = f"cn=admin,{CONTRACT_BASE}"
CONTRACT_SERVICE_DN = f"cn=guichet,ou=services,{CONTRACT_BASE}"
PASSWORD = "Initial-password-2024"  # every seeded person's password


def people_dn(uid: str) -> str:
    return f"uid={uid},ou=people,{BASE}"


def ad_dn(name: str) -> str:
    return f"cn={name},cn=Users,{AD_BASE}"


AD_SCHEMA = """
attributetype ( 1.2.840.113556.1.4.90 NAME 'unicodePwd'
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.662 NAME 'lockoutTime'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.141 NAME 'department'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP inetOrgPerson STRUCTURAL
  MAY ( unicodePwd $ lockoutTime $ userAccountControl $ userPrincipalName $ department $
        sAMAccountName $ otherMailbox ) )
objectclass ( 1.2.840.113556.1.5.30 NAME 'computer' SUP user STRUCTURAL )
objectclass ( 1.2.840.113556.1.5.8 NAME 'group' SUP top STRUCTURAL
  MUST cn MAY ( member $ description $ mail $ sAMAccountName ) )
objectclass ( 1.3.6.1.4.1.4203.666.11.99.1 NAME 'guichetTestPerson' AUXILIARY
  DESC 'a personal e-mail for one-time codes (tests only)' MAY otherMailbox )
"""


def _openldap_database(run: Path, folder: str, base: str, root_dn: str, service_dn: str) -> str:
    """An OpenLDAP tree with ppolicy and memberOf; `service_dn` is Guichet's account in it."""
    return f"""
database mdb
suffix "{base}"
rootdn "{root_dn}"
rootpw {ROOT_PASSWORD}
directory {run}/{folder}
maxsize 16777216
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint true
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{base}"
ppolicy_hash_cleartext
access to attrs=userPassword
  by dn.exact="{service_dn}" write
  by self write
  by anonymous auth
  by * none
access to attrs=pwdAccountLockedTime,pwdFailureTime
  by dn.exact="{service_dn}" manage
  by * read
access to *
  by dn.exact="{service_dn}" write
  by users read
  by * none
"""


def _config(run: Path) -> str:
    norvane = _openldap_database(run, "norvane", BASE, ROOT_DN, SERVICE_DN)
    contract = _openldap_database(
        run, "contract", CONTRACT_BASE, CONTRACT_ROOT_DN, CONTRACT_SERVICE_DN
    )
    return f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {run}/ad-test.schema
modulepath /usr/lib/ldap
moduleload back_mdb.la
moduleload ppolicy.la
moduleload memberof.la
pidfile {run}/slapd.pid
argsfile {run}/slapd.args
TLSCACertificateFile {run}/ca.pem
TLSCertificateFile {run}/server.pem
TLSCertificateKeyFile {run}/server.key
password-hash {{SSHA}}
{norvane}
database mdb
suffix "{AD_BASE}"
rootdn "{AD_ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {run}/ad
maxsize 16777216
overlay memberof
memberof-group-oc group
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint true
access to attrs=unicodePwd,userPassword
  by dn.exact="{AD_SERVICE_DN}" write
  by anonymous auth
  by * none
access to *
  by dn.exact="{AD_SERVICE_DN}" write
  by users read
  by * none
{contract}"""


def _person(
    uid: str,
    name: str,
    *,
    language: str,
    department: str,
    site: str,
    manager: str | None = None,
    mobile: str | None = None,
    personal: str | None = None,
    extra: str = "",
) -> str:
    given, _, family = name.partition(" ")
    lines = [
        f"dn: {people_dn(uid)}",
        "objectClass: inetOrgPerson",
        "objectClass: guichetTestPerson",
        f"uid: {uid}",
        f"cn: {name}",
        f"sn: {family or given}",
        f"givenName: {given}",
        f"displayName: {name}",
        f"mail: {uid}@norvane.test",
        f"preferredLanguage: {language}",
        f"departmentNumber: {department}",
        f"l: {site}",
        f"userPassword: {PASSWORD}",
    ]
    if manager:
        lines.append(f"manager: {people_dn(manager)}")
    if mobile:
        lines.append(f"mobile: {mobile}")
    if personal:
        lines.append(f"otherMailbox: {personal}")
    return "\n".join(lines) + (f"\n{extra.strip()}" if extra.strip() else "") + "\n"


def _group(name: str, *members: str) -> str:
    lines = [f"dn: cn={name},ou=groups,{BASE}", "objectClass: groupOfNames", f"cn: {name}"]
    lines += [f"member: {people_dn(uid)}" for uid in members]
    return "\n".join(lines) + "\n"


def _seed() -> str:
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: norvane\no: Norvane\n",
        *(
            f"dn: ou={ou},{BASE}\nobjectClass: organizationalUnit\nou: {ou}\n"
            for ou in ("people", "groups", "services", "policies")
        ),
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: guichet\nuserPassword: {SERVICE_PASSWORD}\n",
        f"dn: cn=default,ou=policies,{BASE}\nobjectClass: organizationalRole\n"
        "objectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\npwdMinLength: 12\n"
        "pwdCheckQuality: 2\npwdInHistory: 3\npwdLockout: TRUE\npwdMaxFailure: 3\n"
        "pwdLockoutDuration: 0\npwdAllowUserChange: TRUE\n",
        f"dn: cn=slow,ou=policies,{BASE}\nobjectClass: organizationalRole\n"
        "objectClass: pwdPolicy\ncn: slow\npwdAttribute: userPassword\npwdMinLength: 12\n"
        "pwdCheckQuality: 2\npwdMinAge: 86400\n",
        _person(
            "paul.bernard",
            "Paul Bernard",
            language="fr",
            department="Direction",
            site="Paris",
            mobile="+33 6 11 22 33 44",
        ),
        _person(
            "claire.martin",
            "Claire Martin",
            language="fr-FR",
            department="Finance",
            site="Lyon",
            manager="paul.bernard",
            mobile="+33 (0)6 12 34 56 78",
            personal="claire.perso@example.org",
            extra="telephoneNumber: +33 4 72 00 00 01",
        ),
        _person(
            "sam.taylor",
            "Sam Taylor",
            language="en-GB",
            department="IT",
            site="London",
            manager="paul.bernard",
            mobile="0044 7700 900123",
        ),
        _person(
            "marie.dupont",
            "Marie Dupont",
            language="fr",
            department="Sales",
            site="Lyon",
            manager="claire.martin",
        ),
        _person(
            "john.smith",
            "John Smith",
            language="en",
            department="Sales",
            site="London",
            manager="claire.martin",
        ),
        _person(
            "lea.rousseau",
            "Léa Rousseau",
            language="fr",
            department="Sales",
            site="Lyon",
            manager="claire.martin",
        ),
        _person(
            "tom.baker",
            "Tom Baker",
            language="en",
            department="IT",
            site="London",
            manager="sam.taylor",
        ),
        _person(
            "hugo.leroy",
            "Hugo Leroy",
            language="fr",
            department="IT",
            site="Paris",
            manager="sam.taylor",
            extra=f"pwdPolicySubentry: cn=slow,ou=policies,{BASE}",
        ),
        _person(
            "nina.petit",
            "Nina Petit",
            language="fr",
            department="Finance",
            site="Lyon",
            manager="claire.martin",
            extra="pwdAccountLockedTime: 20240102030405Z",
        ),
        _person(
            "olga.ivanova",
            "Olga Ivanova",
            language="ru",
            department="Finance",
            site="Lyon",
            manager="claire.martin",
            extra="pwdAccountLockedTime: 000001010000Z",
        ),
        _group("service-desk", "sam.taylor", "tom.baker"),
        _group("approvers-finance", "claire.martin", "paul.bernard"),
        _group("vpn-users", "paul.bernard"),
    ]
    return "\n".join(entries)


def _ad_user(name: str, display: str, **attributes: str) -> str:
    given, _, family = display.partition(" ")
    lines = [
        f"dn: {ad_dn(name)}",
        "objectClass: user",
        f"cn: {name}",
        f"sn: {family or given}",
        f"displayName: {display}",
        f"sAMAccountName: {name}",
        f"userPrincipalName: {name}@ad.norvane.test",
        f"userPassword: {PASSWORD}",
    ]
    lines += [f"{key}: {value}" for key, value in attributes.items()]
    return "\n".join(lines) + "\n"


def _ad_seed() -> str:
    return "\n".join(
        [
            f"dn: {AD_BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: ad\no: AD\n",
            f"dn: cn=Users,{AD_BASE}\nobjectClass: organizationalRole\ncn: Users\n",
            f"dn: {AD_SERVICE_DN}\nobjectClass: organizationalRole\n"
            f"objectClass: simpleSecurityObject\ncn: guichet\nuserPassword: {SERVICE_PASSWORD}\n",
            _ad_user(
                "amelie.roux",
                "Amélie Roux",
                mail="amelie.roux@norvane.test",
                preferredLanguage="fr-FR",
                department="Finance",
                physicalDeliveryOfficeName="Lyon 3e",
                mobile="+33 6 98 76 54 32",
                userAccountControl="512",
                lockoutTime="0",
                otherMailbox="amelie@example.org",
            ),
            _ad_user(
                "ben.cole",
                "Ben Cole",
                preferredLanguage="en-US",
                department="IT",
                physicalDeliveryOfficeName="London",
                manager=ad_dn("amelie.roux"),
                userAccountControl="512",
                lockoutTime="133497036000000000",
            ),
            _ad_user(
                "carl.dent",
                "Carl Dent",
                mail="carl.dent@norvane.test",
                preferredLanguage="en",
                department="IT",
                physicalDeliveryOfficeName="London",
                userAccountControl="514",
            ),
            f"dn: cn=Help Desk,cn=Users,{AD_BASE}\nobjectClass: group\ncn: Help Desk\n"
            f"member: {ad_dn('ben.cole')}\n",
        ]
    )


def contract_dn(local: str) -> str:
    return f"uid={local},ou=people,{CONTRACT_BASE}"


def _contract_seed() -> str:
    """The directory contract's people and groups, as an OpenLDAP directory holds them."""
    entries = [
        f"dn: {CONTRACT_BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: norvane\n"
        "o: Norvane\n",
        *(
            f"dn: ou={ou},{CONTRACT_BASE}\nobjectClass: organizationalUnit\nou: {ou}\n"
            for ou in ("people", "groups", "services", "policies")
        ),
        f"dn: {CONTRACT_SERVICE_DN}\nobjectClass: organizationalRole\n"
        f"objectClass: simpleSecurityObject\ncn: guichet\nuserPassword: {SERVICE_PASSWORD}\n",
        f"dn: cn=default,ou=policies,{CONTRACT_BASE}\nobjectClass: organizationalRole\n"
        "objectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\npwdMinLength: 12\n"
        "pwdCheckQuality: 2\npwdInHistory: 3\npwdLockout: TRUE\npwdMaxFailure: 3\n"
        "pwdLockoutDuration: 0\npwdAllowUserChange: TRUE\n",
    ]
    for seed in PEOPLE:
        lines = [
            f"dn: {contract_dn(seed.local)}",
            "objectClass: inetOrgPerson",
            f"uid: {seed.local}",
            f"cn: {seed.name}",
            f"sn: {seed.last}",
            f"givenName: {seed.first}",
            f"displayName: {seed.name}",
            f"mail: {seed.email}",
            f"preferredLanguage: {seed.locale}",
            f"departmentNumber: {seed.department}",
            f"l: {seed.site}",
            f"mobile: {seed.mobile}",
            f"userPassword: {PASSWORD}",
        ]
        if seed.manager:
            lines.append(f"manager: {contract_dn(seed.manager)}")
        entries.append("\n".join(lines) + "\n")
    for group in GROUPS:
        members = [seed.local for seed in PEOPLE if group in seed.groups]
        if members:  # groupOfNames needs a member: an empty group is not written
            entries.append(
                "\n".join(
                    [f"dn: cn={group},ou=groups,{CONTRACT_BASE}", "objectClass: groupOfNames"]
                    + [f"cn: {group}"]
                    + [f"member: {contract_dn(local)}" for local in members]
                )
                + "\n"
            )
    return "\n".join(entries)


def _certificates(run: Path) -> None:
    """A CA, and a server certificate for 127.0.0.1 / localhost signed by it; another CA."""
    now = datetime.datetime.now(datetime.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(common))
            .issuer_name(name(common))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        return key, cert

    ca_key, ca_cert = ca("Guichet test CA")
    _, other_cert = ca("Some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (run / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (run / "other-ca.pem").write_bytes(other_cert.public_bytes(serialization.Encoding.PEM))
    (run / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (run / "server.key").write_bytes(pem(key))
    (run / "server.key").chmod(0o600)


@dataclass
class RunningSlapd:
    url: str  # ldap://127.0.0.1:PORT (StartTLS)
    port: int
    run_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def ca_file(self) -> Path:
        return self.run_dir / "ca.pem"

    @property
    def other_ca_file(self) -> Path:
        return self.run_dir / "other-ca.pem"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log(self) -> str:
        path = self.run_dir / "slapd.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def start_slapd(run: Path) -> RunningSlapd:
    """Start slapd on a free port of 127.0.0.1 and seed it; skip when slapd is not installed."""
    if not Path(SLAPD).exists() or not Path(LDAPADD).exists():
        pytest.skip(f"OpenLDAP slapd and ldap-utils are not installed: run {SCRIPT} install")
    (run / "norvane").mkdir()
    (run / "ad").mkdir()
    (run / "contract").mkdir()
    (run / "ad-test.schema").write_text(AD_SCHEMA)
    _certificates(run)
    (run / "slapd.conf").write_text(_config(run))
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    with (run / "slapd.log").open("wb") as log:
        # -d 0: stay in the foreground (a child of the test run) without debug output
        process = subprocess.Popen(
            # 127.0.0.2 as well: a name the certificate does not carry
            [
                SLAPD,
                "-f",
                str(run / "slapd.conf"),
                "-h",
                f"{url}/ ldap://127.0.0.2:{port}/",
                "-d",
                "0",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = RunningSlapd(url, port, run, process)
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            pytest.fail(f"slapd exited ({process.returncode}): {running.log()}", pytrace=False)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                running.stop()
                pytest.fail(f"slapd did not listen within 20 s: {running.log()}", pytrace=False)
            time.sleep(0.05)
    seeds = ((ROOT_DN, _seed()), (AD_ROOT_DN, _ad_seed()), (CONTRACT_ROOT_DN, _contract_seed()))
    for root_dn, ldif in seeds:
        added = subprocess.run(
            [LDAPADD, "-x", "-H", url, "-D", root_dn, "-w", ROOT_PASSWORD],
            input=ldif.encode(),
            capture_output=True,
            timeout=30,
            check=False,
        )
        if added.returncode != 0:
            running.stop()
            pytest.fail(f"seeding slapd failed: {added.stderr.decode()}", pytrace=False)
    return running
