# Hamkor: every target bootstraps itself from python3 alone.
# uv lives in its own small virtual environment so that `uv sync` can keep
# .venv exactly equal to uv.lock without uninstalling itself.

PYTHON ?= python3
PORT ?= 8000
UV_VERSION := 0.13.9
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
MANAGE := $(VENV)/bin/python manage.py
STAMP := $(VENV)/.synced

export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

# Printed by `make run`, shown in the README and run by tests/meetings/test_demo.py.
SAMPLE_DATA_COMMAND := DEBUG=true $(MANAGE) generate_sample_data --scale S --append

.DEFAULT_GOAL := help
.PHONY: help install run test lint format migrate demo lock clean vendor bench bench-load messages compile schema

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# The libraries compiled to bytecode once, here: a process otherwise compiles
# every module it imports, each time it starts, wherever Python may not write
# its cache (a read-only install, PYTHONDONTWRITEBYTECODE). Each gunicorn
# worker, each test process and each management command starts faster.
$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet --compile-bytecode
	@touch $@

install: $(STAMP)  ## Create .venv with the locked dependencies.

# The interface's translations: locale/<language>/ (Hamkor's own messages) and
# locale/libraries/<language>/ (what Django's and the libraries' catalogues
# lack). The .po files are committed, the compiled .mo files are built from
# them (GNU gettext's msgfmt) and never committed: each .mo is rebuilt when
# its .po is newer, so that this costs nothing when no catalogue changed.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po locale/libraries/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
# Django's compilemessages walks the tree for locale/ folders: not into the
# virtual environments, caches or collected files.
COMPILE_IGNORE := --ignore='.*' --ignore=staticfiles --ignore=test-artifacts

%.mo: %.po | $(STAMP)
	@DEBUG=true $(MANAGE) compilemessages -v 0 $(COMPILE_IGNORE)

compile: $(MO_FILES)  ## Compile the translations (run, test and bench do it first).

messages: $(STAMP)  ## Re-extract the messages to translate into locale/ (uz, ru), and what the libraries lack into locale/libraries/.
	DEBUG=true $(MANAGE) makemessages --all
	DEBUG=true $(MANAGE) makemessages --all --domain djangojs
	DEBUG=true $(MANAGE) vendor_messages

run: $(STAMP) $(MO_FILES)  ## Serve the demo on SQLite at 127.0.0.1:$(PORT).
	@DEBUG=true $(MANAGE) migrate --no-input -v 0
	@DEBUG=true $(MANAGE) load_demo
	@DEBUG=true $(MANAGE) ensure_admin
	@echo "More to try: generated people, meetings and follow-ups, every name starting with 'Sample':"
	@echo "  $(SAMPLE_DATA_COMMAND)"
	@echo "Hamkor: http://127.0.0.1:$(PORT)/ (stop with Ctrl-C)"
	@DEBUG=true $(MANAGE) runserver 127.0.0.1:$(PORT)

test: $(STAMP) $(MO_FILES)  ## Migrations check, ruff and the pytest suite (DATABASE_URL picks the engine).
	DJANGO_SETTINGS_MODULE=tests.settings $(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

lint: $(STAMP)  ## Fix what ruff can fix and format the code.
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(STAMP)  ## Apply migrations to the configured database.
	$(MANAGE) migrate --no-input

demo: $(STAMP)  ## Load the demo data (the seed meeting) into the configured database.
	$(MANAGE) load_demo

schema: $(STAMP)  ## Write the API's OpenAPI schema to docs/openapi.yaml (a test compares it with the code's).
	DEBUG=true $(MANAGE) spectacular --lang en --validate --fail-on-warn --file docs/openapi.yaml

lock: $(UV)  ## Re-resolve uv.lock after editing pyproject.toml.
	$(UV) lock

clean:  ## Remove the virtual environments, caches and compiled translations (keeps db.sqlite3).
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache staticfiles $(MO_FILES)

BOOTSTRAP_VERSION := 5.3.9
# axe-core runs in the browser tests only (tests/browser/test_accessibility.py):
# vendored beside them, never served by the app.
AXE_VERSION := 4.14.1
AXE_DIR := tests/browser/vendor/axe-core

vendor:  ## Refresh static/vendor/ (and the tests' axe-core) from the npm registry (run by hand; the files are committed).
	rm -rf static/vendor/bootstrap && mkdir -p static/vendor/bootstrap
	cd static/vendor/bootstrap && npm pack --silent bootstrap@$(BOOTSTRAP_VERSION) \
	  && tar xzf bootstrap-$(BOOTSTRAP_VERSION).tgz \
	  && cp package/dist/css/bootstrap.min.css package/dist/js/bootstrap.bundle.min.js package/LICENSE . \
	  && rm -rf package bootstrap-$(BOOTSTRAP_VERSION).tgz
	# The source maps are not vendored: drop the references to them, which
	# ManifestStaticFilesStorage would otherwise try to resolve.
	sed -i '/sourceMappingURL/d' static/vendor/bootstrap/*.min.*
	rm -rf $(AXE_DIR) && mkdir -p $(AXE_DIR)
	cd $(AXE_DIR) && npm pack --silent axe-core@$(AXE_VERSION) \
	  && tar xzf axe-core-$(AXE_VERSION).tgz \
	  && cp package/axe.min.js package/LICENSE . \
	  && rm -rf package axe-core-$(AXE_VERSION).tgz

SCALE ?= M
BENCH_ARGS ?=

bench: $(STAMP) $(MO_FILES)  ## Time every page on generated data: make bench SCALE=S|M|L|XL (DATABASE_URL for PostgreSQL).
	$(VENV)/bin/python bench/run.py --scale $(SCALE) $(if $(REGENERATE),--regenerate) $(BENCH_ARGS)

LOAD_ARGS ?=

bench-load: $(STAMP) $(MO_FILES)  ## Pages a second through gunicorn at 1, 4 and 16 clients: make bench-load SCALE=M (DATABASE_URL for PostgreSQL).
	$(VENV)/bin/python bench/load.py --scale $(SCALE) $(if $(REGENERATE),--regenerate) $(LOAD_ARGS)
