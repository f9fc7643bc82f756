#!/usr/bin/env bash
# A real single-node Kubernetes made of host processes, for the tests: `up | down | status |
# kubeconfig`. See docs/test-cluster.md for what runs where and how to debug one component.
#
# Every packet stays on this machine: the node address lives on an interface the script
# creates, pods sit on a bridge of their own, and CoreDNS answers only for cluster.local.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

STATE=${TEST_CLUSTER_STATE:-/var/lib/todo-test-cluster}
CONTEXT=test-cluster
NODE_NAME=test-cluster
NODE_IP=10.213.0.1
NODE_LINK=todo-tc0
POD_CIDR=10.244.0.0/16
NODE_POD_SUBNET=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
BRIDGE=cni0
FIREWALL_CHAIN=TODO-TEST-CLUSTER
# Where the in-tree hostPath provisioner creates volumes (fixed by Kubernetes).
HOSTPATH_PV_DIR=/tmp/hostpath_pv

PAUSE_IMAGE=localhost/test-cluster/pause:$KUBERNETES_VERSION
COREDNS_IMAGE=localhost/test-cluster/coredns:$COREDNS_VERSION
METRICS_SERVER_IMAGE=localhost/test-cluster/metrics-server:$METRICS_SERVER_VERSION
# The chart's embedded database image, `postgresql.image` in its values.yaml: no registry is
# reachable, so a stand-in carries that name.
POSTGRES_IMAGE=$(awk '
  /^[^ #]/ { in_pg = ($1 == "postgresql:") }
  in_pg && /^  [^ #]/ { in_image = ($1 == "image:") }
  in_pg && in_image && $1 == "repository:" { repository = $2 }
  in_pg && in_image && $1 == "tag:" { gsub(/"/, "", $2); tag = $2 }
  END { if (repository != "" && tag != "") print repository ":" tag }
' "$here/../../helm/todo-chatbot/values.yaml")
[ -n "$POSTGRES_IMAGE" ] || { echo "test-cluster: no postgresql.image in helm/todo-chatbot/values.yaml" >&2; exit 1; }

PKI=$STATE/pki
LOGS=$STATE/logs
PIDS=$STATE/pids
KUBECONFIG_FILE=$STATE/kubeconfig
CONTAINERD_SOCK=$STATE/containerd/containerd.sock
# Start order.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler volume-permissions containerd kubelet kube-proxy)

log() { printf '==> test-cluster: %s\n' "$*" >&2; }
die() { printf 'test-cluster: %s\n' "$*" >&2; exit 1; }
kubectl_admin() { kubectl --kubeconfig "$KUBECONFIG_FILE" --context "$CONTEXT" "$@"; }
ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# Where each binary comes from: the build cache, or PATH under TEST_CLUSTER_USE_PATH=1.
binary() {
  local name=$1 dir
  if [ "${TEST_CLUSTER_USE_PATH:-}" = 1 ] && [ "$name" != pause ]; then
    command -v "$name" || die "$name is not on PATH (TEST_CLUSTER_USE_PATH=1)"
    return
  fi
  case $name in
    kube-*|kubelet) dir=kubernetes-$KUBERNETES_VERSION ;;
    etcd) dir=etcd-$ETCD_VERSION ;;
    coredns) dir=coredns-$COREDNS_VERSION ;;
    metrics-server) dir=metrics-server-$METRICS_SERVER_VERSION ;;
    crictl) dir=crictl-$CRICTL_VERSION ;;
    pause) dir=pause-$KUBERNETES_VERSION ;;
    *) die "unknown binary $name" ;;
  esac
  [ -x "$TEST_CLUSTER_CACHE/$dir/$name" ] || die "$name is not built: run scripts/test-cluster/build.sh"
  echo "$TEST_CLUSTER_CACHE/$dir/$name"
}

# ---------------------------------------------------------------------------------------------
# Processes

pid_of() { [ -f "$PIDS/$1" ] && cat "$PIDS/$1"; }
running() { local pid; pid=$(pid_of "$1") && kill -0 "$pid" 2>/dev/null; }

# Starts a component in its own session, so it outlives this script. Args: name, argv...
start() {
  local name=$1
  shift
  mkdir -p "$LOGS" "$PIDS"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name"
}

# Fails `up` with the component's name and the end of its log.
failed() {
  local name=$1 why=$2
  printf 'test-cluster: %s %s; last lines of %s:\n' "$name" "$why" "$LOGS/$name.log" >&2
  tail -n 25 "$LOGS/$name.log" >&2 2>/dev/null || true
  exit 1
}

# Polls a check until it passes, failing when the component exits or time runs out.
# Args: name, seconds, check command...
wait_for() {
  local name=$1 seconds=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    running "$name" || failed "$name" "exited during start-up"
    [ $SECONDS -lt $deadline ] || failed "$name" "was not ready after ${seconds}s"
    sleep 0.5
  done
}

# Stops components: SIGTERM to each one's process group, a short grace for all of them at once,
# then SIGKILL. Nothing here holds data worth a clean shutdown (`down` removes it all), and
# kube-apiserver alone would take over ten seconds to finish on its own.
stop() { # names...
  local name pid pids=()
  for name in "$@"; do
    pid=$(pid_of "$name") || continue
    kill -TERM -- "-$pid" 2>/dev/null && pids+=("$pid")
    rm -f "$PIDS/$name"
  done
  local deadline=$((SECONDS + 3)) alive
  while :; do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    { [ $alive = 0 ] || [ $SECONDS -ge $deadline ]; } && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}

# ---------------------------------------------------------------------------------------------
# Host set-up

preflight() {
  [ "$(id -u)" -eq 0 ] || die "needs root (network interfaces, mounts, iptables)"
  local tool
  for tool in containerd containerd-shim-runc-v2 runc ctr iptables ip openssl curl kubectl buildah inotifywait; do
    command -v "$tool" >/dev/null || die "$tool is missing: run \`just tools\`"
  done
  cni_bin_dir >/dev/null || die "the CNI plugins (bridge, host-local, portmap) are missing: run \`just tools\` (Debian: /usr/lib/cni) or \`nix develop\`"
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || die "the kernel has no br_netfilter"
  grep -q overlay /proc/filesystems || die "the kernel has no overlayfs"
}

# Debian's plugins, else the ones on PATH (`nix develop`'s cni-plugins).
cni_bin_dir() {
  local dir
  for dir in /usr/lib/cni "$(dirname "$(command -v host-local 2>/dev/null || echo /nonexistent/x)")"; do
    [ -x "$dir/bridge" ] && [ -x "$dir/host-local" ] && [ -x "$dir/portmap" ] && { echo "$dir"; return; }
  done
  return 1
}

network_up() {
  if ! ip link show "$NODE_LINK" >/dev/null 2>&1; then
    # A bridge with no ports: an address of our own that nothing outside this machine can
    # reach (this kernel has no dummy interfaces; no modules can be loaded).
    ip link add "$NODE_LINK" type bridge
  fi
  ip addr replace "$NODE_IP/32" dev "$NODE_LINK"
  ip link set "$NODE_LINK" up
  # Remember what we change, so `down` puts it back.
  [ -f "$STATE/sysctl-ip_forward" ] || cat /proc/sys/net/ipv4/ip_forward >"$STATE/sysctl-ip_forward"
  [ -f "$STATE/sysctl-bridge-nf" ] || cat /proc/sys/net/bridge/bridge-nf-call-iptables >"$STATE/sysctl-bridge-nf"
  echo 1 >/proc/sys/net/ipv4/ip_forward
  echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
  # Pods may talk to pods, Services and the node, never past this machine.
  if ! iptables -w -nL "$FIREWALL_CHAIN" >/dev/null 2>&1; then
    iptables -w -N "$FIREWALL_CHAIN"
    iptables -w -A "$FIREWALL_CHAIN" -d "$POD_CIDR" -j RETURN
    iptables -w -A "$FIREWALL_CHAIN" -j REJECT
    iptables -w -I FORWARD -s "$POD_CIDR" -j "$FIREWALL_CHAIN"
  fi
}

# ---------------------------------------------------------------------------------------------
# Certificates and kubeconfigs: one CA for the cluster, one for the aggregation front proxy.

cert() { # name, subject, extensions, signing CA
  local name=$1 subject=$2 extensions=$3 ca=$4
  [ -f "$PKI/$name.crt" ] && return
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$extensions" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 3650 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

ca() { # name, common name
  [ -f "$PKI/$1.crt" ] && return
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -keyout "$PKI/$1.key" -out "$PKI/$1.crt" 2>/dev/null
}

client_cert() { # name, subject
  cert "$1" "$2" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth" "${3:-ca}"
}

kubeconfig() { # file, client cert name
  local file=$1 user=$2
  [ -f "$file" ] && return
  kubectl config --kubeconfig "$file" set-cluster "$CONTEXT" --server "https://$NODE_IP:6443" \
    --certificate-authority "$PKI/ca.crt" --embed-certs >/dev/null
  kubectl config --kubeconfig "$file" set-credentials "$user" --client-certificate "$PKI/$user.crt" \
    --client-key "$PKI/$user.key" --embed-certs >/dev/null
  kubectl config --kubeconfig "$file" set-context "$CONTEXT" --cluster "$CONTEXT" --user "$user" >/dev/null
  kubectl config --kubeconfig "$file" use-context "$CONTEXT" >/dev/null
  chmod 0600 "$file"
}

pki() {
  mkdir -p "$PKI" && chmod 0700 "$PKI"
  ca ca test-cluster-ca
  ca front-proxy-ca test-cluster-front-proxy-ca
  cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$API_SERVICE_IP,IP:$NODE_IP,IP:127.0.0.1" ca
  cert kubelet "/CN=$NODE_NAME" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:$NODE_NAME,IP:$NODE_IP" ca
  # A throwaway cluster: the admin and the API server's kubelet client are system:masters.
  client_cert admin "/O=system:masters/CN=test-cluster-admin"
  client_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  client_cert controller-manager "/CN=system:kube-controller-manager"
  client_cert scheduler "/CN=system:kube-scheduler"
  client_cert node "/O=system:nodes/CN=system:node:$NODE_NAME"
  client_cert kube-proxy "/CN=system:kube-proxy"
  client_cert front-proxy-client "/CN=front-proxy-client" front-proxy-ca
  if [ ! -f "$PKI/sa.key" ]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  kubeconfig "$KUBECONFIG_FILE" admin
  local user
  for user in controller-manager scheduler node kube-proxy; do kubeconfig "$STATE/$user.kubeconfig" "$user"; done
}

# ---------------------------------------------------------------------------------------------
# Components

healthy_https() { curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$1"; }

start_etcd() {
  start etcd "$(binary etcd)" --name "$NODE_NAME" --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster "$NODE_NAME=http://127.0.0.1:2380" --listen-metrics-urls http://127.0.0.1:2381 \
    --log-level warn
  wait_for etcd 30 sh -c 'curl -sf http://127.0.0.1:2381/health | grep -q "\"health\":\"true\""'
}

start_kube_apiserver() {
  start kube-apiserver "$(binary kube-apiserver)" \
    --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port 6443 \
    --etcd-servers http://127.0.0.1:2379 \
    --service-cluster-ip-range "$SERVICE_CIDR" --service-node-port-range 30000-32767 \
    --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged \
    --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$PKI/front-proxy-client.crt" --proxy-client-key-file "$PKI/front-proxy-client.key" \
    --enable-aggregator-routing
  wait_for kube-apiserver 90 healthy_https "https://$NODE_IP:6443/readyz"
}

start_kube_controller_manager() {
  start kube-controller-manager "$(binary kube-controller-manager)" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key" \
    --allocate-node-cidrs --cluster-cidr "$POD_CIDR" --node-cidr-mask-size 24 \
    --service-cluster-ip-range "$SERVICE_CIDR" --enable-hostpath-provisioner
  wait_for kube-controller-manager 60 curl -skf https://127.0.0.1:10257/healthz
}

start_kube_scheduler() {
  start kube-scheduler "$(binary kube-scheduler)" --kubeconfig "$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false
  wait_for kube-scheduler 60 curl -skf https://127.0.0.1:10259/healthz
}

# The in-tree hostPath provisioner creates each volume 0750 root:root and ignores fsGroup, so a
# non-root pod could never write to its volume. Minikube's and kind's provisioners create them
# world-writable; this watcher gives ours the same mode the moment they appear.
start_volume_permissions() {
  mkdir -p "$HOSTPATH_PV_DIR"
  start volume-permissions bash -c "
    inotifywait -mq -e create -e moved_to --format '%w%f' '$HOSTPATH_PV_DIR' |
      while read -r dir; do [ -d \"\$dir\" ] && chmod 0777 \"\$dir\"; done"
  sleep 0.2
  running volume-permissions || failed volume-permissions "exited during start-up"
}

start_containerd() {
  mkdir -p "$STATE/containerd" "$STATE/cni/net.d" "$STATE/cni/ipam"
  cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[debug]
  level = "warn"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Root here lacks CAP_SYS_RESOURCE, so no process may lower its OOM score below ours; the
  # kubelet asks for -998 for every pod sandbox, which would fail every pod.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$(cni_bin_dir)"
    conf_dir = "$STATE/cni/net.d"
EOF
  cat >"$STATE/cni/net.d/10-test-cluster.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "test-cluster",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$STATE/cni/ipam",
                "ranges": [[{ "subnet": "$NODE_POD_SUBNET" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  start containerd containerd --config "$STATE/containerd/config.toml"
  wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version
}

start_kubelet() {
  mkdir -p "$STATE/kubelet"
  # No nameserver at all for pods with dnsPolicy Default: nothing is ever asked upstream.
  echo "# the test cluster has no upstream DNS" >"$STATE/kubelet/resolv.conf"
  cat >"$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
resolvConf: $STATE/kubelet/resolv.conf
# Imported images cannot be pulled again: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
healthzBindAddress: 127.0.0.1
healthzPort: 10248
# Without CAP_SYS_RESOURCE the kubelet cannot lower its own OOM score (-999 by default).
oomScoreAdj: 0
serializeImagePulls: false
EOF
  start kubelet "$(binary kubelet)" --config "$STATE/kubelet/config.yaml" \
    --kubeconfig "$STATE/node.kubeconfig" --root-dir "$STATE/kubelet/root" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
  wait_for kubelet 60 curl -sf http://127.0.0.1:10248/healthz
  wait_for kubelet 90 kubectl_admin wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
}

start_kube_proxy() {
  cat >"$STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $STATE/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
nodePortAddresses: [$NODE_IP/32, 127.0.0.1/32]
# The VM's conntrack table is fixed: writing its sysctls would fail, so leave them alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
oomScoreAdj: 0
EOF
  start kube-proxy "$(binary kube-proxy)" --config "$STATE/kube-proxy.yaml"
  wait_for kube-proxy 60 curl -sf http://127.0.0.1:10256/healthz
}

# ---------------------------------------------------------------------------------------------
# Images: built once into the cache as archives, imported into containerd at every `up`.

image_archive() { echo "$TEST_CLUSTER_CACHE/images/$(echo "$1" | tr '/:' '__').tar"; }

# A single static binary in an otherwise empty image. Args: image, binary, user.
scratch_image() {
  local image=$1 path=$2 user=$3 archive container
  archive=$(image_archive "$image")
  [ -f "$archive" ] && return
  log "building image $image"
  mkdir -p "$(dirname "$archive")"
  container=$(buildah from scratch)
  buildah copy --quiet "$container" "$path" "/$(basename "$path")" >/dev/null
  buildah config --entrypoint "[\"/$(basename "$path")\"]" --user "$user" "$container"
  buildah commit --quiet --rm "$container" "$image" >/dev/null
  buildah push --quiet "$image" "docker-archive:$archive.tmp:$image"
  mv "$archive.tmp" "$archive"
}

images() {
  scratch_image "$PAUSE_IMAGE" "$(binary pause)" 65535
  scratch_image "$COREDNS_IMAGE" "$(binary coredns)" 0
  scratch_image "$METRICS_SERVER_IMAGE" "$(binary metrics-server)" 65534
  local archive
  archive=$(image_archive "$POSTGRES_IMAGE")
  [ -f "$archive" ] || "$here/postgres-standin.sh" "$POSTGRES_IMAGE" "$archive"
  local image
  for image in "$PAUSE_IMAGE" "$COREDNS_IMAGE" "$METRICS_SERVER_IMAGE" "$POSTGRES_IMAGE"; do
    ctr_k8s images import "$(image_archive "$image")" >/dev/null ||
      failed containerd "could not import $image"
  done
}

# ---------------------------------------------------------------------------------------------
# Add-ons: the default StorageClass, CoreDNS and metrics-server.

addons() {
  sed -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" -e "s|@METRICS_SERVER_IMAGE@|$METRICS_SERVER_IMAGE|g" \
    -e "s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|g" "$here/addons.yaml" |
    kubectl_admin apply --server-side --force-conflicts -f - >"$LOGS/addons.log" 2>&1 ||
    failed addons "could not be applied"
  local deployment
  for deployment in coredns metrics-server; do
    kubectl_admin -n kube-system rollout status "deployment/$deployment" --timeout=120s >>"$LOGS/addons.log" 2>&1 || {
      kubectl_admin -n kube-system get pods -o wide >>"$LOGS/addons.log" 2>&1 || true
      failed addons "deployment $deployment did not become available"
    }
  done
  local deadline=$((SECONDS + 90))
  until kubectl_admin get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null | grep -q True; do
    [ $SECONDS -lt $deadline ] || failed addons "the metrics API did not become available"
    sleep 1
  done
}

# ---------------------------------------------------------------------------------------------
# Commands

all_running() {
  local name
  for name in "${COMPONENTS[@]}"; do running "$name" || return 1; done
}

cmd_up() {
  preflight
  if [ -f "$STATE/up-complete" ] && all_running && healthy_https "https://$NODE_IP:6443/readyz" >/dev/null 2>&1; then
    log "already running (kubeconfig $KUBECONFIG_FILE, context $CONTEXT)"
    return
  fi
  # Anything less than a whole running cluster (a reboot, a crashed component, a half-finished
  # `up`) starts over from nothing: a test cluster holds no data worth keeping.
  if [ -d "$STATE" ]; then
    log "cleaning up a cluster that is not fully running"
    cmd_down >/dev/null
  fi
  local started=$SECONDS
  "$here/build.sh"
  mkdir -p "$STATE" "$LOGS" "$PIDS"
  network_up
  pki
  log "etcd";                    start_etcd
  log "kube-apiserver";          start_kube_apiserver
  log "kube-controller-manager"; start_kube_controller_manager
  log "kube-scheduler";          start_kube_scheduler
  start_volume_permissions
  log "containerd";              start_containerd
  log "images";                  images
  log "kubelet";                 start_kubelet
  log "kube-proxy";              start_kube_proxy
  log "add-ons";                 addons
  touch "$STATE/up-complete"
  log "up in $((SECONDS - started))s: kubeconfig $KUBECONFIG_FILE, context $CONTEXT"
}

# Stops everything and removes every trace: processes, pod sandboxes, mounts, links, iptables
# rules, cgroups and state. Safe to run at any point, also when nothing runs.
cmd_down() {
  [ "$(id -u)" -eq 0 ] || die "needs root"
  local started=$SECONDS
  stop kube-proxy kubelet
  if running containerd; then
    log "removing the pods"
    local crictl
    crictl=$(binary crictl 2>/dev/null) && timeout 60 "$crictl" --runtime-endpoint "unix://$CONTAINERD_SOCK" rmp -af >/dev/null 2>&1 || true
  fi
  stop containerd
  # Shims and containers outlive containerd; everything they run sits in the kubepods cgroups.
  pkill -KILL -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" 2>/dev/null || true
  local cgroup pid
  for cgroup in /sys/fs/cgroup/*/kubepods; do
    [ -d "$cgroup" ] || continue
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done < <(find "$cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null)
  done
  log "stopping the control plane"
  stop "${COMPONENTS[@]}"
  # Mounts below the state directory, the pods' network namespaces and volumes, deepest first.
  local mount
  while read -r mount; do umount -l "$mount" 2>/dev/null || true; done < <(
    awk -v state="$STATE" -v pv="$HOSTPATH_PV_DIR" '$5 ~ "^(" state "|" pv "|/run/netns/cni-|/var/run/netns/cni-)" {print $5}' /proc/self/mountinfo | sort -r)
  rm -f /run/netns/cni-* /var/run/netns/cni-* 2>/dev/null || true
  rmdir /run/netns 2>/dev/null || true
  for cgroup in /sys/fs/cgroup/*/kubepods; do
    [ -d "$cgroup" ] && find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  # kube-proxy knows its own rules; the firewall chain and CNI's portmap chains are ours.
  local kube_proxy
  kube_proxy=$(binary kube-proxy 2>/dev/null) && "$kube_proxy" --cleanup >/dev/null 2>&1 || true
  if iptables -w -nL "$FIREWALL_CHAIN" >/dev/null 2>&1; then
    iptables -w -D FORWARD -s "$POD_CIDR" -j "$FIREWALL_CHAIN" 2>/dev/null || true
    iptables -w -F "$FIREWALL_CHAIN" && iptables -w -X "$FIREWALL_CHAIN"
  fi
  # What the kubelet and kube-proxy leave (KUBE-FIREWALL, the canaries) and CNI's portmap
  # chains, in both address families. Another Kubernetes on this host would own these too.
  local iptables table
  for iptables in iptables ip6tables; do
    for table in filter nat mangle; do
      remove_chains "$iptables" "$table" 'KUBE-'
      remove_chains "$iptables" "$table" 'CNI-'
    done
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  ip link del "$NODE_LINK" 2>/dev/null || true
  [ -f "$STATE/sysctl-ip_forward" ] && cat "$STATE/sysctl-ip_forward" >/proc/sys/net/ipv4/ip_forward
  [ -f "$STATE/sysctl-bridge-nf" ] && cat "$STATE/sysctl-bridge-nf" >/proc/sys/net/bridge/bridge-nf-call-iptables
  rm -rf "$STATE" "$HOSTPATH_PV_DIR"
  log "down in $((SECONDS - started))s: nothing left"
}

# Removes every chain of a table whose name starts with a prefix, and the jumps to them.
remove_chains() { # iptables or ip6tables, table, prefix
  local iptables=$1 table=$2 prefix=$3 rule chain chains
  while read -r rule; do
    # iptables-save quotes comments the way a shell does.
    eval "$iptables -w -t $table ${rule/-A/-D}" 2>/dev/null || true
  done < <("$iptables-save" -t "$table" 2>/dev/null | grep -E "^-A [A-Z]+ .*-j $prefix" || true)
  chains=$("$iptables-save" -t "$table" 2>/dev/null | sed -n "s/^:\($prefix[^ ]*\) .*/\1/p")
  for chain in $chains; do "$iptables" -w -t "$table" -F "$chain" 2>/dev/null || true; done
  for chain in $chains; do "$iptables" -w -t "$table" -X "$chain" 2>/dev/null || true; done
}

cmd_status() {
  local name ok=0
  for name in "${COMPONENTS[@]}"; do
    if running "$name"; then printf '  %-24s running (pid %s)\n' "$name" "$(pid_of "$name")"
    else printf '  %-24s not running\n' "$name"; ok=1; fi
  done
  if [ $ok -eq 0 ]; then
    kubectl_admin get nodes -o wide 2>&1 | sed 's/^/  /'
    printf '  kubeconfig %s, context %s\n' "$KUBECONFIG_FILE" "$CONTEXT"
  fi
  return $ok
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kubeconfig) echo "$KUBECONFIG_FILE" ;;
  # What the kit needs to deploy here: `eval "$(just test-cluster env)"`, then
  # `just deploy dev --context test-cluster`.
  env)
    printf 'export KUBECONFIG=%q\nexport CONTAINERD_ADDRESS=%q\nexport CRICTL=%q\n' \
      "$KUBECONFIG_FILE" "$CONTAINERD_SOCK" "$(binary crictl)" ;;
  *) echo "usage: $0 up|down|status|kubeconfig|env" >&2; exit 2 ;;
esac
