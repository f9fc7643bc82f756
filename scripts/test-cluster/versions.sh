# shellcheck shell=bash
# The one place that pins the test cluster's components. Sourced by build.sh and cluster.sh;
# a changed version changes the cache key, so the next `up` builds that component again.

KUBERNETES_VERSION=v1.35.4 # k8s.io/kubernetes; staging modules at v0.35.4
ETCD_VERSION=v3.6.16       # go.etcd.io/etcd/server/v3 (kubeadm pins 3.6.x for 1.35)
COREDNS_VERSION=v1.14.7    # github.com/coredns/coredns (the oldest minor the proxy serves here)
METRICS_SERVER_VERSION=v0.8.0 # sigs.k8s.io/metrics-server
CRICTL_VERSION=v1.34.0     # sigs.k8s.io/cri-tools (v1.35.0 is not served)
# kubectl-ai and kagent are not pinned here: the module proxy refuses both modules (docs/ai-ops.md).

# Binaries are cached outside the checkout, one directory per component and version.
TEST_CLUSTER_CACHE=${TEST_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-chatbot/test-cluster}
