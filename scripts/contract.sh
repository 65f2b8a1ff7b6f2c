#!/usr/bin/env bash
# The API contract as frontend teams consume it, checked with their own tools:
#   1. Spectral (`spectral:oas`, .spectral.yaml) and Redocly (`recommended`, redocly.yaml) lint the document;
#   2. openapi-typescript generates its TypeScript types (frontend-check/generated/, not committed) and
#      frontend-check/client.ts compiles against them with `tsc --noEmit --strict`.
# Any finding of any severity fails. The tools run from frontend-check/node_modules, installed by
# `npm ci --prefix frontend-check` (the only step that uses the network); nothing is fetched here.
#
# Usage: bash scripts/contract.sh [DOCUMENT]   (default openapi/prm.json)
set -euo pipefail
cd "$(dirname "$0")/.."

document=${1:-openapi/prm.json}
bin=frontend-check/node_modules/.bin
for tool in spectral redocly openapi-typescript tsc; do
  if [ ! -x "$bin/$tool" ]; then
    echo "contract: $bin/$tool is missing: run \`npm ci --prefix frontend-check\`" >&2
    exit 2
  fi
done
# No telemetry, update check or banner: the run stays offline and its output is the findings.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1 NODE_OPTIONS=--no-deprecation

failures=()
step() {  # step NAME COMMAND...: run it, remember a failure, go on to the next check
  local name=$1
  shift
  printf '\n== contract: %s\n' "$name"
  if "$@"; then
    echo "ok: $name"
  else
    echo "FAILED: $name" >&2
    failures+=("$name")
  fi
}

redocly_lint() {
  # Redocly exits 0 on warnings: its JSON report's problems decide.
  local report code=0
  report=$(mktemp)
  "$bin/redocly" lint "$document" --config redocly.yaml --format=json >"$report" || true
  node -e '
    const { totals, problems } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const p of problems) {
      const where = (p.location || []).map((l) => l.pointer).join(", ");
      console.log(`${p.severity} ${p.ruleId} ${where}: ${p.message}`);
    }
    console.log(`redocly: ${totals.errors} errors, ${totals.warnings} warnings, ${totals.ignored} ignored`);
    process.exit(problems.length === 0 && totals.ignored === 0 ? 0 : 1);
  ' "$report" || code=$?
  rm -f "$report"
  return "$code"
}

typescript_client() {
  mkdir -p frontend-check/generated
  # --default-non-nullable=false: a property with a default may be absent (a problem's `detail` is left out
  # when there is none), so its type says so.
  "$bin/openapi-typescript" "$document" --output frontend-check/generated/prm.ts \
    --redocly redocly.yaml --default-non-nullable=false &&
    "$bin/tsc" --project frontend-check/tsconfig.json --noEmit --strict
}

step "spectral lint (spectral:oas)" "$bin/spectral" lint "$document" --ruleset .spectral.yaml --fail-severity=hint
step "redocly lint (recommended)" redocly_lint
step "openapi-typescript + tsc --strict (frontend-check/client.ts)" typescript_client

if [ ${#failures[@]} -gt 0 ]; then
  printf '\ncontract: %d check(s) failed: %s\n' "${#failures[@]}" "$(IFS=';'; echo "${failures[*]}")" >&2
  exit 1
fi
printf '\ncontract: all checks passed on %s\n' "$document"
