# The two commands: `make test` and `make demo`. Both build .venv from the pinned
# constraints and start embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=

.PHONY: test demo bench lint typecheck check lock clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Samlast needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

demo: $(STAMP)
	$(BIN)/samlast demo $(ARGS)

# Benchmarks: writes bench/REPORT.md (ARGS=--quick for a short check of the harness).
bench: $(STAMP)
	$(BIN)/python -m bench.run $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

# Re-resolve the newest versions the ranges in pyproject.toml allow, and pin them.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions that make test and CI run with. Regenerate with: make lock"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | sort -f; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .samlast .pytest_cache .mypy_cache .ruff_cache
