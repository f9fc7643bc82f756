# The pipeline and the developer recipes. `just` alone lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]
set positional-arguments

# Tools installed by `just tools` come first; a tool from `nix develop` is found after them.
export PATH := justfile_directory() + "/.tools/bin:" + env_var("PATH")
export CARGO_HUSKY_DONT_INSTALL_HOOKS := env_var_or_default("CARGO_HUSKY_DONT_INSTALL_HOOKS", "false")

# List the recipes.
default:
    @just --list --unsorted

# Install helm 4 + 3, kubectl, hadolint, just and the system packages the tests need (no Nix).
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

# Run every test (needs `just tools` and a PostgreSQL server at $DATABASE_URL).
test *args:
    scripts/check-test-env.sh
    cargo nextest run --workspace --locked --no-fail-fast "$@"
    cargo test --workspace --locked --doc

# What CI runs: lint, then the whole test suite.
ci: lint test

# The todoctl CLI, built from this checkout.
todoctl *args:
    cargo run --quiet -p todoctl -- "$@"
