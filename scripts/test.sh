#!/usr/bin/env bash
# `make test`: lint, format check, strict types, then the whole test suite on SQLite and on PostgreSQL.
#
# The two pytest passes run side by side (measured faster on a 2-core machine than one pass after the other,
# each split by pytest-xdist), with fuzz/ (schemathesis, every check, a whole platform) as a third process when
# no arguments select tests; each writes to a log of its own, printed whole when it ends, and a summary of all
# closes the output.
# PostgreSQL is reached at PRM_TEST_POSTGRES_URL (default: the local server). If it is not reachable,
# that pass is skipped with a loud notice, unless PRM_REQUIRE_POSTGRES=1 (as in CI), which makes it fail.
# Extra arguments go to both pytest runs, e.g. `bash scripts/test.sh -k keys` or `-n 2` (xdist).
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
# The `fuzz` pass is fuzz/ alone (schemathesis with every check against a whole platform on SQLite files).
run_pytest() {
  local pass=$1
  shift
  local code=0
  if [ "$pass" = fuzz ]; then
    PRM_TEST_DB=sqlite PRM_TEST_PASS=fuzz "$bin/pytest" -q fuzz || code=$?
  else
    PRM_TEST_DB=$pass "$bin/pytest" -q "$@" || code=$?
  fi
  if [ "$code" -eq 5 ]; then
    echo "pytest on $pass collected no tests: failing" >&2
    return 1
  fi
  return "$code"
}

postgres_skipped_notice() {
  cat >&2 <<MSG

  ************************************************************************
  *  PostgreSQL is NOT reachable at $PRM_TEST_POSTGRES_URL
  *  The PostgreSQL pass was SKIPPED: only SQLite was tested.
  *  Start PostgreSQL (or set PRM_TEST_POSTGRES_URL) and run make test again.
  ************************************************************************

MSG
}

step "ruff check"
"$bin/ruff" check .
step "ruff format --check"
"$bin/ruff" format --check .
step "mypy --strict"
"$bin/mypy" -p prm_contracts -p prm_kit -p prm_cli -p gateway \
  -p partner_registry -p scoring -p incentives -p analytics

backends=(sqlite)
if "$bin/python" scripts/postgres_reachable.py; then
  backends+=(postgresql)
elif [ "${PRM_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is not reachable at $PRM_TEST_POSTGRES_URL and PRM_REQUIRE_POSTGRES=1: failing" >&2
  exit 1
fi

postgres_tested=$([ "${backends[*]}" = sqlite ] && echo 0 || echo 1)
# The whole-platform fuzz (fuzz/, minutes long) runs as a third process beside the two passes, which two cores
# share better than one pass holding it; with extra arguments (a selection) it stays in the passes.
if [ $# -eq 0 ]; then
  backends+=(fuzz)
fi
# Tests marked for one pass (prm_kit.testing.PASS_OF_MARKER) run in that pass only when it runs.
PRM_TEST_PASSES=$(IFS=,; echo "${backends[*]}")
export PRM_TEST_PASSES

declare -A label=([sqlite]=SQLite [postgresql]="PostgreSQL ($PRM_TEST_POSTGRES_URL)"
  [fuzz]="schemathesis, every check, whole platform (fuzz/)")
declare -A backend_of code_of
logs=$(mktemp -d "${TMPDIR:-/tmp}/prm-test.XXXXXX")
# An interrupted run (Ctrl-C, CI's timeout) stops the passes it started.
trap 'kill $(jobs -p) 2>/dev/null || true' INT TERM

step "pytest: ${backends[*]}, side by side (logs in $logs)"
for backend in "${backends[@]}"; do
  run_pytest "$backend" "$@" >"$logs/$backend.log" 2>&1 &
  backend_of[$!]=$backend
done

for _ in "${backends[@]}"; do
  code=0
  wait -n -p finished "${!backend_of[@]}" || code=$?
  backend=${backend_of[$finished]}
  unset "backend_of[$finished]"
  code_of[$backend]=$code
  step "pytest on ${label[$backend]}: $([ "$code" -eq 0 ] && echo passed || echo "FAILED (exit $code)"), its whole output:"
  cat "$logs/$backend.log"
done

# pytest's own summary line of each pass ("N passed ... in Ns"), or the last thing it said.
pytest_summary() {
  grep -E ' in [0-9.]+s( \([0-9:]+\))?( =+)?$' "$1" | tail -n 1 || tail -n 1 "$1"
}

step "summary"
failed=0
for backend in "${backends[@]}"; do
  if [ "${code_of[$backend]}" -eq 0 ]; then status=passed; else status="FAILED (exit ${code_of[$backend]})"; failed=1; fi
  printf '%s, %s: %s\n' "${label[$backend]}" "$status" "$(pytest_summary "$logs/$backend.log")"
done
if [ "$postgres_tested" -eq 0 ]; then
  postgres_skipped_notice
fi
if [ "$failed" -ne 0 ]; then
  step "tests FAILED"
  exit 1
fi
rm -rf "$logs"
step "all checks passed"
