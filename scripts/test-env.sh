#!/usr/bin/env bash
# Runs a command (the test suite) with the services the tests need, and removes what it started
# when the command ends: on success, on failure and on Ctrl-C alike.
#
#   scripts/test-env.sh COMMAND [ARGS...]
#
# Each service is either given by the environment, and then used as it is, or started here for
# this run only:
#
#   PostgreSQL    DATABASE_URL set: that server. Unset: a throwaway server (initdb into a temporary
#                 directory, a free port on 127.0.0.1, 300 connections for the parallel tests),
#                 exported as DATABASE_URL=postgres://postgres:postgres@127.0.0.1:PORT/postgres.
#   Kubernetes    TEST_KUBE_CONTEXT set (TEST_KUBECONFIG optional): that cluster. Unset: the test
#                 cluster (scripts/test-cluster, root only), started or reused, left running.
#
# A service is added as one `ensure_*` function that starts it and registers its teardown with
# `at_exit`, plus one line in the "services" block at the end.
set -euo pipefail

log() { printf '==> test-env: %s\n' "$*" >&2; }
die() { printf 'test-env: %s\n' "$*" >&2; exit 1; }

# Teardowns run last-registered first, so a service started after another is stopped before it.
teardowns=()
at_exit() { teardowns+=("$1"); }
run_teardowns() {
  local status=$? i
  trap - EXIT INT TERM HUP
  for ((i = ${#teardowns[@]} - 1; i >= 0; i--)); do
    eval "${teardowns[i]}" || log "teardown failed: ${teardowns[i]}"
  done
  exit "$status"
}
trap run_teardowns EXIT
# Ctrl-C reaches the command too; once it has exited, leave with the shell's usual status.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- PostgreSQL --------------------------------------------------------------------------------

# The server binaries: from PATH (`nix develop`), else Debian's versioned directory, which is not
# on PATH (`just tools` installs the `postgresql` package).
pg_bin_dir() {
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v pg_ctl)"
  elif compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    dirname "$(printf '%s\n' /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)"
  fi
}

# PostgreSQL refuses to run as root (CI runs as root), so root runs it as an unprivileged user.
pg_user=
as_pg_user() {
  if [ -n "$pg_user" ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi
}

ensure_postgres() {
  local bin dir port attempt
  bin=$(pg_bin_dir)
  [ -n "$bin" ] || die "DATABASE_URL is unset and no PostgreSQL server is installed to start one: run \`just tools\` (or \`nix develop\`), or set DATABASE_URL to a server the tests may create databases on"
  if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then pg_user=postgres; else pg_user=nobody; fi
    command -v runuser >/dev/null || die "running as root, but runuser (util-linux) is missing to start PostgreSQL as $pg_user"
  fi

  dir=$(mktemp -d "${TMPDIR:-/tmp}/todo-chatbot-test-postgres.XXXXXX")
  at_exit "rm -rf '$dir'"
  [ -z "$pg_user" ] || chown "$pg_user" "$dir"
  # The password is the one every test's default URL uses; the server only listens on loopback.
  as_pg_user sh -c "umask 077 && printf postgres > '$dir/password'"
  as_pg_user "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/password" --auth=scram-sha-256 \
    --encoding=UTF8 --no-sync --no-instructions >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed (as ${pg_user:-$(id -un)} in $dir)"; }

  # Another process may take the port between the check and the bind; then try another one.
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    port_open "$port" && continue
    # Durability is worth nothing for data deleted at exit, and skipping it makes the tests faster.
    if as_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
      "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
      at_exit "as_pg_user '$bin/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1 || true"
      export DATABASE_URL="postgres://postgres:postgres@127.0.0.1:$port/postgres"
      log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for this run at 127.0.0.1:$port (data in $dir, removed at exit)"
      return
    fi
    grep -q "could not bind\|Address already in use" "$dir/server.log" 2>/dev/null || break
    log "port $port was taken; trying another"
  done
  tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
  die "the throwaway PostgreSQL did not start (log above)"
}

# --- Test cluster ------------------------------------------------------------------------------

# Started (or found running) and left running: the next run reuses it; `just test-cluster down`
# removes it. The kit reaches it through TEST_* variables only, so nothing else in the suite
# sees a KUBECONFIG it did not ask for.
ensure_test_cluster() {
  local cluster
  cluster="$(dirname "${BASH_SOURCE[0]}")/test-cluster/cluster.sh"
  if [ "$(id -u)" -ne 0 ]; then
    die "TEST_KUBE_CONTEXT is unset and the test cluster needs root to start: run as root, or name a cluster of yours (TEST_KUBE_CONTEXT=minikube, with TEST_KUBECONFIG if it is not in ~/.kube/config)"
  fi
  "$cluster" up
  eval "$("$cluster" env)"
  export TEST_KUBE_CONTEXT=test-cluster TEST_KUBECONFIG="$KUBECONFIG" \
    TEST_CONTAINERD_ADDRESS="$CONTAINERD_ADDRESS" TEST_CRICTL="$CRICTL"
  unset KUBECONFIG CONTAINERD_ADDRESS CRICTL
}

# --- services ----------------------------------------------------------------------------------

[ $# -gt 0 ] || die "usage: scripts/test-env.sh COMMAND [ARGS...]"

if [ -n "${DATABASE_URL:-}" ]; then
  log "PostgreSQL from DATABASE_URL"
else
  ensure_postgres
fi

if [ -n "${TEST_KUBE_CONTEXT:-}" ]; then
  log "Kubernetes from TEST_KUBE_CONTEXT=$TEST_KUBE_CONTEXT"
else
  ensure_test_cluster
fi

"$@"
