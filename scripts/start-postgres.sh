#!/usr/bin/env bash
# Starts the machine's PostgreSQL cluster for the tests and gives the `postgres` role the
# password the tests use (postgres://postgres:postgres@127.0.0.1:5432/postgres). Idempotent.
set -euo pipefail

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters --no-header | grep -q "^$version *main "; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters --no-header | grep -q "^$version *main .* online"; then
  pg_ctlcluster "$version" main start
fi
# Tests run many databases in parallel; the default 100 connections is tight for that.
current=$(su postgres -c "psql -tAc 'SHOW max_connections'")
if [ "$current" -lt 300 ]; then
  su postgres -c "psql -qc 'ALTER SYSTEM SET max_connections = 300'"
  pg_ctlcluster "$version" main restart
fi
su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\""
pg_isready -h 127.0.0.1 -p 5432
