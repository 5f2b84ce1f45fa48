# Sourced by test/container/run.sh after engine_start: the local stand-ins for the registry images the
# Dockerfile and docker-compose.yml name, built from Debian's packages and the machine's Node.
#   debian minbase rootfs   debootstrap --variant=minbase bookworm, cached as a tarball between runs
#   node:20-bookworm-slim   + the machine's node and npm, user node (uid 1000), the machine's CA store
#   standin postgres/redis/prometheus  + Debian's postgresql-15 / redis-server / prometheus packages

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/standins
# Kept between runs where the machine keeps it; a fresh machine bootstraps once (~1 min).
IMAGE_CACHE=${VITALS_IMAGE_CACHE:-/var/cache/mcp-vitals}

rootfs_tarball() {
  local tarball="$IMAGE_CACHE/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    mkdir -p "$IMAGE_CACHE"
    local tmp
    tmp=$(mktemp -d "$IMAGE_CACHE/rootfs.XXXXXX")
    echo "debootstrap --variant=minbase bookworm (cached afterwards in $tarball)" >&2
    if ! debootstrap --variant=minbase bookworm "$tmp/rootfs" http://deb.debian.org/debian >"$tmp/debootstrap.log" 2>&1; then
      tail -n 20 "$tmp/debootstrap.log" >&2
      rm -rf "$tmp"
      return 1
    fi
    tar -C "$tmp/rootfs" -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
    rm -rf "$tmp"
  fi
  echo "$tarball"
}

# build TAG DOCKERFILE CONTEXT: the classic builder with host networking (apt and npm reach their registries
# the way the host does; no bridge exists to give a build container an address).
standin_build() {
  DOCKER_BUILDKIT=0 "$DOCKER" build --quiet --network host -f "$2" -t "$1" "$3" >/dev/null
}

build_standin_images() {
  local tarball ctx
  tarball=$(rootfs_tarball)
  "$DOCKER" import "$tarball" mcp-vitals-standin/debian-rootfs:bookworm >/dev/null
  standin_build mcp-vitals-standin/debian:bookworm "$IMAGES_DIR/debian.Dockerfile" "$IMAGES_DIR"

  ctx=$(mktemp -d)
  cp "$(readlink -f "$(command -v node)")" "$ctx/node"
  cp -r "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$ctx/npm"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  standin_build node:20-bookworm-slim "$IMAGES_DIR/node.Dockerfile" "$ctx"
  rm -rf "$ctx"
  echo "node:20-bookworm-slim stand-in: node $("$DOCKER" run --rm --network none node:20-bookworm-slim node --version)"
}

build_stack_standins() {
  local name
  for name in postgres redis prometheus; do
    standin_build "mcp-vitals-standin/$name" "$IMAGES_DIR/$name.Dockerfile" "$IMAGES_DIR"
  done
}
