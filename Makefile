# The targets CI runs. `make run` starts Keyward, `make test` passes the tests; both
# install what is missing first (apt packages when run as root).
CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run test test-unit test-e2e lint bench measure-desktop bindings ui deb setup setup-test setup-e2e fmt

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh test

setup-e2e:
	@bash scripts/setup.sh e2e

ui: setup
	npm run build

# The desktop app, on the platform's data directory (KEYWARD_DATA_DIR to choose another).
run: ui
	$(CARGO) run -p keyward-app

# Everything: Rust unit and integration tests (core on sled and on a PostgreSQL cluster
# the tests start, CLI, desktop commands), the UI's tests, then the end-to-end tests of
# the real app under Xvfb.
test: test-unit test-e2e

test-unit: setup-test ui
	$(CARGO) test --workspace --locked
	npm test

# `cargo test --no-run` builds target/debug/keyward-app and keyward with the same features
# as the unit tests, so after test-unit nothing is compiled twice.
test-e2e: setup-e2e ui
	$(CARGO) test --workspace --no-run --locked
	bash tests/e2e/run.sh

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	npm run check

bench: setup
	$(CARGO) bench -p keyward-core --bench core

# POST /v1/verify over loopback, 64 connections, 100,000 keys, against nginx in the same
# run (target: >= 0.6x nginx, p99 <= 2 ms); then the team server: two nodes on one
# PostgreSQL against one sled node (>= 0.5x), propagation p99 (<= 1 s) and durable create
# p50 on PostgreSQL (<= 10 ms). Needs wrk, nginx-light and postgresql.
.PHONY: bench-http
bench-http:
	bash scripts/bench-http.sh
	bash scripts/bench-cluster.sh

# Cold start and memory of the desktop app with 10,000 keys (figures, not a test).
measure-desktop: setup-e2e ui
	$(CARGO) test --workspace --no-run --locked
	bash scripts/measure-desktop.sh 10000

# Rewrites ui/src/lib/bindings.ts from the Rust types, ui/src/lib/relative-times.json (the
# "3 hours ago" cases the app and the CLI share), and ui/src/lib/api-docs.ts (the API
# documentation page's data) from a real server's OpenAPI document and answers.
bindings:
	UPDATE_BINDINGS=1 $(CARGO) test -p keyward-app --test bindings
	UPDATE_BINDINGS=1 $(CARGO) test -p keyward-core --lib relative_times
	UPDATE_API_DOCS=1 $(CARGO) test -p keyward-app --test api_docs

# An installable .deb under target/release/bundle/deb/.
deb: ui
	npx --yes @tauri-apps/cli@2.12.5 build --bundles deb

fmt:
	$(CARGO) fmt --all
