#!/usr/bin/env bash
# Regenerates docs/report-screenshot.png from a fresh demo run (scripts/report-screenshot.ts).
# Needs Debian's chromium (bash scripts/setup.sh installs it) and the native build.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx scripts/report-screenshot.ts
