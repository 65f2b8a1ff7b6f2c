#!/usr/bin/env bash
# `make test`: lint, format check, strict types, then the whole test suite on SQLite and on PostgreSQL.
#
# PostgreSQL is reached at PRM_TEST_POSTGRES_URL (default: the local server). If it is not reachable,
# that pass is skipped with a loud notice, unless PRM_REQUIRE_POSTGRES=1 (as in CI), which makes it fail.
# Extra arguments go to both pytest runs, e.g. `bash scripts/test.sh -k keys`.
set -euo pipefail
cd "$(dirname "$0")/.."

export PRM_TEST_POSTGRES_URL="${PRM_TEST_POSTGRES_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/postgres}"
bin=.venv/bin

if [ -t 1 ]; then
  step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  step() { printf '\n== %s\n' "$*"; }
fi

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
run_pytest() {
  local backend=$1
  shift
  local code=0
  PRM_TEST_DB=$backend "$bin/pytest" -q "$@" || code=$?
  if [ "$code" -eq 5 ]; then
    echo "pytest on $backend collected no tests: failing" >&2
    return 1
  fi
  return "$code"
}

step "ruff check"
"$bin/ruff" check .
step "ruff format --check"
"$bin/ruff" format --check .
step "mypy --strict"
"$bin/mypy" -p prm_contracts -p prm_kit -p prm_cli -p gateway \
  -p partner_registry -p scoring -p incentives -p analytics

step "pytest on SQLite"
run_pytest sqlite "$@"

step "pytest on PostgreSQL ($PRM_TEST_POSTGRES_URL)"
if "$bin/python" scripts/postgres_reachable.py; then
  run_pytest postgresql "$@"
elif [ "${PRM_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is not reachable at $PRM_TEST_POSTGRES_URL and PRM_REQUIRE_POSTGRES=1: failing" >&2
  exit 1
else
  cat >&2 <<MSG

  ************************************************************************
  *  PostgreSQL is NOT reachable at $PRM_TEST_POSTGRES_URL
  *  The PostgreSQL pass was SKIPPED: only SQLite was tested.
  *  Start PostgreSQL (or set PRM_TEST_POSTGRES_URL) and run make test again.
  ************************************************************************

MSG
fi
step "all checks passed"
