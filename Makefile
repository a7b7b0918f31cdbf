# cow: two commands do all set-up on a fresh machine.
#   make demo   installs what it needs, builds in release mode, runs 20 embedded test episodes
#   make test   every test: cargo (unit, integration, doc), clippy, fmt, Python
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
CARGO ?= cargo
DEMO_EPISODES ?= 20
APT_PACKAGES := libzmq3-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-export setup system-deps venv build lint fmt rust-test py-test bench clean-venv

demo: setup build
	rm -rf runs/demo
	./target/release/cow run --config configs/embedded.toml --episodes $(DEMO_EPISODES) --out runs/demo

test: setup lint rust-test py-test

setup: system-deps venv

# Debian packages: the system libzmq (built with libsodium, so CURVE works).
system-deps:
	@if ! pkg-config --exists libzmq 2>/dev/null; then \
		echo "installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	fi

# The project-local Python environment: bridge client and tools, and the
# ONNX Runtime library the agent loads.
venv: $(VENV)/.installed

$(VENV)/.installed: sim_bridge/python/pyproject.toml $(wildcard tools/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e 'sim_bridge/python[dev]' $(if $(wildcard tools/pyproject.toml),-e 'tools[dev]',)
	touch $@

build:
	$(CARGO) build --release --bin cow

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --workspace

# Python tests; the bridge tests drive the real `cow sim serve`.
py-test: venv
	$(CARGO) build --bin cow
	cd sim_bridge/python && COW_BIN=$(CURDIR)/target/debug/cow ../../$(PY) -m pytest -q
	cd sim_bridge/python && ../../$(VENV)/bin/ruff check . && ../../$(VENV)/bin/ruff format --check . && ../../$(VENV)/bin/mypy --strict cow_bridge
	@if [ -f tools/pyproject.toml ]; then \
		cd tools && ../$(PY) -m pytest -q && ../$(VENV)/bin/ruff check . && ../$(VENV)/bin/ruff format --check . && ../$(VENV)/bin/mypy src/cow_tools; \
	fi

# PyTorch parity of the exporter (tests marked `torch`), in a venv with torch and open_clip:
# TORCH_PYTHON if set (e.g. an existing environment), else .venv-export (created here).
TORCH_PYTHON ?=
EXPORT_VENV := .venv-export
test-export:
	@if [ -n "$(TORCH_PYTHON)" ]; then \
		py="$(TORCH_PYTHON)"; \
	else \
		[ -x $(EXPORT_VENV)/bin/python ] || $(PYTHON) -m venv $(EXPORT_VENV); \
		$(EXPORT_VENV)/bin/python -m pip --disable-pip-version-check -q install -e 'tools[dev,torch]'; \
		py=$(EXPORT_VENV)/bin/python; \
	fi; \
	cd tools && $$py -m pytest -q -m torch -rA tests/

bench:
	$(CARGO) bench --workspace

clean-venv:
	rm -rf $(VENV)
