# The two commands of the README: `make run` and `make test`. Everything else is set up here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint docs bench clean rasa-env bench-nlu lock audit

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/guichet index build
	$(BIN)/guichet train
	$(BIN)/guichet serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint docs rasa-env audit
	$(BIN)/pytest

# Exact versions of everything installed (runtime and dev), for pip-audit and reproducible installs.
lock: install
	( echo "# Exact versions of every package in .venv (runtime and dev), written by \`make lock\`;"; \
	  echo "# \`make audit\` (run by \`make test\`) checks them with pip-audit."; \
	  $(BIN)/pip freeze --exclude-editable ) > requirements.lock

# Known vulnerabilities in requirements.lock; says so when the vulnerability service is unreachable.
audit: install
	$(BIN)/python scripts/audit_dependencies.py requirements.lock

# Rasa 3.6.21 in its own environment (.venv-rasa), for the `rasa` intent engine and its tests.
rasa-env:
	bash scripts/rasa-env.sh

bench-nlu: install rasa-env
	$(BIN)/python -m bench.nlu

bench: install
	$(BIN)/python -m bench.dialogue

# The documentation site (mkdocs.yml, docs/), settings reference generated from the code;
# --strict turns every warning (broken link, unknown setting named in the docs) into a failure.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir var/site


clean:
	rm -rf $(VENV) var
