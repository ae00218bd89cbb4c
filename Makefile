# The two commands of the README: `make run` and `make test`. Everything else is set up here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint docs bench clean rasa-env bench-nlu lock audit messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[dev,eval]'
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

# Exact versions of everything installed (runtime, dev, eval), for pip-audit and reproducible installs.
lock: install
	( echo "# Exact versions of every package in .venv (runtime, dev and eval), written by \`make lock\`;"; \
	  echo "# \`make audit\` (run by \`make test\`) checks them with pip-audit."; \
	  $(BIN)/pip freeze --exclude-editable ) > requirements.lock

# The message catalog (bot/kernel/i18n.py): extract every marked sentence from the code and the
# templates into the template, then merge it into the French catalog; translate what is new.
# The keywords are bot.kernel.i18n.KEYWORDS (tests/bot/kernel/test_i18n.py checks the result).
messages: install
	$(BIN)/pybabel extract --mapping-file=babel.cfg --keyword=t --keyword=tn:1,2 \
	  --keyword=tp:1c,2 --project=Guichet --version=0.1.0 --add-location=file --width=100 \
	  --output-file=bot/locale/guichet.pot .
	$(BIN)/pybabel update --input-file=bot/locale/guichet.pot --domain=guichet \
	  --output-dir=bot/locale --locale=fr --ignore-obsolete --width=100

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
