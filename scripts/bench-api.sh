#!/usr/bin/env bash
# Benchmark todo-api (release build) against the local PostgreSQL with wrk.
#
# Measures: list tasks (20 tasks), create task, chat with the built-in agent — requests/s,
# p50 and p99 latency at 32 connections — plus RSS idle and under load, and the time from
# process start to /readyz = 200. Prints a markdown table (also written to
# target/bench-api.md).
#
# Needs: wrk (Debian: apt-get install wrk), curl, jq, psql, a PostgreSQL superuser URL in
# DATABASE_URL (default: the local one). Usage: scripts/bench-api.sh [duration-seconds]
set -euo pipefail

DURATION="${1:-10}"
CONNS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
ADMIN_URL="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/target/bench-api.md"

for tool in wrk curl jq psql; do
  command -v "$tool" >/dev/null || { echo "bench-api: $tool not found (Debian: apt-get install $tool)" >&2; exit 1; }
done

echo "bench-api: building the release binary" >&2
(cd "$ROOT" && cargo build --release -p todo-api --quiet)
BIN="$ROOT/target/release/todo-api"

DB="todo_bench_$(date +%s)"
psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
DB_URL="${ADMIN_URL%/*}/$DB"
PORT="${BENCH_PORT:-18765}"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# Start and time until ready (fresh database: includes applying the migrations).
start_ns=$(date +%s%N)
DATABASE_URL="$DB_URL" JWT_SECRET="bench-secret-bench-secret-bench-secret-0001" PORT="$PORT" \
  BIND_ADDR=127.0.0.1 AGENT=builtin LOG_LEVEL="${BENCH_LOG_LEVEL:-warn}" \
  DB_MAX_CONNECTIONS="${BENCH_DB_CONNECTIONS:-10}" "$BIN" 2>"$WORK/server.log" &
PID=$!
until curl -fs -o /dev/null "$BASE/readyz"; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.002
done
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

# Warm restart on the migrated database (the usual pod restart).
kill "$PID"; wait "$PID" 2>/dev/null || true
start_ns=$(date +%s%N)
DATABASE_URL="$DB_URL" JWT_SECRET="bench-secret-bench-secret-bench-secret-0001" PORT="$PORT" \
  BIND_ADDR=127.0.0.1 AGENT=builtin LOG_LEVEL="${BENCH_LOG_LEVEL:-warn}" \
  DB_MAX_CONNECTIONS="${BENCH_DB_CONNECTIONS:-10}" "$BIN" 2>"$WORK/server.log" &
PID=$!
until curl -fs -o /dev/null "$BASE/readyz"; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.002
done
ready_warm_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

register() {
  curl -fs -X POST "$BASE/api/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"$1@bench.example\",\"password\":\"bench-password-1\"}"
}
R1=$(register lister); U1=$(jq -r .user_id <<<"$R1"); T1=$(jq -r .token <<<"$R1")
R2=$(register creator); U2=$(jq -r .user_id <<<"$R2"); T2=$(jq -r .token <<<"$R2")
R3=$(register chatter); U3=$(jq -r .user_id <<<"$R3"); T3=$(jq -r .token <<<"$R3")
for i in $(seq 1 20); do
  for pair in "$U1:$T1" "$U3:$T3"; do
    curl -fs -o /dev/null -X POST "$BASE/api/${pair%%:*}/tasks" -H "authorization: Bearer ${pair#*:}" \
      -H 'content-type: application/json' -d "{\"title\":\"Benchmark task $i\",\"description\":\"seeded\"}"
  done
done
sleep 1
idle_kib=$(rss_kib "$PID")

cat >"$WORK/create.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"title":"Created by wrk","description":"load"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $T2"
EOF
cat >"$WORK/chat.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"message":"What\'s pending?"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $T3"
EOF

peak_file="$WORK/peak"
echo 0 >"$peak_file"
sample_rss() {
  local peak=0 v
  while kill -0 "$PID" 2>/dev/null && [ ! -e "$WORK/stop" ]; do
    v=$(rss_kib "$PID" || echo 0)
    [ "$v" -gt "$peak" ] && peak=$v && echo "$peak" >"$peak_file"
    sleep 0.2
  done
}

# run NAME URL [LUA]: prints "req/s p50 p99 errors"
run() {
  local name=$1 url=$2 lua=${3:-}
  local args=(-t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency)
  [ -n "$lua" ] && args+=(-s "$lua") || args+=(-H "Authorization: Bearer $T1")
  wrk "${args[@]}" "$url" >"$WORK/$name.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/$name.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/$name.txt")
  echo "$rps ${p50} ${p99} ${non2xx:-0}"
}

rm -f "$WORK/stop"; sample_rss & SAMPLER=$!
read -r list_rps list_p50 list_p99 list_err < <(run list "$BASE/api/$U1/tasks")
read -r create_rps create_p50 create_p99 create_err < <(run create "$BASE/api/$U2/tasks" "$WORK/create.lua")
read -r chat_rps chat_p50 chat_p99 chat_err < <(run chat "$BASE/api/$U3/chat" "$WORK/chat.lua")
touch "$WORK/stop"; wait "$SAMPLER" 2>/dev/null || true
load_kib=$(cat "$peak_file")
after_kib=$(rss_kib "$PID")

# Sanity: the list answer really has 20 tasks.
n=$(curl -fs "$BASE/api/$U1/tasks" -H "authorization: Bearer $T1" | jq length)
[ "$n" = 20 ] || { echo "bench-api: expected 20 tasks, got $n" >&2; exit 1; }

mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k/1024}'; }
{
  echo "| Scenario ($CONNS connections, ${DURATION}s, wrk -t$THREADS) | Requests/s | p50 | p99 | Non-2xx |"
  echo "|---|---:|---:|---:|---:|"
  echo "| GET /api/{user_id}/tasks (20 tasks) | $list_rps | $list_p50 | $list_p99 | $list_err |"
  echo "| POST /api/{user_id}/tasks | $create_rps | $create_p50 | $create_p99 | $create_err |"
  echo "| POST /api/{user_id}/chat (built-in agent, \"What's pending?\", 20 tasks) | $chat_rps | $chat_p50 | $chat_p99 | $chat_err |"
  echo
  echo "| Resource | Value |"
  echo "|---|---:|"
  echo "| Start → /readyz 200, empty database (runs migrations) | ${ready_ms} ms |"
  echo "| Start → /readyz 200, migrated database | ${ready_warm_ms} ms |"
  echo "| RSS idle (after start, 3 users, 40 tasks) | $(mib "$idle_kib") |"
  echo "| RSS peak under load | $(mib "$load_kib") |"
  echo "| RSS after load | $(mib "$after_kib") |"
  echo "| Binary size | $(du -h "$BIN" | cut -f1) |"
} | tee "$OUT"
