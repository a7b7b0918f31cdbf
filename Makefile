# cow: two commands do all set-up on a fresh machine.
#   make demo   installs what it needs, builds in release mode, runs 20 embedded test episodes
#   make test   every test: cargo (unit, integration, doc), clippy, fmt, SLURM, Python
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
CARGO ?= cargo
DEMO_EPISODES ?= 20
APT_PACKAGES := libzmq3-dev pkg-config
# SLURM and munge for the one-node cluster of the SLURM test (about 13 MB).
SLURM_PACKAGES := slurmctld slurmd slurm-client munge
# Headless Chromium and its WebDriver for `make test-browser` (25 packages,
# about 420 MB installed, under 10 s from Debian's mirror on 2026-12-01).
BROWSER_PACKAGES := chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-export setup system-deps venv habitat-venv build lint fmt rust-test test-slurm test-browser py-test py-test-habitat py-test-ros ros-deps bench soak demo-robot clean-venv fuzz fuzz-smoke

demo: setup build
	rm -rf runs/demo
	./target/release/cow run --config configs/embedded.toml --episodes $(DEMO_EPISODES) --out runs/demo

test: setup lint rust-test test-slurm test-browser py-test py-test-habitat py-test-ros fuzz-smoke

setup: system-deps venv

# Debian packages: the system libzmq (built with libsodium, so CURVE works),
# SLURM with munge for `make test-slurm`, Chromium and chromedriver for
# `make test-browser`. Only what is missing is installed.
system-deps:
	@missing=""; \
	pkg-config --exists libzmq 2>/dev/null || missing="$(APT_PACKAGES)"; \
	for p in $(SLURM_PACKAGES) $(BROWSER_PACKAGES); do \
		[ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# Debian's ROS 1 for the robot node's tests (rospy runs only on Debian's own
# /usr/bin/python3, with Debian's pyzmq and numpy); installs only what is missing.
ROS_APT_PACKAGES := ros-core python3-rospy python3-sensor-msgs python3-nav-msgs \
	python3-geometry-msgs python3-std-msgs python3-visualization-msgs python3-tf2-msgs \
	python3-zmq python3-numpy python3-pytest
ROS_PYTHON := /usr/bin/python3
ros-deps:
	@missing=""; \
	for p in $(ROS_APT_PACKAGES); do \
		dpkg-query -W -f='$${db:Status-Abbrev}' $$p 2>/dev/null | grep -q '^ii' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The project-local Python environment: bridge client, the RoboTHOR bridge's
# ai2thor (its Controller; no Unity build), the tools, and the ONNX Runtime
# library the agent loads.
venv: $(VENV)/.installed

$(VENV)/.installed: sim_bridge/python/pyproject.toml $(wildcard tools/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e 'sim_bridge/python[dev,thor]' $(if $(wildcard tools/pyproject.toml),-e 'tools[dev]',)
	touch $@

# habitat-lab without habitat-sim, for the Habitat bridge's tests (about 940 MB,
# under a minute to install; created once, kept until pyproject.toml changes).
HABITAT_VENV := .venv-habitat
HABITAT_PY := $(HABITAT_VENV)/bin/python
habitat-venv: $(HABITAT_VENV)/.installed

$(HABITAT_VENV)/.installed: sim_bridge/python/pyproject.toml
	$(PYTHON) -m venv $(HABITAT_VENV)
	$(HABITAT_PY) -m pip --disable-pip-version-check -q install -e 'sim_bridge/python[dev,habitat]'
	touch $@

build:
	$(CARGO) build --release --bin cow

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --workspace

# Coverage-guided fuzzing of every decoder (fuzz/README.md): libFuzzer on
# stable Rust, built into fuzz/target. `make test` runs each target for
# FUZZ_SMOKE_SECONDS; `make fuzz` for FUZZ_SECONDS. A crash fails the target
# and leaves its input in fuzz/artifacts/; committed finds live in
# fuzz/regressions/ and run in `cargo test` (tests/fuzz_regressions.rs).
FUZZ_SMOKE_SECONDS ?= 6
FUZZ_SECONDS ?= 300
fuzz-smoke:
	CARGO=$(CARGO) fuzz/run.sh $(FUZZ_SMOKE_SECONDS)

fuzz:
	CARGO=$(CARGO) nice fuzz/run.sh $(FUZZ_SECONDS)

# `cow slurm` on a real SLURM: a throwaway one-node cluster (munged, slurmctld,
# slurmd under a temporary folder, own ports) runs its array jobs; about 20 s.
# It fails, never skips, when the SLURM packages are missing.
test-slurm: system-deps
	$(CARGO) test --test slurm_cluster -- --ignored --nocapture

# `cow report` in headless Chromium (Debian's chromium, driven by its
# chromedriver over WebDriver): loads from file:// without console errors,
# sorts, filters, takes a screenshot; about 5 s. It fails, never skips,
# when the browser packages are missing.
test-browser: system-deps
	$(CARGO) test --test report_browser -- --ignored --nocapture

# Python tests; the bridge tests drive the real `cow sim serve`.
py-test: venv
	$(CARGO) build --bin cow
	cd sim_bridge/python && COW_BIN=$(CURDIR)/target/debug/cow ../../$(PY) -m pytest -q -m "not habitat"
	cd sim_bridge/python && ../../$(VENV)/bin/ruff check . && ../../$(VENV)/bin/ruff format --check . && ../../$(VENV)/bin/mypy --strict cow_bridge --exclude 'cow_bridge/(habitat/|testing/habitat_|ros/|testing/sim_robot)'
	cd sim_bridge/python && MYPYPATH=typings ../../$(VENV)/bin/mypy --strict cow_bridge/ros cow_bridge/testing/sim_robot.py tests_ros
	@if [ -f tools/pyproject.toml ]; then \
		cd tools && ../$(PY) -m pytest -q && ../$(VENV)/bin/ruff check . && ../$(VENV)/bin/ruff format --check . && ../$(VENV)/bin/mypy src/cow_tools; \
	fi

# The Habitat bridge under habitat-lab's real Env, task, measures and dataset
# loader (the test world renders the embedded houses), and its type check.
py-test-habitat: habitat-venv
	$(CARGO) build --bin cow
	cd sim_bridge/python && COW_BIN=$(CURDIR)/target/debug/cow ../../$(HABITAT_PY) -m pytest -q -m habitat tests/test_habitat_*.py
	cd sim_bridge/python && ../../$(HABITAT_VENV)/bin/mypy --strict cow_bridge/habitat cow_bridge/testing/habitat_shim.py cow_bridge/testing/habitat_world.py tests/test_habitat_*.py tests/habitat_corridor.py

# The robot node (cow_bridge.ros), the simulated robot and `cow deploy` under a real
# ROS master (roscore on a free port), on Debian's interpreter.
py-test-ros: ros-deps
	$(CARGO) build --bin cow
	cd sim_bridge/python && COW_BIN=$(CURDIR)/target/debug/cow PYTHONPATH=$(CURDIR)/sim_bridge/python $(ROS_PYTHON) -m pytest -q tests_ros

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
		py=$(CURDIR)/$(EXPORT_VENV)/bin/python; \
	fi; \
	cd tools && $$py -m pytest -q -m torch -rA tests/

# Every benchmark of BENCHMARKS.md in one run (about 15 minutes on 2 cores;
# BENCH_ARGS=--quick for a few): runs/bench/report.md and logs/. With
# TORCH_PYTHON (e.g. .venv-export/bin/python after `make test-export`) also
# ONNX Runtime against PyTorch eager.
BENCH_ARGS ?=
bench: venv build
	$(PY) -m cow_tools.bench_report --out runs/bench $(if $(TORCH_PYTHON),--torch-python $(TORCH_PYTHON),) $(BENCH_ARGS)

# Soaks (BENCHMARKS.md "Soak"): 1,000 embedded episodes with the shipped learned
# localizer, then `cow sim serve` under 10,000 mixed good and bad requests from
# 4 clients; memory curves and figures in runs/soak/{agent,serve}/.
SOAK_EPISODES ?= 1000
soak: venv build
	$(PY) -m cow_tools.soak serve --cow target/release/cow --requests 10000 --clients 4 --out runs/soak/serve
	$(PY) -m cow_tools.soak agent --cow target/release/cow --episodes $(SOAK_EPISODES) --out runs/soak/agent

# The robot loop with the shipped learned localizer: a ROS master, the simulated
# robot in embedded test houses, the robot node as on a robot (RGB-D and
# odometry only) and `cow deploy --config configs/robot.toml`; prints whether
# each goal was reached (runs/demo-robot/summary.json). DEMO_ROBOT_EPISODES goals.
DEMO_ROBOT_EPISODES ?= 6
demo-robot: ros-deps build
	cd sim_bridge/python && COW_BIN=$(CURDIR)/target/release/cow PYTHONPATH=$(CURDIR)/sim_bridge/python:$(CURDIR)/sim_bridge/python/tests_ros \
		$(ROS_PYTHON) tests_ros/demo_robot.py --episodes $(DEMO_ROBOT_EPISODES) --out $(CURDIR)/runs/demo-robot

clean-venv:
	rm -rf $(VENV)
