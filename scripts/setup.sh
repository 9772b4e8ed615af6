#!/usr/bin/env bash
# Installs what `make run` and `make test` need on Debian/Ubuntu, or says what to do.
# Safe to run again: it only installs what is missing.
#   scripts/setup.sh          build dependencies (Rust, the desktop's -dev packages, npm)
#   scripts/setup.sh test     plus PostgreSQL, which the tests start their own cluster of,
#                             and Python's aiosmtpd (the email tests' SMTP server)
#   scripts/setup.sh e2e      plus what the end-to-end tests drive: Xvfb, dunst, xclip,
#                             WebKitWebDriver and tauri-driver, and busctl (systemd) to
#                             read the tray over D-Bus
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-build}
need_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! need_cmd cargo; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "Keyward needs a Rust toolchain (cargo and rustc 1.89 or newer)." >&2
    echo "Install it (Debian: apt-get install cargo, or rustup) and run make again." >&2
    exit 1
  fi
fi

# strace: the storage fault tests kill keyward at chosen writes with its fault injection.
pkgs=(gcc pkg-config libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev
      libxdo-dev libdbus-1-dev libssl-dev strace)
if [ "$mode" = test ] || [ "$mode" = e2e ]; then
  pkgs+=(postgresql python3-venv)
fi
if [ "$mode" = e2e ]; then
  pkgs+=(webkit2gtk-driver xvfb dbus-x11 dunst xclip systemd)
fi
need_cmd node || pkgs+=(nodejs)
need_cmd npm || pkgs+=(npm)

if need_cmd dpkg-query; then
  missing=()
  for p in "${pkgs[@]}"; do
    case "$p" in
      nodejs) missing+=("$p") ;;
      npm) missing+=("$p") ;;
      *) have_pkg "$p" || missing+=("$p") ;;
    esac
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && need_cmd apt-get; then
      echo "Installing ${missing[*]} with apt-get…"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      echo "Missing packages: ${missing[*]}" >&2
      echo "Install them with: sudo apt-get install ${missing[*]}" >&2
      echo "then run make again." >&2
      exit 1
    fi
  fi
fi

# The UI's packages, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

cargo fetch --locked >/dev/null

# The email tests run a real SMTP server: Python's aiosmtpd, in a virtual environment of
# its own under target/ (the testkit looks there first).
if [ "$mode" = test ] || [ "$mode" = e2e ]; then
  venv=target/test-venv
  if ! "$venv/bin/python3" -c 'import aiosmtpd' >/dev/null 2>&1; then
    if ! need_cmd python3; then
      echo "The email tests need Python 3 with aiosmtpd; install python3 (Debian: apt-get install python3 python3-venv) and run make again." >&2
      exit 1
    fi
    echo "Installing aiosmtpd into $venv…"
    if ! { python3 -m venv "$venv" && "$venv/bin/python3" -m pip install -q aiosmtpd; }; then
      echo "aiosmtpd could not be installed into $venv." >&2
      echo "Install python3-venv (Debian: apt-get install python3-venv) and run make again," >&2
      echo "or install it yourself (python3 -m pip install --user aiosmtpd) and set" >&2
      echo "KEYWARD_TEST_PYTHON to that python3." >&2
      exit 1
    fi
  fi
fi

if [ "$mode" = e2e ] && ! need_cmd tauri-driver && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "Installing tauri-driver from crates.io…"
  cargo install tauri-driver --version '^2' --locked
fi
