# Quick start: `make run` (the app with demo data) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/jit_inventory

.PHONY: run test test-postgres lint clean

# Create .venv from uv.lock, bringing uv into it when it is not there.
$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --quiet
	@touch $@

run: $(VENV)/.synced
	$(PY) -m inventory_site.run

test: $(VENV)/.synced
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.synced
	DATABASE_URL=$(POSTGRES_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.synced
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

clean:
	rm -rf var staticfiles .pytest_cache
