# The targets CI runs. `make run` starts Keyward, `make test` passes the tests; both
# install what is missing first (apt packages when run as root).
CARGO ?= cargo

.PHONY: run test lint bench setup fmt

setup:
	@bash scripts/setup.sh

run: setup
	$(CARGO) build -p keyward-cli
	@echo
	@echo "The desktop app is not built yet; here is the keyward command line."
	@echo "Example: target/debug/keyward users add --name 'Ada Lovelace' --email ada@example.com --admin"
	@echo
	./target/debug/keyward --help

test: setup
	$(CARGO) test --workspace --locked

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

bench: setup
	$(CARGO) bench -p keyward-core --bench core

fmt:
	$(CARGO) fmt --all
