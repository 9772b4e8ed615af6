#!/usr/bin/env bash
# Installs what `make run` and `make test` need on Debian/Ubuntu, or says what to do.
# Safe to run again: it only installs what is missing.
set -euo pipefail

want_apt=()
need_cmd() { command -v "$1" >/dev/null 2>&1; }

if ! need_cmd cargo; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "Keyward needs a Rust toolchain (cargo, rustc 1.80 or newer)." >&2
    echo "Install it with your package manager (Debian: apt-get install cargo) or from rustup, then run make again." >&2
    exit 1
  fi
fi
need_cmd cc || want_apt+=(gcc)
need_cmd pkg-config || want_apt+=(pkg-config)

if [ ${#want_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && need_cmd apt-get; then
    echo "Installing ${want_apt[*]} with apt-get…"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want_apt[@]}"
  else
    echo "Missing packages: ${want_apt[*]}" >&2
    echo "Install them (Debian/Ubuntu: sudo apt-get install ${want_apt[*]}) and run make again." >&2
    exit 1
  fi
fi

cargo fetch --locked >/dev/null 2>&1 || cargo fetch
