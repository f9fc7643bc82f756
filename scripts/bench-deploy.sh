#!/usr/bin/env bash
# Time `todoctl deploy` on a real cluster, step by step, in three situations a user meets:
#
#   first      a release that does not exist yet (the images are built unless this tree's
#              content tags are already in the local store: the summary says which);
#   unchanged  the same deploy again: nothing to build, load or release, verify runs in full;
#   one-line   one comment line appended to todo-api's main.rs: the backend image is rebuilt,
#              loaded and rolled, the frontend left alone.
#
# Each deploy runs from a snapshot of the committed tree (`git archive HEAD`), into a namespace
# of its own that is removed at exit (`down --purge`, then the namespace). The summaries, with
# each step's time, are printed and written to target/bench-deploy.md.
#
#   scripts/bench-deploy.sh [context]
#
# The context defaults to the test cluster (`just test-cluster up` first), where images are
# built with buildah against the local base images and loaded into the node's containerd.
# Any other context takes the kit's defaults for it (BENCH_DEPLOY_FLAGS adds flags).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONTEXT="${1:-test-cluster}"
OUT="$ROOT/target/bench-deploy.md"
NS="bench-deploy-$$"
read -r -a FLAGS <<<"${BENCH_DEPLOY_FLAGS:-}"
if [[ "$CONTEXT" == test-cluster ]]; then
  eval "$("$ROOT/scripts/test-cluster/cluster.sh" env)"
  FLAGS+=(--engine buildah --offline)
fi

cargo build --quiet --locked -p todoctl --manifest-path "$ROOT/Cargo.toml"
TODOCTL="$ROOT/target/debug/todoctl"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-deploy.XXXXXX")"
cleanup() {
  (cd "$WORK/tree" 2>/dev/null && "$TODOCTL" down --purge --context "$CONTEXT" --namespace "$NS" >/dev/null 2>&1) || true
  kubectl --context "$CONTEXT" delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir "$WORK/tree"
git -C "$ROOT" archive HEAD | tar -x -C "$WORK/tree"
# Node ports chosen by Kubernetes: another release on the cluster may hold the chart's.
printf 'frontend:\n  service:\n    nodePort: null\n' >"$WORK/values.yaml"

{
  echo "# todoctl deploy on $CONTEXT, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Commit $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
} >"$OUT"

deploy() {
  local name="$1" start end
  start=$(date +%s.%N)
  (cd "$WORK/tree" && "$TODOCTL" deploy --profile dev --values "$WORK/values.yaml" \
    --context "$CONTEXT" --namespace "$NS" "${FLAGS[@]}") >"$WORK/$name.txt" 2>"$WORK/$name.err" || {
    cat "$WORK/$name.txt" "$WORK/$name.err" >&2
    echo "bench-deploy: the $name deploy failed" >&2
    exit 1
  }
  end=$(date +%s.%N)
  {
    echo
    echo "## $name: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }') s wall"
    echo
    echo '```'
    cat "$WORK/$name.txt"
    echo '```'
  } >>"$OUT"
}

deploy first
deploy unchanged
# Unique per run: the same line would give a content tag an earlier run already built.
echo "// bench-deploy: a one-line change ($(date +%s%N))" >>"$WORK/tree/crates/todo-api/src/main.rs"
deploy one-line

cat "$OUT"
echo "written to $OUT" >&2
