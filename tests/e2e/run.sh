#!/usr/bin/env bash
# End-to-end tests of the real Keyward desktop app, headless:
#   Xvfb (a display) → one dbus-run-session (a session bus) → dunst (notifications)
#   → tauri-driver + WebKitWebDriver → `node --test tests/e2e/`.
# `make test-e2e` builds target/debug/keyward-app and target/debug/keyward first.
#
# Environment knobs (all optional):
#   E2E_TIMEOUT   seconds the whole test run may take (default 300)
#   E2E_ONLY      a file name pattern to run only some tests, e.g. E2E_ONLY=notification
#   E2E_KEEP      1 = keep the temporary directory (data dirs, logs, screenshots)
#
# Works as root with no display and no session bus to begin with. Every wait is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_DIR="$ROOT/tests/e2e"
E2E_TIMEOUT=${E2E_TIMEOUT:-300}

log() { printf 'e2e: %s\n' "$*" >&2; }
die() { printf 'e2e: error: %s\n' "$*" >&2; exit 2; }

# Polls "$@" every 0.1 s until it succeeds, for at most $1 seconds.
wait_for() {
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    sleep 0.1
  done
}

# Kills a process group we started (setsid), then waits a little for it.
stop_group() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------
# Stage 2: inside the session bus (run.sh re-runs itself under dbus-run-session).
# ---------------------------------------------------------------------------------------
if [ "${1:-}" = "--in-session" ]; then
  : "${E2E_TMP:?}" "${TAURI_DRIVER:?}" "${WEBKIT_DRIVER:?}"
  DUNST_PID=""
  DRIVER_PID=""
  cleanup_session() {
    stop_group "$DRIVER_PID"
    stop_group "$DUNST_PID"
  }
  trap cleanup_session EXIT
  trap 'exit 130' INT TERM

  [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || die "dbus-run-session gave no DBUS_SESSION_BUS_ADDRESS"

  # dunst with a config of our own: notifications never time out (so `count displayed`
  # sees them), history kept for `dunstctl history`.
  mkdir -p "$E2E_TMP/dunst"
  cat >"$E2E_TMP/dunst/dunstrc" <<'EOF'
[global]
    monitor = 0
    follow = none
    width = 400
    height = 200
    origin = top-right
    offset = 10x10
    font = Monospace 9
    idle_threshold = 0
    history_length = 50
    show_indicators = no
    sticky_history = yes
    mouse_left_click = none
    mouse_middle_click = none
    mouse_right_click = none

[urgency_low]
    timeout = 0

[urgency_normal]
    timeout = 0

[urgency_critical]
    timeout = 0
EOF
  # The context menu ("dunstctl context") is a dmenu: this one answers as a person picking
  # the action whose label is in $E2E_TMP/dunst/pick-label, and logs what it was offered.
  cat >"$E2E_TMP/dunst/pick" <<EOF
#!/bin/sh
offered=\$(cat)
printf '%s\n' "\$offered" >>"$E2E_TMP/dunst/offered.log"
label=\$(cat "$E2E_TMP/dunst/pick-label" 2>/dev/null)
printf '%s\n' "\$offered" | grep -m1 -F "#\$label" || true
EOF
  chmod +x "$E2E_TMP/dunst/pick"
  sed -i "s|^\[global\]\$|[global]\n    dmenu = $E2E_TMP/dunst/pick|" "$E2E_TMP/dunst/dunstrc"
  setsid dunst -config "$E2E_TMP/dunst/dunstrc" >"$E2E_TMP/dunst.log" 2>&1 &
  DUNST_PID=$!
  # Ask the bus who owns the name (asking dunst itself would let the bus start another
  # dunst with the default config by D-Bus activation).
  dunst_owns_name() {
    kill -0 "$DUNST_PID" 2>/dev/null || return 2
    timeout 2 dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications | grep -q 'boolean true'
  }
  if ! wait_for 10 dunst_owns_name; then
    cat "$E2E_TMP/dunst.log" >&2 || true
    die "dunst did not answer on the session bus within 10 s (log above)"
  fi
  log "dunst is up (pid $DUNST_PID)"

  # tauri-driver on free ports (its own, and WebKitWebDriver's).
  free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  }
  PORT=$(free_port)
  NATIVE_PORT=$(free_port)
  while [ "$NATIVE_PORT" = "$PORT" ]; do NATIVE_PORT=$(free_port); done
  setsid "$TAURI_DRIVER" --port "$PORT" --native-port "$NATIVE_PORT" \
    --native-driver "$WEBKIT_DRIVER" >"$E2E_TMP/tauri-driver.log" 2>&1 &
  DRIVER_PID=$!
  export TAURI_DRIVER_URL="http://127.0.0.1:$PORT"
  driver_ready() {
    kill -0 "$DRIVER_PID" 2>/dev/null || return 2
    node -e '
      fetch(process.argv[1] + "/status", { signal: AbortSignal.timeout(1000) })
        .then((r) => r.json())
        .then((j) => process.exit(j.value && j.value.ready === false ? 1 : 0))
        .catch(() => process.exit(1));' "$TAURI_DRIVER_URL"
  }
  if ! wait_for 20 driver_ready; then
    cat "$E2E_TMP/tauri-driver.log" >&2 || true
    die "tauri-driver did not become ready on port $PORT within 20 s (log above)"
  fi
  log "tauri-driver is ready on $TAURI_DRIVER_URL (WebKitWebDriver on $NATIVE_PORT)"

  cd "$ROOT"
  tests=("$E2E_DIR/")
  if [ -n "${E2E_ONLY:-}" ]; then
    mapfile -t tests < <(ls "$E2E_DIR"/*.test.mjs | grep -- "$E2E_ONLY" || true)
    [ ${#tests[@]} -gt 0 ] || die "no test file matches E2E_ONLY=$E2E_ONLY"
  fi
  set +e
  timeout --kill-after=10 "$E2E_TIMEOUT" \
    node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}"
  rc=$?
  set -e
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    log "the tests took longer than E2E_TIMEOUT=${E2E_TIMEOUT}s and were stopped"
  fi
  exit "$rc"
fi

# ---------------------------------------------------------------------------------------
# Stage 1: check the tools, start Xvfb, enter the session bus.
# ---------------------------------------------------------------------------------------
export KEYWARD_APP="$ROOT/target/debug/keyward-app"
export KEYWARD_CLI="$ROOT/target/debug/keyward"
for b in "$KEYWARD_APP" "$KEYWARD_CLI"; do
  [ -x "$b" ] || die "$b is missing: build it first with
    npm run build && cargo build -p keyward-app -p keyward-cli
  (or run: make test-e2e)"
done

TAURI_DRIVER=$(command -v tauri-driver || true)
if [ -z "$TAURI_DRIVER" ] && [ -x "$HOME/.cargo/bin/tauri-driver" ]; then
  TAURI_DRIVER="$HOME/.cargo/bin/tauri-driver"
fi
[ -n "$TAURI_DRIVER" ] || die "tauri-driver not found (PATH or ~/.cargo/bin). Install it with:
    cargo install tauri-driver --version ^2 --locked"
WEBKIT_DRIVER=${WEBKIT_DRIVER:-/usr/bin/WebKitWebDriver}
[ -x "$WEBKIT_DRIVER" ] || die "$WEBKIT_DRIVER not found. Install it with:
    apt-get install webkit2gtk-driver     (or: scripts/setup.sh e2e)"

missing=()
for cmd in Xvfb dbus-run-session dbus-send busctl dunst dunstctl xclip node timeout setsid; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if [ ${#missing[@]} -gt 0 ]; then
  die "missing tools: ${missing[*]}. On Debian/Ubuntu:
    apt-get install xvfb dbus-x11 dunst xclip systemd nodejs     (or: scripts/setup.sh e2e)"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "node 20 or newer is needed (found $(node --version))"

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/keyward-e2e.XXXXXX")
export E2E_TMP TAURI_DRIVER WEBKIT_DRIVER
XVFB_PID=""
cleanup() {
  local rc=$?
  stop_group "$XVFB_PID"
  if [ "${E2E_KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then
    log "logs and data dirs kept in $E2E_TMP"
  else
    rm -rf "$E2E_TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private environment: the app's webview data, caches and runtime dir go to E2E_TMP,
# never to the user's; the OS keychain is skipped (the CLI wrote master.key files).
mkdir -p "$E2E_TMP/home/data" "$E2E_TMP/home/config" "$E2E_TMP/home/cache" "$E2E_TMP/runtime"
chmod 700 "$E2E_TMP/runtime"
export XDG_DATA_HOME="$E2E_TMP/home/data"
export XDG_CONFIG_HOME="$E2E_TMP/home/config"
export XDG_CACHE_HOME="$E2E_TMP/home/cache"
export XDG_RUNTIME_DIR="$E2E_TMP/runtime"
export KEYWARD_KEYCHAIN=off
# CI may start with no locale at all: titles and names here are UTF-8.
export LANG=${LANG:-C.UTF-8}
export NO_AT_BRIDGE=1
unset DBUS_SESSION_BUS_ADDRESS KEYWARD_DATA_DIR KEYWARD_NOW

# Xvfb on the first free display from :99 down.
xvfb_ready() { kill -0 "$XVFB_PID" 2>/dev/null && [ -S "/tmp/.X11-unix/X$1" ]; }
xvfb_dead() { ! kill -0 "$XVFB_PID" 2>/dev/null; }
DISPLAY_NUM=""
for n in $(seq 99 -1 80); do
  [ -e "/tmp/.X$n-lock" ] && continue
  [ -e "/tmp/.X11-unix/X$n" ] && continue
  setsid Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$E2E_TMP/xvfb.log" 2>&1 &
  XVFB_PID=$!
  deadline=$((SECONDS + 10))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if xvfb_ready "$n"; then DISPLAY_NUM=$n; break; fi
    if xvfb_dead; then break; fi
    sleep 0.1
  done
  [ -n "$DISPLAY_NUM" ] && break
  stop_group "$XVFB_PID"
  XVFB_PID=""
done
if [ -z "$DISPLAY_NUM" ]; then
  cat "$E2E_TMP/xvfb.log" >&2 || true
  die "could not start Xvfb on any display from :99 to :80 (last log above)"
fi
export DISPLAY=":$DISPLAY_NUM"
log "Xvfb is up on $DISPLAY (pid $XVFB_PID); temporary files in $E2E_TMP"

# One session bus for dunst, tauri-driver, the app and xclip. dbus-run-session ends
# the bus when stage 2 exits.
set +e
dbus-run-session -- bash "${BASH_SOURCE[0]}" --in-session
rc=$?
set -e
exit "$rc"
