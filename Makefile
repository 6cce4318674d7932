# The two commands of the README: `make run` and `make test`. Everything else is for us.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency pinned with its hashes: a new upstream release cannot change main unseen.
# Regenerate with `make lock` after editing pyproject.toml's dependencies.
LOCK := requirements.lock

.PHONY: run check test bench schema mutation lock clean

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/farmgate demo
	$(BIN)/farmgate serve --host 127.0.0.1 --port $${FARMGATE_PORT:-8000}

# ruff and mypy (strict) against pyproject.toml's debt lists, which may only shrink (tests/lint_debts.py).
check: $(STAMP)
	$(BIN)/python -m tests.lint_debts

# The suite on TEST_WORKERS pytest-xdist workers, one test file per worker at a time (a file's module
# fixtures start servers once); then, in a run of their own, the checks over every worker's logs.
TEST_WORKERS ?= 3
test: $(STAMP) check
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --ignore=tests/zz_last $(PYTEST_ARGS)
	FARMGATE_TEST_KEEP_LOGS=1 $(BIN)/python -m pytest tests/zz_last

bench: $(STAMP)
	SCALE=$(or $(SCALE),smoke) PROFILE=$(PROFILE) $(BIN)/python -m tests.bench $(BENCH)

# Mutation testing of core/domain and the scope rules (not part of `make test`); see tests/mutation.
# mutmut is pinned in the lock like everything else, so a fresh clone runs it as main does.
mutation: $(STAMP)
	$(BIN)/python -m tests.mutation $(MUTANTS)

schema: $(STAMP)
	$(BIN)/farmgate schema > graphql/schema.graphql

# Pin pyproject.toml's dependencies (and the test and mutation extras) with hashes, keeping existing pins;
# `make lock UPGRADE=1` resolves everything afresh.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip-tools>=7.4"
	$(BIN)/pip-compile --quiet $(if $(UPGRADE),--upgrade) --extra test --extra mutation --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links --no-emit-trusted-host --output-file $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) var build dist *.egg-info
