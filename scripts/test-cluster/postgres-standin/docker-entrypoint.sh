#!/bin/bash
# Entry point of the test cluster's PostgreSQL stand-in (see ../postgres-standin.sh): on an
# empty PGDATA it creates the cluster from the variables the chart sets, then it replaces
# itself with the server, so the server is PID 1 and receives the kubelet's SIGTERM.
set -euo pipefail

if [ "${1:-}" != postgres ]; then
  exec "$@"
fi
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA
socket_dir=/var/run/postgresql

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" && chown 70:70 "$PGDATA" && chmod 0700 "$PGDATA"
  exec setpriv --reuid=70 --regid=70 --clear-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  database=${POSTGRES_DB:-$user}
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "docker-entrypoint: POSTGRES_PASSWORD is empty: refusing to create a database nobody can log in to with a password" >&2
    exit 1
  fi
  mkdir -p "$PGDATA" && chmod 0700 "$PGDATA"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags, as in the official image
  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  # Create the database on a server that listens on no TCP address, so nothing can connect
  # before it exists.
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$socket_dir" start >/dev/null
  if [ "$database" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -v database="$database" -h "$socket_dir" -U "$user" -d postgres -q <<<'CREATE DATABASE :"database";'
  fi
  pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
  echo "docker-entrypoint: initialised $PGDATA (user $user, database $database)" >&2
fi
exec "$@"
