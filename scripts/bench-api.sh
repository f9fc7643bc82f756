#!/usr/bin/env bash
# Benchmark todo-api (release build) against PostgreSQL, beside PostgreSQL's own ceiling.
#
# For each scenario — list tasks (20 tasks), create a task, chat with the built-in agent — one
# round drives our endpoint with wrk, then runs the SQL that endpoint sends with pgbench at the
# same concurrency (clients and threads) on the same server, and reports both and their ratio.
# Rounds are repeated (default 3) so the spread shows; the summary gives each ratio's median
# and range. Also measured: the service's own CPU time (user + system, from /proc) per request,
# RSS idle and peak under load, and start → /readyz 200.
#
# The service runs with the chart's defaults (LOG_LEVEL=info, LOG_FORMAT=json, a pool of 10),
# its log written to a file, as a container runtime would.
#
# Needs: wrk, pgbench, psql, curl, jq. PostgreSQL: DATABASE_URL (a superuser URL) when set;
# otherwise a throwaway server is started from the installed binaries and removed at exit.
#
#   scripts/bench-api.sh [seconds-per-run] [rounds]
#
# Environment: BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_LOG_LEVEL (info),
# BENCH_LOG_FORMAT (json), BENCH_DB_CONNECTIONS (10), BENCH_PORT (18765), BENCH_BIN (a prebuilt
# binary instead of building this checkout), BENCH_ONLY (space-separated scenario names),
# BENCH_PERF (a file: `perf record -g` of the service during the first list run; profile a
# binary built with symbols and frame pointers, see BENCHMARKS.md),
# BENCH_KEEP (a directory to copy wrk/pgbench outputs and the server log to), BENCH_CHAT_SQL
# (`six`: the chat ceiling of builds before c4b7602, with BENCH_BIN).
# The table is printed and written to target/bench-api.md.
set -euo pipefail

DURATION="${1:-10}"
ROUNDS="${2:-3}"
CONNS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
SCENARIOS="${BENCH_ONLY:-list create chat}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/target/bench-api.md"

for tool in wrk pgbench psql curl jq; do
  command -v "$tool" >/dev/null || { echo "bench-api: $tool not found (Debian: apt-get install $tool; pgbench is in postgresql-contrib or postgresql-client)" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-api.XXXXXX")"
PID=""
PG_STOP=""
DB=""
ADMIN_URL="${DATABASE_URL:-}"
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true; fi
  if [ -n "$DB" ] && [ -z "$PG_STOP" ]; then
    psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ -n "$PG_STOP" ]; then eval "$PG_STOP" >/dev/null 2>&1 || true; fi
  if [ -n "${BENCH_KEEP:-}" ]; then mkdir -p "$BENCH_KEEP" && cp "$WORK"/*.txt "$WORK"/*.sql "$WORK/server.log" "$BENCH_KEEP/" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# A throwaway PostgreSQL with the server's defaults (durable commits included): the ceiling is
# measured on the very server the service uses, so whatever its settings, the ratio compares
# like with like.
start_postgres() {
  local bin user="" port
  bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  command -v pg_ctl >/dev/null && bin=$(dirname "$(command -v pg_ctl)")
  [ -x "$bin/pg_ctl" ] || { echo "bench-api: DATABASE_URL is unset and no PostgreSQL server is installed" >&2; exit 1; }
  # PostgreSQL refuses to run as root.
  if [ "$(id -u)" -eq 0 ]; then user=postgres; id postgres >/dev/null 2>&1 || user=nobody; chown "$user" "$WORK"; fi
  as() { if [ -n "$user" ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
  as sh -c "umask 077 && printf postgres > '$WORK/pgpass'"
  as "$bin/initdb" -D "$WORK/pg" -U postgres --pwfile="$WORK/pgpass" --auth=scram-sha-256 \
    --encoding=UTF8 --no-instructions >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; exit 1; }
  port=$((20000 + RANDOM % 40000))
  as "$bin/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $WORK -c max_connections=100" start >/dev/null \
    || { cat "$WORK/pg.log" >&2; exit 1; }
  PG_STOP="$(declare -f as); user='$user'; as '$bin/pg_ctl' -D '$WORK/pg' -m fast stop"
  ADMIN_URL="postgres://postgres:postgres@127.0.0.1:$port/postgres"
  PG_VERSION=$("$bin/postgres" --version | awk '{print $3}')
}
if [ -z "$ADMIN_URL" ]; then
  start_postgres
else
  PG_VERSION=$(psql "$ADMIN_URL" -Atc 'SHOW server_version' | awk '{print $1}')
fi

if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
else
  echo "bench-api: building the release binary" >&2
  (cd "$ROOT" && cargo build --release -p todo-api --quiet)
  BIN="$ROOT/target/release/todo-api"
fi

DB="todo_bench_$(date +%s)"
psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
DB_URL="${ADMIN_URL%/*}/$DB"
PORT="${BENCH_PORT:-18765}"
BASE="http://127.0.0.1:$PORT"

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# start_server: starts the service; READY_MS is the time from exec to the first /readyz 200.
start_server() {
  local start_ns
  start_ns=$(date +%s%N)
  DATABASE_URL="$DB_URL" JWT_SECRET="bench-secret-bench-secret-bench-secret-0001" PORT="$PORT" \
    BIND_ADDR=127.0.0.1 AGENT=builtin LOG_LEVEL="${BENCH_LOG_LEVEL:-info}" \
    LOG_FORMAT="${BENCH_LOG_FORMAT:-json}" DB_MAX_CONNECTIONS="${BENCH_DB_CONNECTIONS:-10}" \
    "$BIN" 2>>"$WORK/server.log" >&2 &
  PID=$!
  until curl -fs -o /dev/null "$BASE/readyz"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.002
  done
  READY_MS=$(( ($(date +%s%N) - start_ns) / 1000000 ))
}

# Fresh database first (includes applying the migrations), then the usual pod restart.
start_server; ready_ms=$READY_MS
kill "$PID"; wait "$PID" 2>/dev/null || true
start_server; ready_warm_ms=$READY_MS

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
# One chat turn, so the ceiling's script stores the very reply and tool calls the service does.
CHAT=$(curl -fs -X POST "$BASE/api/$U3/chat" -H "authorization: Bearer $T3" \
  -H 'content-type: application/json' -d "{\"message\":\"What's pending?\"}")
[ "$(jq '.tool_calls[0].result.count' <<<"$CHAT")" = 20 ] \
  || { echo "bench-api: the chat turn did not list 20 pending tasks: $CHAT" >&2; exit 1; }
sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }
REPLY_SQL=$(sql_literal "$(jq -r .response <<<"$CHAT")")
CALLS_SQL=$(sql_literal "$(jq -c .tool_calls <<<"$CHAT")")
sleep 1
idle_kib=$(rss_kib "$PID")

# --- the endpoints' SQL, as the service sends it (keep in step with src/tasks.rs, src/chat.rs) ---
COLUMNS_SQL="id, user_id, title, description, completed, created_at, updated_at"
cat >"$WORK/list.sql" <<EOF
SELECT $COLUMNS_SQL FROM tasks WHERE user_id = :list_user ORDER BY id;
EOF
cat >"$WORK/create.sql" <<EOF
INSERT INTO tasks (user_id, title, description) VALUES (:create_user, 'Created by wrk', 'load') RETURNING $COLUMNS_SQL;
EOF
# A new conversation's turn for "What's pending?": the tool's query, then the statement that
# stores the turn (a new conversation has no history to read first). BENCH_CHAT_SQL=six is
# what the service sent before c4b7602 — open the conversation, read its history, store the
# message, the tool's query, store the reply, touch the conversation — to measure that build.
if [ "${BENCH_CHAT_SQL:-}" = six ]; then
  cat >"$WORK/chat.sql" <<EOF
INSERT INTO conversations (user_id) VALUES (:chat_user) RETURNING id \\gset conv_
SELECT role, content FROM messages WHERE conversation_id = :conv_id AND user_id = :chat_user ORDER BY id DESC LIMIT 20;
INSERT INTO messages (user_id, conversation_id, role, content) VALUES (:chat_user, :conv_id, 'user', 'What''s pending?');
SELECT $COLUMNS_SQL FROM tasks WHERE user_id = :chat_user AND NOT completed ORDER BY id;
INSERT INTO messages (user_id, conversation_id, role, content, tool_calls) VALUES (:chat_user, :conv_id, 'assistant', $REPLY_SQL, $CALLS_SQL);
UPDATE conversations SET updated_at = now() WHERE id = :conv_id;
EOF
else
  cat >"$WORK/chat.sql" <<EOF
SELECT $COLUMNS_SQL FROM tasks WHERE user_id = :chat_user AND NOT completed ORDER BY id;
WITH created AS (INSERT INTO conversations (user_id) SELECT :chat_user::uuid WHERE NULL::bigint IS NULL RETURNING id), touched AS (UPDATE conversations SET updated_at = now() WHERE id = NULL::bigint AND user_id = :chat_user RETURNING id), conv AS (SELECT id FROM created UNION ALL SELECT id FROM touched), stored AS (INSERT INTO messages (user_id, conversation_id, role, content, tool_calls) VALUES (:chat_user, (SELECT id FROM conv), 'user', 'What''s pending?', '[]'::jsonb), (:chat_user, (SELECT id FROM conv), 'assistant', $REPLY_SQL, $CALLS_SQL)) SELECT id FROM conv;
EOF
fi

cat >"$WORK/list.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $T1"
EOF
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
declare -A URL=([list]="$BASE/api/$U1/tasks" [create]="$BASE/api/$U2/tasks" [chat]="$BASE/api/$U3/chat")

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

# CPU time (user + system) the service has used, in microseconds.
cpu_us() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($14 + $15) * 1000000 / hz}' "/proc/$PID/stat"; }

# ours NAME ROUND: prints "req/s p50 p99 non-2xx cpu-µs-per-request"
ours() {
  local out="$WORK/wrk-$1-$2.txt" rps p50 p99 non2xx perf="" cpu0 cpu1 n
  if [ -n "${BENCH_PERF:-}" ] && [ "$1" = list ] && [ "$2" = 1 ]; then
    perf record -q -F 1999 -g -p "$PID" -o "$BENCH_PERF" -- sleep "$DURATION" >/dev/null 2>&1 &
    perf=$!
  fi
  cpu0=$(cpu_us)
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$WORK/$1.lua" "${URL[$1]}" >"$out"
  cpu1=$(cpu_us)
  if [ -n "$perf" ]; then wait "$perf" || true; fi
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$out")
  n=$(awk '/requests in/ {print $1}' "$out")
  echo "$rps $p50 $p99 ${non2xx:-0} $(( (cpu1 - cpu0) / (n > 0 ? n : 1) ))"
}

# ceiling NAME ROUND: pgbench with the same clients and threads; prints "tps latency-ms".
# Prepared statements, as sqlx sends them.
ceiling() {
  local out="$WORK/pgbench-$1-$2.txt"
  pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$DURATION" \
    -D list_user="$U1" -D create_user="$U2" -D chat_user="$U3" -f "$WORK/$1.sql" "$DB_URL" >"$out" 2>&1 \
    || { cat "$out" >&2; exit 1; }
  awk '/^tps =/ {tps=$3} /^latency average/ {lat=$4} END {printf "%.0f %s\n", tps, lat}' "$out"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rm -f "$WORK/stop"; sample_rss & SAMPLER=$!
declare -A RATIOS
rows=()
for round in $(seq 1 "$ROUNDS"); do
  for s in $SCENARIOS; do
    read -r rps p50 p99 err cpu < <(ours "$s" "$round")
    read -r tps lat < <(ceiling "$s" "$round")
    ratio=$(awk -v a="$rps" -v b="$tps" 'BEGIN {printf "%.0f", 100 * a / b}')
    RATIOS[$s]+="$ratio "
    rows+=("| $round | $s | $(printf '%.0f' "$rps") | $p50 | $p99 | $err | $cpu µs | $tps | $lat ms | $ratio % |")
    echo "bench-api: round $round $s: ours $rps req/s, pgbench $tps tps ($ratio %)" >&2
  done
done
touch "$WORK/stop"; wait "$SAMPLER" 2>/dev/null || true
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
load_kib=$(cat "$peak_file")
after_kib=$(rss_kib "$PID")

# Sanity: the list answer really has 20 tasks.
n=$(curl -fs "$BASE/api/$U1/tasks" -H "authorization: Bearer $T1" | jq length)
[ "$n" = 20 ] || { echo "bench-api: expected 20 tasks, got $n" >&2; exit 1; }

# Every list request left its access line once the service has shut down: at least the ones wrk
# counted (plus the check above), at most one more per connection and round (requests wrk
# abandoned when its time ran out, which the service still answered).
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
access_lines="n/a (not JSON)"
if [ "${BENCH_LOG_FORMAT:-json}" = json ] && [[ " $SCENARIOS " == *" list "* ]]; then
  sent=$(cat "$WORK"/wrk-list-*.txt | awk '/requests in/ {n += $1} END {print n + 1}')
  logged=$(grep -F '"message":"response"' "$WORK/server.log" | grep -F '"method":"GET"' | grep -cF "/api/$U1/tasks" || true)
  access_lines="$logged logged for $sent list requests wrk counted"
  if [ "$logged" -lt "$sent" ] || [ "$logged" -gt $((sent + CONNS * ROUNDS)) ]; then
    echo "bench-api: $access_lines — access lines were lost or duplicated" >&2; exit 1
  fi
fi

# median and range of a list of integers
spread() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR]=$1} END {printf "%s %% (%s–%s %%)", v[int((NR+1)/2)], v[1], v[NR]}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k/1024}'; }
{
  echo "todo-api $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), PostgreSQL $PG_VERSION, $(nproc) CPUs," \
    "LOG_LEVEL=${BENCH_LOG_LEVEL:-info} LOG_FORMAT=${BENCH_LOG_FORMAT:-json}, $CONNS connections, $THREADS threads, ${DURATION}s per run," \
    "chat ceiling SQL: ${BENCH_CHAT_SQL:-current}, load average before $load_before, after $load_after"
  echo
  echo "| Round | Scenario | Ours req/s | p50 | p99 | Non-2xx | Service CPU per request | pgbench tps | pgbench latency | Ours / pgbench |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "| Scenario | Ours / pgbench, median (range) over $ROUNDS rounds |"
  echo "|---|---:|"
  for s in $SCENARIOS; do echo "| $s | $(spread "${RATIOS[$s]}") |"; done
  echo
  echo "| Resource | Value |"
  echo "|---|---:|"
  echo "| Start → /readyz 200, empty database (runs migrations) | ${ready_ms} ms |"
  echo "| Start → /readyz 200, migrated database | ${ready_warm_ms} ms |"
  echo "| RSS idle (after start, 3 users, 40 tasks, 1 chat turn) | $(mib "$idle_kib") |"
  echo "| RSS peak under load | $(mib "$load_kib") |"
  echo "| RSS after load | $(mib "$after_kib") |"
  echo "| Binary size | $(du -h "$BIN" | cut -f1) |"
  echo "| Access log lines (list) | $access_lines |"
} | tee "$OUT"
