# The two commands of the README: `make run` and `make test`. Everything else is for us.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench schema mutation clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/farmgate demo
	$(BIN)/farmgate serve --host 127.0.0.1 --port $${FARMGATE_PORT:-8000}

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# Mutation testing of core/domain and the scope rules (not part of `make test`); see tests/mutation.
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	$(BIN)/python -m tests.mutation $(MUTANTS)

schema: $(STAMP)
	$(BIN)/farmgate schema > graphql/schema.graphql

clean:
	rm -rf $(VENV) var build *.egg-info
