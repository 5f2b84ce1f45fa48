#!/usr/bin/env bash
# npm run test:container: builds the real Dockerfile on a private Docker engine and runs the image, the
# reduced compose stack and the host-mount test against it (test/container/*.test.ts). Needs root.
# Everything it starts (dockerd, containers, compose projects, temporary folders) is removed on exit,
# whether the tests passed or not; the exit status is the tests' (or the first failing step's).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

source scripts/container/engine.sh
source scripts/container/images.sh

t_all=$(date +%s)
t_step=$t_all
step() {
  local now
  now=$(date +%s)
  printf '== container: %s (previous step %ss, total %ss)\n' "$*" "$((now - t_step))" "$((now - t_all))"
  t_step=$now
}

WORK=$(mktemp -d /tmp/mcp-vitals-containers.XXXXXX)
cleanup() {
  local status=$?
  set +e
  step "cleaning up"
  engine_stop "$WORK/engine"
  rm -rf "$WORK"
  printf '== container: done in %ss, exit %s\n' "$(($(date +%s) - t_all))" "$status"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "packages"
engine_packages
step "dockerd"
engine_start "$WORK/engine"

step "stand-in base images"
build_standin_images

step "docker build (the repo's Dockerfile, classic builder, host network)"
if ! DOCKER_BUILDKIT=0 "$DOCKER" build --network host -t mcp-vitals:test . >"$WORK/build.log" 2>&1; then
  tail -n 40 "$WORK/build.log"
  echo "docker build failed" >&2
  exit 1
fi
grep -E '^Step [0-9]+/' "$WORK/build.log" | tail -n 3

step "stand-in stack images (postgres, redis, prometheus)"
build_stack_standins

step "tests"
# The host-mount test spawns the built CLI.
[ -f dist/cli/main.js ] || npm run build >/dev/null
export VITALS_DOCKER="$DOCKER" VITALS_IMAGE=mcp-vitals:test VITALS_CONTAINER_WORK="$WORK"
npx vitest run --config test/container/vitest.config.ts
