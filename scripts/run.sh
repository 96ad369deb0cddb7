#!/usr/bin/env bash
# The README's entry point: `bash scripts/run.sh demo` or `bash scripts/run.sh test`.
# Sets everything up first (scripts/setup.sh), then runs the npm script of that name, passing
# any further arguments on (.ci/run: `test --coverage`).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  demo | test) ;;
  *) echo "usage: bash scripts/run.sh demo|test" >&2; exit 2 ;;
esac
bash scripts/setup.sh "$1"
npm run --silent "$1" -- "${@:2}"
