#!/usr/bin/env bash
# `make bench-http`: POST /v1/verify on loopback, measured against nginx in the same run.
#
# Target: keyward's verify answers at least 0.6× the requests per second of nginx
# returning a fixed 200 on the same machine, with a p99 of at most 2 ms — over 100,000
# stored keys, with wrk (-t2 -c64). Throughput is judged as a ratio, not an absolute
# figure: the load generator, nginx and keyward share the machine, and its speed varies
# from run to run. nginx's p99 is printed beside keyward's for the same reason.
#
# Builds the release `keyward`, prepares a data directory with KEYS keys (kept under
# target/bench-http/ and reused while the key count matches), starts `keyward serve` and
# an nginx (Debian's nginx-light, 2 workers, its own config and files under
# target/bench-http/nginx/, answering `return 200 '{"valid":true}'`) on free loopback
# ports, checks a short run answers valid for every key, then alternates ROUNDS runs of
# nginx and keyward with the same wrk script (nginx, keyward, nginx, keyward…) so that
# noise from the rest of the machine hits both. Prints each run, then each server's mean
# req/s and worst p99, the ratio keyward/nginx, and the verdict.
#
# wrk and nginx-light are installed with apt-get when run as root; otherwise the script
# says what to install. Measuring while a compiler runs gives meaningless figures: the
# script waits until no compiler or linker runs (WAIT_IDLE=0 skips that), marks a run at
# whose end one was running, and prints the load average.
#
# Then, with both servers stopped, the management API's figure: one page (300 rows) of
# 10,000 keys over HTTP, p50 ≤ 50 ms (crates/keyward-http/examples/page_bench.rs).
#
# Knobs: KEYS (100000), CONNECTIONS (64), THREADS (2), DURATION (10s), ROUNDS (3).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-100000}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
WAIT_IDLE=${WAIT_IDLE:-1}
CARGO=${CARGO:-cargo}
TARGET_RATIO=0.6
TARGET_P99_MS=2
target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$PWD/$target_dir ;; esac
work=$target_dir/bench-http
data=$work/data
secrets=$work/secrets.txt

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
nginx_bin=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
[ -n "$nginx_bin" ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
    nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  else
    echo "The HTTP benchmark needs ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

$CARGO build --release --locked -p keyward-cli
$CARGO build --release --locked -p keyward-core --example seed
keyward=$target_dir/release/keyward

mkdir -p "$work"
if [ ! -s "$secrets" ] || [ "$(wc -l <"$secrets")" -ne "$KEYS" ] || [ ! -d "$data" ]; then
  rm -rf "$data" "$secrets"
  echo "Preparing $KEYS keys in $data…"
  "$target_dir/release/examples/seed" "$data" "$KEYS" "$secrets"
else
  echo "Reusing $KEYS keys in $data"
fi

server=
nginx_pid=
stop_all() {
  for pid in $server $nginx_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      wait "$pid" || true
    fi
  done
}
trap stop_all EXIT

log=$work/serve.log
"$keyward" --data-dir "$data" serve --port 0 >"$log" 2>&1 &
server=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's|^Listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "keyward serve did not start:" >&2; cat "$log" >&2; exit 1; }
url=http://127.0.0.1:$port/v1/verify

# nginx under its own prefix: its pid file, logs and temp files stay in there, it stays
# in the foreground (its master is this script's child), and as root its workers run as
# nobody.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
nport=
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 40000))
  if port_free "$candidate"; then nport=$candidate; break; fi
done
[ -n "$nport" ] || { echo "no free port for nginx" >&2; exit 1; }
ngx=$work/nginx
rm -rf "$ngx"
mkdir -p "$ngx/tmp"
cat >"$ngx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $ngx/tmp/body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  server {
    listen 127.0.0.1:$nport;
    location / {
      default_type application/json;
      return 200 '{"valid":true}';
    }
  }
}
EOF
if [ "$(id -u)" = 0 ]; then
  chmod 755 "$ngx" "$ngx/tmp"
fi
"$nginx_bin" -p "$ngx" -e "$ngx/error.log" -c "$ngx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 1 100); do
  port_free "$nport" || break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$ngx/error.log" >&2; exit 1; }
  sleep 0.1
done
port_free "$nport" && { echo "nginx did not start:" >&2; cat "$ngx/error.log" >&2; exit 1; }
nginx_url=http://127.0.0.1:$nport/v1/verify
export KEYWARD_BENCH_SECRETS=$secrets

# Warm up (the first verification builds the in-memory index) and check every answer.
echo "Checking answers on $url…"
KEYWARD_BENCH_CHECK=1 wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s scripts/bench-http.lua "$url" \
  | tee "$work/check.txt" | sed -n '/^requests/,$p'
if ! grep -q '^not valid     0$' "$work/check.txt"; then
  echo "some answers were not valid:true — see $work/check.txt" >&2
  exit 1
fi
wrk -t"$THREADS" -c"$CONNECTIONS" -d1s -s scripts/bench-http.lua "$nginx_url" >/dev/null

compiling() {
  local n
  for n in rustc rust-lld cc1 ld; do pgrep -x "$n" >/dev/null && return 0; done
  return 1
}
if [ "$WAIT_IDLE" = 1 ] && compiling; then
  echo "Waiting until no compiler or linker runs (rustc, rust-lld, cc1, ld)…"
  while compiling; do sleep 5; done
fi

# One run: prints "req/s p99_ms" (from the wrk script's summary) and keeps wrk's output.
measure() {
  local name=$1 target=$2 round=$3 out
  out=$work/$name-$round.txt
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/bench-http.lua \
    "$target" >"$out"
  if ! grep -q '^socket errors connect 0, read 0, write 0, timeout 0$' "$out"; then
    echo "$name: $(grep '^socket errors' "$out")" >&2
  fi
  local busy=
  compiling && busy="(a compiler ran)"
  awk -v busy="$busy" '/^throughput/ {r=$2} /^latency p99/ {p=$3} END {print r, p, busy}' "$out"
}

echo
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
echo "Measuring: $ROUNDS × (nginx, keyward), wrk -t$THREADS -c$CONNECTIONS -d$DURATION, POST"
echo "/v1/verify over $KEYS keys; nginx answers a fixed 200 on port $nport."
printf '%-6s %-8s %10s %9s\n' round server "req/s" "p99 ms"
results=()
for round in $(seq 1 "$ROUNDS"); do
  for name in nginx keyward; do
    if [ "$name" = nginx ]; then target=$nginx_url; else target=$url; fi
    read -r rps p99 busy < <(measure "$name" "$target" "$round")
    printf '%-6s %-8s %10s %9s %s\n' "$round" "$name" "$rps" "$p99" "$busy"
    results+=("$name $rps $p99")
  done
done
echo "Load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%s\n' "${results[@]}" | awk -v ratio_target="$TARGET_RATIO" -v p99_target="$TARGET_P99_MS" '
  { n[$1]++; sum[$1] += $2; if ($3 > worst[$1]) worst[$1] = $3 }
  END {
    k = sum["keyward"] / n["keyward"]; g = sum["nginx"] / n["nginx"]
    printf "keyward  %8.0f req/s (mean)   p99 %.2f ms (worst run)\n", k, worst["keyward"]
    printf "nginx    %8.0f req/s (mean)   p99 %.2f ms (worst run)\n", g, worst["nginx"]
    ratio = k / g
    ok = ratio >= ratio_target && worst["keyward"] <= p99_target
    printf "ratio    %.2f× nginx — target ≥ %.1f× nginx, p99 ≤ %d ms: %s\n",
      ratio, ratio_target, p99_target, ok ? "met" : "NOT met"
  }'

# The management API: pages of the keys list, on a store of its own, with nothing else
# running.
stop_all
echo
echo "Management API: GET /v1/keys?limit=300 over 10,000 keys"
$CARGO run --release --locked -p keyward-http --example page_bench
