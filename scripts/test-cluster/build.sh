#!/usr/bin/env bash
# Builds the test cluster's binaries from their Go modules into the cache (versions.sh), and
# prints the directory that holds them all. A component whose cached binaries exist is not
# built again, so a second run builds nothing.
#
# Under `nix develop` the flake provides kube-apiserver, etcd, coredns, … on PATH; set
# TEST_CLUSTER_USE_PATH=1 to use those instead of building (cluster.sh checks their versions).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
log() { printf '==> test-cluster build: %s\n' "$*" >&2; }

# A wrapper module per component: `module`, `go`, the requires and replaces that make the
# component's commands build outside its own repository, and a `tool` line per command.
# Args: dir, then the go.mod body.
write_wrapper() {
  mkdir -p "$1"
  printf '%s\n' "$2" >"$1/go.mod"
  (cd "$1" && go mod tidy >/dev/null)
}

# k8s.io/kubernetes points its staging modules at ./staging with replace lines that only work
# inside its repository; map each one to its published tag (v1.35.N → v0.35.N) instead. The list
# comes from the module's own go.mod, so a new staging module needs no edit here.
build_kubernetes() {
  local out="$TEST_CLUSTER_CACHE/kubernetes-$KUBERNETES_VERSION"
  local commands=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
  if all_present "$out" "${commands[@]}"; then return; fi
  log "kubernetes $KUBERNETES_VERSION (cold: tens of minutes on 2 cores)"
  local src="$TEST_CLUSTER_CACHE/src/kubernetes-$KUBERNETES_VERSION" gomod staging_version
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  staging_version="v0${KUBERNETES_VERSION#v1}"
  local body="module todo-chatbot.test/kubernetes

go $(sed -n 's/^go //p' "$gomod")

require k8s.io/kubernetes $KUBERNETES_VERSION
"
  local module
  while read -r module; do
    body+="replace $module => $module $staging_version
"
  done < <(sed -n 's/^\t\(k8s.io\/[a-z0-9-]*\) => \.\/staging\/.*/\1/p' "$gomod")
  local command
  for command in "${commands[@]}"; do body+="tool k8s.io/kubernetes/cmd/$command
"; done
  write_wrapper "$src" "$body"

  # What hack/lib/version.sh sets: without it the server reports v0.0.0-master and Helm's
  # kubeVersion checks fail.
  local major minor ldflags="-s -w" key value
  major=${KUBERNETES_VERSION#v}; major=${major%%.*}
  minor=${KUBERNETES_VERSION#v*.}; minor=${minor%%.*}
  for pair in "gitVersion=$KUBERNETES_VERSION" "gitMajor=$major" "gitMinor=$minor" \
    "gitTreeState=clean" "gitCommit=module-$KUBERNETES_VERSION" "buildDate=1970-01-01T00:00:00Z"; do
    key=${pair%%=*}; value=${pair#*=}
    ldflags+=" -X k8s.io/component-base/version.$key=$value -X k8s.io/client-go/pkg/version.$key=$value"
  done
  local packages=()
  for command in "${commands[@]}"; do packages+=("k8s.io/kubernetes/cmd/$command"); done
  build_into "$src" "$out" -ldflags "$ldflags" "${packages[@]}"
}

# etcd's server module replaces its sibling modules with ../ paths; they are published at the
# same version.
build_etcd() {
  local out="$TEST_CLUSTER_CACHE/etcd-$ETCD_VERSION"
  if all_present "$out" etcd; then return; fi
  log "etcd $ETCD_VERSION"
  local src="$TEST_CLUSTER_CACHE/src/etcd-$ETCD_VERSION" gomod
  gomod=$(go mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  local body="module todo-chatbot.test/etcd

go $(sed -n 's/^go //p' "$gomod")

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
tool go.etcd.io/etcd/server/v3
" module
  while read -r module; do
    body+="replace $module => $module $ETCD_VERSION
"
  done < <(sed -n 's/^\t\(go.etcd.io\/etcd\/[a-z0-9/]*\) => \.\..*/\1/p' "$gomod")
  write_wrapper "$src" "$body"
  # A single package built to a file name: the module path ends in /v3, which go build would
  # name the binary after.
  build_into "$src" "$out" -o "$out.tmp/etcd" -ldflags "-s -w" go.etcd.io/etcd/server/v3
}

# Modules with no local replaces: a plain wrapper. Args: name, version, module, package, binary.
build_plain() {
  local name=$1 version=$2 module=$3 package=$4 binary=$5
  local out="$TEST_CLUSTER_CACHE/$name-$version"
  if all_present "$out" "$binary"; then return; fi
  log "$name $version"
  local src="$TEST_CLUSTER_CACHE/src/$name-$version" gomod
  gomod=$(go mod download -json "$module@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  write_wrapper "$src" "module todo-chatbot.test/$name

go $(sed -n 's/^go //p' "$gomod")

require $module $version
tool $package"
  build_into "$src" "$out" -ldflags "-s -w" "$package"
}

# The pause container: Kubernetes' own C source, linked statically.
build_pause() {
  local out="$TEST_CLUSTER_CACHE/pause-$KUBERNETES_VERSION"
  if all_present "$out" pause; then return; fi
  log "pause (from k8s.io/kubernetes $KUBERNETES_VERSION build/pause)"
  local dir
  dir=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$out.tmp"
  gcc -Os -static -o "$out.tmp/pause" -DVERSION="$KUBERNETES_VERSION" "$dir/build/pause/linux/pause.c"
  strip "$out.tmp/pause"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

all_present() { # dir, binaries...
  local dir=$1 binary
  shift
  for binary in "$@"; do [ -x "$dir/$binary" ] || return 1; done
}

# Builds into a temporary directory and renames it, so an interrupted build leaves no half
# cache entry behind. Args: wrapper dir, output dir, go build args (a later -o wins).
build_into() {
  local src=$1 out=$2
  shift 2
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  (cd "$src" && go build -trimpath -o "$out.tmp/" "$@")
  rm -rf "$out" && mv "$out.tmp" "$out"
}

if [ "${TEST_CLUSTER_USE_PATH:-}" = 1 ]; then
  log "TEST_CLUSTER_USE_PATH=1: using the components on PATH, building only pause"
  build_pause
  exit 0
fi

mkdir -p "$TEST_CLUSTER_CACHE"
build_pause
build_etcd
build_plain coredns "$COREDNS_VERSION" github.com/coredns/coredns github.com/coredns/coredns coredns
build_plain metrics-server "$METRICS_SERVER_VERSION" sigs.k8s.io/metrics-server sigs.k8s.io/metrics-server/cmd/metrics-server metrics-server
build_plain crictl "$CRICTL_VERSION" sigs.k8s.io/cri-tools sigs.k8s.io/cri-tools/cmd/crictl crictl
build_kubernetes
