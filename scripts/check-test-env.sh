#!/usr/bin/env bash
# Fails fast, before any compiling, when a tool the test suite needs is missing. The tools are
# the `tests` rows of scripts/test-tools.txt. Tests fail loudly on their own too; this only makes
# the cause obvious in one line. PostgreSQL needs nothing here: scripts/test-env.sh starts one
# when DATABASE_URL is unset.
set -euo pipefail

list="$(dirname "${BASH_SOURCE[0]}")/test-tools.txt"
missing=()
while read -r command _ needed_by _; do
  case "$command" in '' | '#'*) continue ;; esac
  [ "$needed_by" = tests ] || continue
  command -v "$command" >/dev/null || missing+=("$command")
done <"$list"
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing tools: ${missing[*]} — run \`just tools\` (or \`nix develop\`)" >&2
  exit 1
fi
