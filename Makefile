# The two commands a newcomer needs: `make up` (run PRM) and `make test` (check everything).
# Only Python 3.11+ is assumed: uv itself is installed, pinned, into .tools/ from PyPI.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
UV_STAMP := .tools/.uv-$(UV_VERSION)
# Use the machine's Python; never download an interpreter.
export UV_PYTHON_DOWNLOADS := never
# Installed code gets its bytecode once: every process start (services, tests) skips compiling ~1,200 modules.
export UV_COMPILE_BYTECODE := 1

.PHONY: up test sync migrate openapi bench clean help contract contract-tools

help:
	@echo "make up       run PRM (migrate, start all services and the gateway, load demo data)"
	@echo "make test     lint, type-check and run the tests on SQLite and PostgreSQL"
	@echo "make migrate  create/upgrade every service's database"
	@echo "make openapi  regenerate openapi/prm.json"
	@echo "make bench    run the benchmarks in bench/"
	@echo "make clean    remove .venv, .tools and caches (keeps .prm-data)"

up: sync
	.venv/bin/prm up --demo

test: sync contract-tools
	bash scripts/test.sh

contract: contract-tools
	bash scripts/contract.sh

# The frontend teams' tools the contract tests run: Spectral, Redocly, openapi-typescript and tsc (npm, locked),
# and openapi-python-client in its own locked environment (it caps typer below the CLI's pin).
contract-tools: frontend-check/node_modules/.package-lock.json frontend-check/python-client/.venv/pyvenv.cfg

frontend-check/node_modules/.package-lock.json: frontend-check/package.json frontend-check/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix frontend-check; \
	else echo "npm not found: the contract tests will be skipped (and fail in CI)"; fi

frontend-check/python-client/.venv/pyvenv.cfg: frontend-check/python-client/uv.lock $(UV_STAMP)
	$(UV) sync --locked --project frontend-check/python-client --python $(PYTHON)
	touch $@

migrate: sync
	.venv/bin/prm migrate

openapi: sync
	.venv/bin/prm openapi --output openapi/prm.json

bench: sync
	bash scripts/bench.sh

sync: $(UV_STAMP)
	$(UV) sync --locked --python $(PYTHON)

$(UV_STAMP):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)
	touch $@

clean:
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache
	rm -rf frontend-check/node_modules frontend-check/generated frontend-check/python-client/.venv
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
