#!/usr/bin/env bash
# Creates .venv-rasa: Rasa 3.6.21 in its own virtual environment (it pins pydantic 1, TensorFlow
# 2.12 and SQLAlchemy 1.4, so it can never share Guichet's). Idempotent; safe to run concurrently.
#
# Preferred: pyenv's Python 3.10.13, which machines of this kind carry; Rasa supports it and its
# resolved versions are pinned by scripts/rasa-constraints-py310.txt. Fallback: Python 3.11 with
# the 3.11-compatible pins of scripts/requirements-rasa-3.6.21-py311.txt (outside what Rasa lists
# as supported, but it trains and serves).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${GUICHET_RASA_VENV:-.venv-rasa}"
PY310="${GUICHET_RASA_PYTHON:-/root/.pyenv/versions/3.10.13/bin/python}"
STAMP="$VENV/.rasa-3.6.21-installed"

mkdir -p "$(dirname "$VENV")"
mkdir -p var
exec 9>var/rasa-env.lock
flock 9
if [ -f "$STAMP" ]; then
  exit 0
fi

# pip's warnings about this machine's extra (absent) index folders drown the real errors.
pip_quiet() {
  "$VENV/bin/python" -m pip "$@" 2>&1 | { grep -v "is neither a file nor a directory" || true; }
}

echo "Creating $VENV with Rasa 3.6.21 (about 2 minutes, 2.7 GB)"
rm -rf "$VENV"
if [ -x "$PY310" ]; then
  "$PY310" -m venv "$VENV"
  pip_quiet install --quiet --upgrade pip==25.3
  pip_quiet install --quiet -c scripts/rasa-constraints-py310.txt rasa==3.6.21
else
  echo "$PY310 not found: falling back to Python 3.11"
  python3.11 -m venv "$VENV"
  pip_quiet install --quiet --upgrade pip==25.3
  pip_quiet install --quiet -r scripts/requirements-rasa-3.6.21-py311.txt
  pip_quiet install --quiet --no-deps --ignore-requires-python \
    rasa==3.6.21 rasa-sdk==3.6.2
fi
"$VENV/bin/python" -m pip check
touch "$STAMP"
echo "$VENV is ready: $("$VENV/bin/python" -c 'import importlib.metadata as m; print("rasa", m.version("rasa"))')"
