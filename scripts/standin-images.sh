#!/usr/bin/env bash
# On machines that cannot reach a container registry (CI, the team's sandboxes), builds local
# stand-ins named exactly like our two base images, so the real Dockerfiles build with buildah.
# The stand-in builder lives in the team's shared folder beside the checkout. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builder="${STANDIN_BASE_IMAGES:-$root/../shared/tools/standin-base-images}"
if [ ! -f "$builder" ]; then
  echo "standin-base-images not found at $builder: set STANDIN_BASE_IMAGES to its path" >&2
  exit 1
fi
bash "$builder"
