#!/usr/bin/env bash
# The team server's figures, run by `make bench-http` after the single node's:
#
# - verify: two `keyward serve` nodes on one PostgreSQL, wrk with 64 connections across
#   both (32 each, at once), against one node on the embedded database in the same run
#   (wrk -t2 -c64), alternating; target: the two nodes together ≥ 0.5× the single node;
# - propagation: a change committed by another process until a node refuses the key,
#   p99 over 100 changes (target ≤ 1 s);
# - durable create on PostgreSQL, p50 (target ≤ 10 ms).
#
# The same keys as bench-http.sh (target/bench-http/, made there first), moved into a
# throwaway PostgreSQL cluster (Debian's postgresql, fsync on, started here and stopped
# on exit) with `keyward export` and `keyward import`.
#
# Knobs: KEYS (100000), DURATION (10s), ROUNDS (2).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-100000}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
CARGO=${CARGO:-cargo}
target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$PWD/$target_dir ;; esac
work=$target_dir/bench-http
data=$work/data
secrets=$work/secrets.txt
cluster=$work/cluster

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  else
    echo "The cluster benchmark needs PostgreSQL: sudo apt-get install postgresql" >&2
    exit 1
  fi
fi
if [ ! -s "$secrets" ] || [ "$(wc -l <"$secrets")" -ne "$KEYS" ]; then
  echo "No $KEYS keys in $work yet: run scripts/bench-http.sh first." >&2
  exit 1
fi

$CARGO build --release --locked -p keyward-cli
$CARGO build --release --locked -p keyward-cli --example cluster_bench
keyward=$target_dir/release/keyward

as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if port_free "$p"; then echo "$p"; return; fi
  done
  return 1
}

pids=()
stop_all() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  [ -d "$cluster/data" ] && as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1 || true
}
trap stop_all EXIT

rm -rf "$cluster"
mkdir -p "$cluster"
[ "$(id -u)" = 0 ] && chown postgres "$cluster"
pgport=$(free_port)
as_owner "$bin/initdb" -D "$cluster/data" -A trust -U keyward >/dev/null
as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/log" -w start \
  -o "-p $pgport -k $cluster -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
psql -q -d "postgres://keyward@127.0.0.1:$pgport/postgres" -c 'CREATE DATABASE kw'
db=postgres://keyward@127.0.0.1:$pgport/kw
pgkey=$cluster/master.key
"$keyward" --database "$db" migrate >/dev/null

echo "Moving $KEYS keys into PostgreSQL (keyward export, keyward import)…"
export KEYWARD_PASSPHRASE=bench-cluster-passphrase
"$keyward" --data-dir "$data" export --out "$cluster/store.kwarchive" --force >/dev/null
t0=$(date +%s.%N)
"$keyward" --data-dir "$cluster/node" --database "$db" --master-key-file "$pgkey" \
  import "$cluster/store.kwarchive" >/dev/null
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "imported in %.1f s\n", b - a }'

# Starts `keyward ARGS… serve --port 0` (in this shell, so stop_all knows it) and sets
# $port to the port it announced.
start_node() {
  local log=$1; shift
  "$keyward" "$@" serve --port 0 >"$log" 2>&1 &
  pids+=($!)
  port=
  for _ in $(seq 1 300); do
    port=$(sed -n 's|^Listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "a node did not start:" >&2; cat "$log" >&2; exit 1; }
}
start_node "$cluster/single.log" --data-dir "$data"
single=$port
start_node "$cluster/a.log" --data-dir "$cluster/a" --database "$db" --master-key-file "$pgkey"
a=$port
start_node "$cluster/b.log" --data-dir "$cluster/b" --database "$db" --master-key-file "$pgkey"
b=$port
export KEYWARD_BENCH_SECRETS=$secrets

echo "Checking answers on both PostgreSQL nodes…"
for port in "$a" "$b"; do
  KEYWARD_BENCH_CHECK=1 wrk -t1 -c16 -d2s -s scripts/bench-http.lua "http://127.0.0.1:$port/v1/verify" >"$cluster/check-$port.txt"
  grep -q '^not valid     0$' "$cluster/check-$port.txt" || { echo "node $port answered not valid: see $cluster/check-$port.txt" >&2; exit 1; }
done
wrk -t2 -c64 -d2s -s scripts/bench-http.lua "http://127.0.0.1:$single/v1/verify" >/dev/null

rate() { awk '/^throughput/ {print $2}' "$1"; }
p99() { awk '/^latency p99/ {print $3}' "$1"; }

echo
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
printf '%-6s %-22s %10s %9s\n' round server "req/s" "p99 ms"
results=()
for round in $(seq 1 "$ROUNDS"); do
  out=$cluster/single-$round.txt
  wrk -t2 -c64 -d"$DURATION" --latency -s scripts/bench-http.lua "http://127.0.0.1:$single/v1/verify" >"$out"
  printf '%-6s %-22s %10s %9s\n' "$round" "one node, sled" "$(rate "$out")" "$(p99 "$out")"
  results+=("single $(rate "$out") $(p99 "$out")")
  wrk -t1 -c32 -d"$DURATION" --latency -s scripts/bench-http.lua "http://127.0.0.1:$a/v1/verify" >"$cluster/a-$round.txt" &
  wa=$!
  wrk -t1 -c32 -d"$DURATION" --latency -s scripts/bench-http.lua "http://127.0.0.1:$b/v1/verify" >"$cluster/b-$round.txt"
  wait "$wa"
  sum=$(( $(rate "$cluster/a-$round.txt") + $(rate "$cluster/b-$round.txt") ))
  worst=$(printf '%s\n%s\n' "$(p99 "$cluster/a-$round.txt")" "$(p99 "$cluster/b-$round.txt")" | sort -g | tail -n1)
  printf '%-6s %-22s %10s %9s\n' "$round" "two nodes, PostgreSQL" "$sum" "$worst"
  results+=("cluster $sum $worst")
done
echo "Load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%s\n' "${results[@]}" | awk '
  { n[$1]++; sum[$1] += $2; if ($3 > worst[$1]) worst[$1] = $3 }
  END {
    s = sum["single"] / n["single"]; c = sum["cluster"] / n["cluster"]
    printf "one node (sled)         %8.0f req/s (mean)   p99 %.2f ms (worst run)\n", s, worst["single"]
    printf "two nodes (PostgreSQL)  %8.0f req/s (mean)   p99 %.2f ms (worst run)\n", c, worst["cluster"]
    ratio = c / s
    printf "ratio                   %.2f× one node — target ≥ 0.5×: %s\n", ratio, (ratio >= 0.5) ? "met" : "NOT met"
  }'
echo
"$target_dir/release/examples/cluster_bench" "$db" "$pgkey" "$b"
echo "(targets: propagation p99 ≤ 1000 ms, durable create p50 ≤ 10 ms)"
