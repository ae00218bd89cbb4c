#!/usr/bin/env bash
# Debian's Chromium for the web widget's browser tests (Playwright drives /usr/bin/chromium;
# `playwright install` downloads a browser of its own and is never used). Idempotent; as root.
set -euo pipefail

if [ -x /usr/bin/chromium ] && /usr/bin/chromium --version >/dev/null 2>&1; then
  exit 0
fi
echo "Chromium is missing: installing Debian's package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
