#!/usr/bin/env bash
# Fails fast, before any compiling, when something the test suite needs is missing.
# Tests fail loudly on their own too; this only makes the cause obvious in one line.
set -euo pipefail

missing=()
for tool in helm helm3 kubectl hadolint schemathesis podman buildah chromium chromedriver psql; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing tools: ${missing[*]} — run \`just tools\` (or \`nix develop\`)" >&2
  exit 1
fi
if [ -z "${DATABASE_URL:-}" ]; then
  echo "DATABASE_URL is not set: the tests need a PostgreSQL server they may create databases on," >&2
  echo "e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres (see README, Testing)" >&2
  exit 1
fi
