# Sourced by test/container/run.sh: a private Docker engine for one test run.
# dockerd keeps its data, exec root and socket under one temporary folder, creates no bridge and touches no
# iptables rules, so no container can get an address outside loopback (they use host networking, or a
# network namespace of their own that has only lo). Stopped by its PID; nothing of it outlives the run.
# Uses Debian's docker.io client explicitly (/usr/bin/docker), whatever else is on PATH.

DOCKER=/usr/bin/docker

engine_packages() {
  local need=()
  [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || need+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
  if [ "${#need[@]}" -gt 0 ]; then
    echo "installing ${need[*]}"
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
}

# engine_start DIR: starts dockerd with everything under DIR and exports DOCKER_HOST; sets DOCKERD_PID.
engine_start() {
  local dir=$1
  mkdir -p "$dir/data" "$dir/exec"
  /usr/sbin/dockerd \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    --host "unix://$dir/docker.sock" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=false --log-level=warn \
    >"$dir/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  export DOCKER_HOST="unix://$dir/docker.sock"
  for _ in $(seq 1 60); do
    if "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
      echo "dockerd $("$DOCKER" version --format '{{.Server.Version}}') (pid $DOCKERD_PID, data under $dir)"
      return 0
    fi
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then break; fi
    sleep 1
  done
  echo "dockerd did not start:" >&2
  tail -n 30 "$dir/dockerd.log" >&2
  return 1
}

# engine_stop DIR: removes every container, stops dockerd by its PID, unmounts what it left, removes DIR.
engine_stop() {
  local dir=$1
  if [ -n "${DOCKERD_PID:-}" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    local ids
    ids=$("$DOCKER" ps -aq 2>/dev/null || true)
    [ -n "$ids" ] && "$DOCKER" rm -f $ids >/dev/null 2>&1 || true
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
  fi
  # dockerd stops the containerd it started; after a KILL that one may be left, so it goes by its PID too.
  local cpid
  cpid=$(cat "$dir/exec/containerd/containerd.pid" 2>/dev/null || true)
  if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then kill -TERM "$cpid" 2>/dev/null || true; sleep 2; kill -KILL "$cpid" 2>/dev/null || true; fi
  # Its managed containerd exits with it; anything still mounted under DIR (overlays, shm) goes now, deepest first.
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    awk -v d="$dir" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$dir"
  fi
}
