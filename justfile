# The pipeline and the developer recipes. `just` alone lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]
set positional-arguments

# Tools installed by `just tools` come first; a tool from `nix develop` is found after them.
export PATH := justfile_directory() + "/.tools/bin:" + env_var("PATH")
export CARGO_HUSKY_DONT_INSTALL_HOOKS := env_var_or_default("CARGO_HUSKY_DONT_INSTALL_HOOKS", "false")

# List the recipes.
default:
    @just --list --unsorted

# Install helm 4 + 3, kubectl, hadolint, just, cargo-nextest and the system packages the tests need (no Nix).
tools:
    scripts/install-tools.sh

# Format the code.
fmt:
    cargo fmt --all

# Check formatting, clippy, Dockerfiles and the flake.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    if compgen -G "docker/*.Dockerfile" >/dev/null; then hadolint docker/*.Dockerfile; fi
    nix-instantiate --parse flake.nix >/dev/null

# Run every test (needs `just tools` or `nix develop`; a throwaway PostgreSQL unless $DATABASE_URL is set).
test *args:
    scripts/check-test-env.sh
    scripts/test-env.sh cargo nextest run --workspace --locked --no-fail-fast "$@"
    cargo test --workspace --locked --doc

# What CI runs: lint, then the whole test suite.
ci: lint test

# A real single-node Kubernetes for the tests, run as host processes (needs root; see
# docs/test-cluster.md): up | down | status | kubeconfig | env.
test-cluster command="status":
    scripts/test-cluster/cluster.sh "$1"

# Run the app locally without a cluster: PostgreSQL, todo-api and todo-web; prints the URL.
dev:
    scripts/dev.sh

# Benchmark todo-api beside pgbench running the same SQL (release build, wrk, a throwaway PostgreSQL unless $DATABASE_URL): [seconds] [rounds]; method and figures in BENCHMARKS.md.
bench-api *args:
    scripts/bench-api.sh "$@"

# Time the built-in agent's parser and title matching over the test corpus; figures in BENCHMARKS.md.
bench-agent:
    cargo bench --quiet -p todo-api --bench builtin_parse

# Time `todoctl deploy` step by step on a real cluster (first, unchanged, one-line change): [context]; figures in BENCHMARKS.md.
bench-deploy *args:
    scripts/bench-deploy.sh "$@"

# Every benchmark (bench-deploy on the test cluster: `just test-cluster up` first).
bench: bench-api bench-agent bench-deploy

# The todoctl CLI, built from this checkout.
todoctl *args:
    cargo run --quiet -p todoctl -- "$@"

# Build, ship, deploy and verify: preflight → images → load → chart check → release → verify live.
deploy profile="dev" *args:
    just todoctl deploy --profile "$1" "${@:2}"

# Print every command `just deploy` would run, in order, without touching anything.
deploy-plan profile="dev" *args:
    just todoctl --dry-run deploy --profile "$1" "${@:2}"

# Is this machine ready to deploy? (exit 0 ready, 1 blocked, 2 warnings only)
preflight profile="dev" *args:
    just todoctl preflight --profile "$1" "${@:2}"

# Check the Dockerfiles, then build both images (content-tagged) and report their sizes.
images *args:
    just todoctl images check "$@"
    just todoctl images build "$@"

# Lint the chart with Helm 4 and Helm 3 in every profile, and check the typed values.
chart-lint:
    for helm in helm helm3; do \
      for values in "" "-f helm/todo-chatbot/values-dev.yaml" "-f helm/todo-chatbot/values-prod.yaml"; do \
        $helm lint --strict helm/todo-chatbot $values >/dev/null || { echo "$helm lint --strict $values failed" >&2; $helm lint --strict helm/todo-chatbot $values; exit 1; }; \
      done; \
    done
    for profile in default dev prod; do just todoctl values check --profile $profile; done
    just todoctl values schema
    just todoctl chart check --all --strict

# The release, its pods, Services and volumes.
status *args:
    just todoctl status "$@"

# Diagnose a broken deployment, with the fix for each problem.
doctor *args:
    just todoctl doctor "$@"

# Ask kubectl-ai or kagent about the deployment (doctor answers when neither is set up).
ai question *args:
    just todoctl ai "$@"

# Uninstall the release; the database volume stays unless `just down --purge`.
down *args:
    just todoctl down "$@"

# Roll the release back (to the previous revision, or the one given).
rollback *args:
    just todoctl rollback "$@"

# Dump the embedded PostgreSQL to a file (0600).
backup file="todo-chatbot-backup.sql":
    just todoctl db backup "$1"

# Restore a dump made by `just backup`.
restore file:
    just todoctl db restore "$1"

# Open the app through kubectl port-forward (works with every driver).
port-forward *args:
    just todoctl port-forward "$@"
