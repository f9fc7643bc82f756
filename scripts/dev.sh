#!/usr/bin/env bash
# `just dev`: the quickest way to see the app without a cluster.
#
# Starts PostgreSQL if nothing answers at $DATABASE_URL, creates the `todo_dev` database, builds
# and starts todo-api and todo-web from this checkout, prints the URL, and stops both on Ctrl-C.
#
#   DATABASE_URL  server to use     [postgres://postgres:postgres@127.0.0.1:5432/postgres]
#   DEV_DB        database name     [todo_dev]
#   API_PORT      todo-api port     [8000]
#   WEB_PORT      todo-web port     [3000]
#
# PostgreSQL, when it is not running:
#   - Debian/Ubuntu (`just tools` installs the `postgresql` package): scripts/start-postgres.sh
#     starts the system cluster (through sudo when not root);
#   - otherwise (e.g. `nix develop`): a project-local cluster in target/dev/postgres (trust auth on
#     127.0.0.1 only), started with pg_ctl and left running for next time
#     (stop it with `pg_ctl -D target/dev/postgres stop`).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
state="$root/target/dev"
mkdir -p "$state"

database_url=${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
dev_db=${DEV_DB:-todo_dev}
api_port=${API_PORT:-8000}
web_port=${WEB_PORT:-3000}

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

[[ $dev_db =~ ^[a-z_][a-z0-9_]*$ ]] || die "DEV_DB must be a plain lower-case identifier, got '$dev_db'"

# postgres://user:pass@host:port/db → parts (no query strings in dev URLs).
re='^postgres(ql)?://([^:@/]+)(:([^@/]*))?@([^:/]+)(:([0-9]+))?(/([^?]*))?$'
[[ $database_url =~ $re ]] || die "DATABASE_URL must look like postgres://user:password@host:port/db"
pg_user=${BASH_REMATCH[2]}
pg_host=${BASH_REMATCH[5]}
pg_port=${BASH_REMATCH[7]:-5432}
server_url=$database_url
[ -z "${BASH_REMATCH[8]}" ] || server_url=${database_url%/*}
dev_url="$server_url/$dev_db"

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Debian keeps the server binaries off PATH.
pg_bin_dir() {
  if command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  elif compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)"
  fi
}

start_local_cluster() {
  local bin data="$state/postgres"
  bin=$(pg_bin_dir)
  [ -n "$bin" ] || die "PostgreSQL is not running at $pg_host:$pg_port and no server is installed: run \`just tools\` (Debian) or \`nix develop\`"
  [ "$(id -u)" -ne 0 ] || die "PostgreSQL refuses to run as root: start it yourself (DATABASE_URL=$database_url) or run \`just dev\` as a normal user"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating a local PostgreSQL cluster in ${data#"$root"/}"
    "$bin/initdb" -D "$data" -U "$pg_user" --auth=trust --encoding=UTF8 >"$state/initdb.log" 2>&1 \
      || die "initdb failed; see $state/initdb.log"
  fi
  log "starting the local PostgreSQL cluster on $pg_host:$pg_port"
  "$bin/pg_ctl" -D "$data" -l "$state/postgres.log" -w \
    -o "-c listen_addresses=$pg_host -p $pg_port -k $data" start >/dev/null \
    || die "PostgreSQL did not start; see $state/postgres.log"
}

ensure_postgres() {
  if port_open "$pg_host" "$pg_port"; then
    log "PostgreSQL is running at $pg_host:$pg_port"
    return
  fi
  if [ "$pg_port" = 5432 ] && [[ $pg_host =~ ^(127\.0\.0\.1|localhost)$ ]] && command -v pg_lsclusters >/dev/null 2>&1; then
    log "starting the system PostgreSQL cluster (scripts/start-postgres.sh)"
    if [ "$(id -u)" -eq 0 ]; then scripts/start-postgres.sh; else sudo scripts/start-postgres.sh; fi
  else
    start_local_cluster
  fi
  for _ in $(seq 1 50); do
    port_open "$pg_host" "$pg_port" && return
    sleep 0.2
  done
  die "PostgreSQL still does not answer at $pg_host:$pg_port"
}

ensure_database() {
  local psql
  psql=$(command -v psql || true)
  [ -n "$psql" ] || psql="$(pg_bin_dir)/psql"
  [ -x "$psql" ] || die "psql not found: run \`just tools\` or \`nix develop\`"
  if [ "$("$psql" "$database_url" -tAc "SELECT 1 FROM pg_database WHERE datname = '$dev_db'")" != 1 ]; then
    log "creating database $dev_db"
    "$psql" "$database_url" -qc "CREATE DATABASE $dev_db" || die "cannot create database $dev_db at $server_url"
  fi
}

# A stable per-checkout secret, so a restart keeps everyone signed in. Never printed.
jwt_secret() {
  local file="$state/jwt-secret"
  if [ ! -s "$file" ]; then
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$file")
  fi
  cat "$file"
}

for port in "$api_port" "$web_port"; do
  ! port_open 127.0.0.1 "$port" || die "port $port is already in use: stop what runs there, or set API_PORT / WEB_PORT"
done

ensure_postgres
ensure_database

log "building todo-api and todo-web"
cargo build -p todo-api -p todo-web
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="${target_dir:-$root/target}/debug"

pids=()
cleanup() {
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    log "stopping todo-web and todo-api"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap cleanup EXIT
stopping=0
trap 'stopping=1; exit 130' INT TERM

wait_ready() { # name, url, log file, pid
  for _ in $(seq 1 150); do
    "$bin/todo-web" healthcheck --url "$2" >/dev/null 2>&1 && return
    kill -0 "$4" 2>/dev/null || { tail -n 30 "$3" >&2; die "$1 exited during start-up; log: $3"; }
    sleep 0.2
  done
  tail -n 30 "$3" >&2
  die "$1 did not become ready at $2; log: $3"
}

log "starting todo-api on 127.0.0.1:$api_port (log: target/dev/todo-api.log)"
JWT_SECRET=$(jwt_secret) DATABASE_URL=$dev_url PORT=$api_port BIND_ADDR=127.0.0.1 \
  AGENT=${AGENT:-builtin} LOG_FORMAT=pretty LOG_LEVEL=${LOG_LEVEL:-info} \
  "$bin/todo-api" >"$state/todo-api.log" 2>&1 &
pids+=($!)
wait_ready todo-api "http://127.0.0.1:$api_port/readyz" "$state/todo-api.log" "${pids[0]}"

log "starting todo-web on 127.0.0.1:$web_port (log: target/dev/todo-web.log)"
BACKEND_URL="http://127.0.0.1:$api_port" PORT=$web_port BIND_ADDR=127.0.0.1 COOKIE_SECURE=false \
  LOG_FORMAT=pretty LOG_LEVEL=${LOG_LEVEL:-info} \
  "$bin/todo-web" >"$state/todo-web.log" 2>&1 &
pids+=($!)
wait_ready todo-web "http://127.0.0.1:$web_port/readyz" "$state/todo-web.log" "${pids[1]}"

printf '\n  \033[1mTodo Chatbot is running:\033[0m  http://localhost:%s\n' "$web_port"
printf '  API: http://127.0.0.1:%s   Logs: target/dev/*.log   Stop: Ctrl-C\n\n' "$api_port"

# Stay up until Ctrl-C or until either service exits.
set +e
wait -n "${pids[@]}"
status=$?
# Ctrl-C reaches the services too, so one of them may exit before our own trap runs.
[ "$stopping" = 1 ] || [ "$status" -eq 0 ] || log "a service exited (status $status); see target/dev/todo-api.log and target/dev/todo-web.log"
exit "$status"
