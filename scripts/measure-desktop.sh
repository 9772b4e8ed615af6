#!/usr/bin/env bash
# Measures the desktop app against SPEC §7 with many keys: cold start to an interactive
# key list, and the main process's resident memory, started directly and under WebDriver.
# Prints the figures; asserts no time.
#   scripts/measure-desktop.sh [KEYS]        (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
keys=${1:-10000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The figures are for the app a user installs: the release build.
cargo build --release -p keyward-app
cargo build --release -p keyward-core --example seed
target/release/examples/seed "$dir/data" "$keys"
# As a user starts it: the app logs when the first rows were on screen.
xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- \
  bash scripts/measure-direct.sh "$dir/data" 5 2>&1 | grep "^# direct"
# Under WebDriver (tauri-driver + WebKitWebDriver), which adds its own start-up.
KEYWARD_APP="$PWD/target/release/keyward-app" E2E_ONLY=measure-startup E2E_MEASURE_DIR="$dir/data" \
  bash tests/e2e/run.sh 2>&1 | grep -E "measure:|pass|fail"
