#!/usr/bin/env bash
# Request Tracker 5 from Debian, on SQLite, for the ITSM contract tests (a real REST2 peer).
#
#   scripts/request-tracker.sh install        # as root; idempotent (apt packages + custom fields)
#   scripts/request-tracker.sh start PORT     # rt-server Standalone on 127.0.0.1:PORT, waits until ready
#   scripts/request-tracker.sh stop           # stops the server started above, by its process id
#
# The root password is GUICHET_RT_PASSWORD (default: guichet-rt-root); it is a local test instance.
set -euo pipefail

PASSWORD="${GUICHET_RT_PASSWORD:-guichet-rt-root}"
SITE_CONFIG=/etc/request-tracker5/RT_SiteConfig.d/90-guichet.pm
CF_MARKER=/var/lib/request-tracker5/guichet-custom-fields
AGENT_MARKER=/var/lib/request-tracker5/guichet-test-agent
ASSET_CF_MARKER=/var/lib/request-tracker5/guichet-asset-fields
RUN_DIR="${GUICHET_RT_RUN_DIR:-/tmp/guichet-rt}"
PID_FILE="$RUN_DIR/rt-server.pid"
LOG_FILE="$RUN_DIR/rt-server.log"
RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
HERE="$(cd "$(dirname "$0")" && pwd)"

site_config() {
  local port="$1"
  cat >"$SITE_CONFIG" <<EOF
# Written by Guichet's scripts/request-tracker.sh: Standalone server on 127.0.0.1:$port.
Set(\$WebPath, "");
Set(\$WebDomain, "127.0.0.1");
Set(\$WebPort, $port);
Set(\$WebBaseURL, "http://127.0.0.1:$port");
Set(\$LogToSTDERR, "warning");
1;
EOF
}

install() {
  if ! dpkg-query -W -f='${Status}' request-tracker5 rt5-db-sqlite rt5-standalone 2>/dev/null \
      | grep -q '^install ok installed.*install ok installed.*install ok installed$'; then
    debconf-set-selections <<EOF
request-tracker5 request-tracker5/dbconfig-install boolean true
request-tracker5 request-tracker5/database-type select sqlite3
request-tracker5 request-tracker5/rtname string localhost
request-tracker5 request-tracker5/organization string localhost
request-tracker5 request-tracker5/web-baseurl string http://127.0.0.1:8099
request-tracker5 request-tracker5/initial-root-password password $PASSWORD
request-tracker5 request-tracker5/initial-root-password-again password $PASSWORD
EOF
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      request-tracker5 rt5-db-sqlite rt5-standalone
  fi
  [ -f "$SITE_CONFIG" ] || site_config 8099
  if [ ! -f "$CF_MARKER" ]; then
    # Guichet's own fields on every ticket: its reference (idempotency key), category, impact,
    # urgency, and its finer ITIL status (RT's lifecycle has fewer states).
    rt-setup-database-5 --action insert --skip-create \
      --datafile "$HERE/request-tracker-fields.pl"
    touch "$CF_MARKER"
  fi
  if [ ! -f "$AGENT_MARKER" ]; then
    rt-setup-database-5 --action insert --skip-create \
      --datafile "$HERE/request-tracker-test-agent.pl"
    touch "$AGENT_MARKER"
  fi
  if [ ! -f "$ASSET_CF_MARKER" ]; then
    # The asset fields Guichet reads (connectors/assets/request_tracker.py): type, model,
    # serial number, purchase and issue dates.
    rt-setup-database-5 --action insert --skip-create \
      --datafile "$HERE/request-tracker-asset-fields.pl"
    touch "$ASSET_CF_MARKER"
  fi
}

start() {
  local port="${1:?usage: $0 start PORT}"
  [ -x "$RT_SERVER" ] || { echo "Request Tracker is not installed: run $0 install (as root)" >&2; exit 3; }
  mkdir -p "$RUN_DIR"
  stop
  site_config "$port"
  nohup "$RT_SERVER" --server Standalone --listen "127.0.0.1:$port" >"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 120); do
    if curl -s -o /dev/null -u "root:$PASSWORD" "http://127.0.0.1:$port/REST/2.0/rt"; then
      echo "Request Tracker ready on 127.0.0.1:$port (pid $(cat "$PID_FILE"))"
      return 0
    fi
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      echo "rt-server exited; its log:" >&2; cat "$LOG_FILE" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "Request Tracker did not answer on 127.0.0.1:$port within 60 s; its log:" >&2
  cat "$LOG_FILE" >&2
  exit 1
}

stop() {
  if [ -f "$PID_FILE" ]; then
    local pid
    pid="$(cat "$PID_FILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$PID_FILE"
  fi
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-}" ;;
  stop) stop ;;
  *) echo "usage: $0 install | start PORT | stop" >&2; exit 2 ;;
esac
