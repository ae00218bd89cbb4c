#!/usr/bin/env bash
# OpenLDAP's slapd and ldap-utils from Debian, for the LDAP directory tests (a real directory).
#
#   scripts/slapd.sh install    # as root; idempotent
#
# Only the binaries are wanted: Debian's own slapd database is not configured (no_configuration)
# and its service is not started. The tests (tests/connectors/directory/slapd.py) run their own
# slapd on a free port of 127.0.0.1 from a temporary cn=config directory, and stop it.
set -euo pipefail

install() {
  if dpkg-query -W -f='${Status}\n' slapd ldap-utils 2>/dev/null \
      | grep -c '^install ok installed$' | grep -qx 2; then
    return 0
  fi
  debconf-set-selections <<EOF2
slapd slapd/no_configuration boolean true
EOF2
  apt-get update -q
  # policy-rc.d 101: the package must not start a system slapd on port 389 while installing.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slapd ldap-utils \
    || { [ "$created" = 1 ] && rm -f "$policy"; exit 1; }
  [ "$created" = 1 ] && rm -f "$policy"
  return 0
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
