#!/usr/bin/env bash
# `make bench`: every benchmark in bench/, one after the other (each prints its own figures).
set -euo pipefail
cd "$(dirname "$0")/.."

shopt -s nullglob
benchmarks=(bench/*.py)
if [ ${#benchmarks[@]} -eq 0 ]; then
  echo "no benchmarks in bench/ yet"
  exit 0
fi
for benchmark in "${benchmarks[@]}"; do
  echo "== $benchmark"
  .venv/bin/python "$benchmark"
done
