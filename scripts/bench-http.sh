#!/usr/bin/env bash
# `make bench-http`: the HTTP number of SPEC §7 — POST /v1/verify on loopback with 64
# connections against 100,000 stored keys; target ≥ 20,000 req/s, p99 ≤ 5 ms on 2 cores.
#
# Builds the release `keyward`, prepares a data directory with KEYS keys (kept under
# target/bench-http/ and reused while the key count matches), starts `keyward serve` on a
# free port, checks a short run answers valid for every key, then measures with wrk
# (Debian package `wrk`; installed with apt-get when run as root). The load generator and
# the server share the machine: the load average is printed before and after.
#
# Knobs: KEYS (100000), CONNECTIONS (64), DURATION (15s), THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-100000}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CARGO=${CARGO:-cargo}
work=target/bench-http
data=$work/data
secrets=$work/secrets.txt

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing wrk with apt-get…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends wrk
  else
    echo "The HTTP benchmark needs wrk: sudo apt-get install wrk" >&2
    exit 1
  fi
fi

$CARGO build --release --locked -p keyward-cli
$CARGO build --release --locked -p keyward-core --example seed
keyward=target/release/keyward

mkdir -p "$work"
if [ ! -s "$secrets" ] || [ "$(wc -l <"$secrets")" -ne "$KEYS" ] || [ ! -d "$data" ]; then
  rm -rf "$data" "$secrets"
  echo "Preparing $KEYS keys in $data…"
  target/release/examples/seed "$data" "$KEYS" "$secrets"
else
  echo "Reusing $KEYS keys in $data"
fi

log=$work/serve.log
"$keyward" --data-dir "$data" serve --port 0 >"$log" 2>&1 &
server=$!
stop_server() {
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
}
trap stop_server EXIT

port=
for _ in $(seq 1 100); do
  port=$(sed -n 's|^Listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "keyward serve did not start:" >&2; cat "$log" >&2; exit 1; }
url=http://127.0.0.1:$port/v1/verify
export KEYWARD_BENCH_SECRETS=$PWD/$secrets

# Warm up (the first verification builds the in-memory index) and check every answer.
echo "Checking answers on $url…"
KEYWARD_BENCH_CHECK=1 wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s scripts/bench-http.lua "$url" \
  | tee "$work/check.txt" | sed -n '/^requests/,$p'
if ! grep -q '^not valid     0$' "$work/check.txt"; then
  echo "some answers were not valid:true — see $work/check.txt" >&2
  exit 1
fi

echo
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
echo "Measuring: wrk -t$THREADS -c$CONNECTIONS -d$DURATION POST $url over $KEYS keys"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/bench-http.lua "$url" \
  | tee "$work/result.txt"
echo "Load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Target (SPEC §7): ≥ 20000 req/s, p99 ≤ 5 ms"
