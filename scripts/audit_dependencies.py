"""`make audit`: pip-audit over the locked dependencies (requirements.lock, `make lock`).

Fails on a known vulnerability. When the vulnerability service cannot answer from this machine,
says so, with what was tried and what came back, and does not fail for that reason alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

PYPI = "https://pypi.org/pypi/{name}/{version}/json"
OSV = "https://api.osv.dev/v1/query"


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def locked(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def installed() -> dict[str, str]:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        name.lower(): version
        for name, _, version in (line.partition("==") for line in frozen.splitlines())
        if version
    }


def probe(url: str, data: bytes | None = None) -> str:
    """What the service answers, in one line."""
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code} {error.reason}"
    except (urllib.error.URLError, OSError) as error:
        return f"{type(error).__name__}: {getattr(error, 'reason', error)}"


def why_unreachable(name: str, version: str) -> list[str]:
    query = json.dumps({"package": {"name": name, "ecosystem": "PyPI"}, "version": version})
    return [
        f"PyPI JSON API: GET {PYPI.format(name=name, version=version)} -> "
        + probe(PYPI.format(name=name, version=version)),
        f"OSV: POST {OSV} -> " + probe(OSV, query.encode()),
    ]


def main(lock: Path) -> int:
    pins = locked(lock)
    drift = sorted(
        f"{name} {pins.get(name, '-')} locked, {version} installed"
        for name, version in installed().items()
        if pins.get(name) != version
    )
    if drift:
        say(f"warning: {lock} differs from this environment (run `make lock`):")
        for line in drift:
            say(f"  {line}")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pip_audit"),
            *("-r", str(lock), "--no-deps", "--disable-pip"),
            *("--progress-spinner", "off", "--format", "json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        say(f"pip-audit failed (exit {done.returncode}):")
        say(done.stderr.strip()[-2000:])
        first = next(iter(pins.items()))
        if "ConnectionError" in done.stderr or "NameResolution" in done.stderr:
            say("the vulnerability service is not reachable from this machine:")
            for line in why_unreachable(*first):
                say(f"  {line}")
            return 0
        return done.returncode or 1
    dependencies = report["dependencies"]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            say(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} ({fixes})")
    audited = len(dependencies) - len(skipped)
    say(
        f"pip-audit: {len(dependencies)} locked packages, {audited} audited, "
        f"{len(vulnerable)} with known vulnerabilities, {len(skipped)} not audited"
    )
    if skipped:
        say(f"not audited ({len(skipped)}), e.g. {skipped[0]['skip_reason']}")
        name = skipped[0]["name"]
        say("the vulnerability service could not answer from this machine:")
        for line in why_unreachable(name, pins.get(name, "")):
            say(f"  {line}")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")))
