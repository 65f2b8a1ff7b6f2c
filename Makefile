# The two commands a newcomer needs: `make up` (run PRM) and `make test` (check everything).
# Only Python 3.11+ is assumed: uv itself is installed, pinned, into .tools/ from PyPI.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
UV_STAMP := .tools/.uv-$(UV_VERSION)
# Use the machine's Python; never download an interpreter.
export UV_PYTHON_DOWNLOADS := never

.PHONY: up test sync migrate openapi bench clean help

help:
	@echo "make up       run PRM (migrate, start all services and the gateway, load demo data)"
	@echo "make test     lint, type-check and run the tests on SQLite and PostgreSQL"
	@echo "make migrate  create/upgrade every service's database"
	@echo "make openapi  regenerate openapi/prm.json"
	@echo "make bench    run the benchmarks in bench/"
	@echo "make clean    remove .venv, .tools and caches (keeps .prm-data)"

up: sync
	.venv/bin/prm up --demo

test: sync
	bash scripts/test.sh

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
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
