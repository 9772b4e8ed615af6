#!/usr/bin/env bash
# Starts the release app as a user would (no WebDriver) RUNS times on a data directory and
# prints, per run, when the key list was on screen (the app logs it) and the main
# process's resident memory 3 s later. Needs a display and a session bus: run it as
#   xvfb-run -a dbus-run-session -- scripts/measure-direct.sh DATA_DIR [RUNS]
set -euo pipefail
data=$1
runs=${2:-5}
app=${KEYWARD_APP:-target/release/keyward-app}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for i in $(seq 1 "$runs"); do
  KEYWARD_LOG=keyward_app=info KEYWARD_LOG_STYLE=never "$app" --data-dir "$data" 2>"$log" &
  pid=$!
  for _ in $(seq 1 300); do
    grep -q "startup:" "$log" && break
    sleep 0.05
  done
  shown=$(grep -o "on screen [0-9]* ms" "$log" | grep -o "[0-9]*" || echo "?")
  sleep 3
  rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo "?")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "# direct run $i: key list on screen after ${shown} ms; main process RSS ${rss} MiB"
  # sled lets go of its lock a moment after the process ends.
  sleep 1
done
