# The two commands: `make test` and `make demo`. Both build .venv from the pinned
# constraints and start embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=

.PHONY: test demo bench bench-quick bench-reference reliability soak lint typecheck check lock clean

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

# Benchmarks: writes docs/benchmarks.md and its charts (about 35 minutes on 2 cores).
# bench-quick: a slice of each in under 2 minutes, written to build/bench-quick/.
# The API load part needs wrk (Debian's package; installed with apt-get as root).
bench: $(STAMP)
	$(BIN)/python -m bench.run $(ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick $(ARGS)

# The engine against bench/reference.py on the networks of bench/shapes.py (about 2
# minutes): prints the table make bench writes into docs/benchmarks.md. ARGS: shapes, --seed N.
bench-reference: $(STAMP)
	$(BIN)/python -m bench.reference_compare $(ARGS)

# The reliability suite (faults, concurrency, hostile input, tenants), the slow parts
# included; writes the figures of the run into docs/reliability.md.
RELIABILITY := tests/reliability tests/integration/api/test_tokens_api.py

reliability: $(STAMP)
	SAMLAST_FIGURES_TO=docs/reliability.md SAMLAST_FIGURES_COMMAND="make reliability" \
		$(BIN)/python -m pytest $(RELIABILITY) $(ARGS)

# The same, longer: 100 runs and 150 worker kills, 60 stories, 100 fuzz cases per operation.
soak: $(STAMP)
	SAMLAST_CHAOS_RUNS=100 SAMLAST_CHAOS_KILLS=150 SAMLAST_SOAK_STORIES=60 \
	SAMLAST_SOAK_EXAMPLES=100 SAMLAST_FIGURES_TO=docs/reliability.md \
	SAMLAST_FIGURES_COMMAND="make soak" \
		$(BIN)/python -m pytest $(RELIABILITY) --timeout=3600 $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

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
