"""Fixtures of the ROS tests: one ROS master (and the test's own node) per session,
the processes of each test (always stopped, checked gone), measurements printed
at the end."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import rospy
from harness import (
    EPISODE,
    PYTHON_DIR,
    Processes,
    Rig,
    Watch,
    free_port,
    node_params,
    start_node,
    start_sim_robot,
    start_world,
    wait_for_hello,
    wait_for_master,
)

MEASUREMENTS: list[tuple[str, Any]] = []
"""(what, value) lines the tests measured, printed after the run."""

_namespaces = itertools.count(1)


@pytest.fixture(scope="session")
def ros_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A ROS master on a free port; the environment that points every process at it.
    The test process joins it as the node ``/cow_test``."""
    root = tmp_path_factory.mktemp("ros")
    uri = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "ROS_MASTER_URI": uri,
        "ROS_HOME": str(root / "home"),
        "ROS_LOG_DIR": str(root / "log"),
        "ROS_IP": "127.0.0.1",
        "PYTHONPATH": str(PYTHON_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("ROS_NAMESPACE", None)
    procs = Processes(root / "logs", env)
    try:
        core = procs.start("roscore", ["roscore", "-p", uri.rsplit(":", 1)[1]])
        wait_for_master(uri, core)
        for key in ("ROS_MASTER_URI", "ROS_HOME", "ROS_LOG_DIR", "ROS_IP"):
            os.environ[key] = env[key]
        rospy.init_node("cow_test", anonymous=True, disable_signals=True)
        yield env
    finally:
        rospy.signal_shutdown("tests done")
        left = procs.stop_all()
        assert not left, f"still running after the tests: {left}"


@pytest.fixture
def procs(ros_env: dict[str, str], tmp_path: Path) -> Iterator[Processes]:
    """The processes of one test; all stopped when it ends, also on failure."""
    p = Processes(tmp_path / "logs", ros_env)
    try:
        yield p
    finally:
        left = p.stop_all()
        assert not left, f"process groups left running: {left}"


@pytest.fixture
def ns() -> str:
    """A ROS namespace of the test's own."""
    return f"/t{next(_namespaces)}"


@pytest.fixture
def rig(procs: Processes, ns: str, tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Starts the world, the simulated robot in :data:`harness.EPISODE` (with the
    parameters in ``robot``) and the node (with extra node parameters);
    everything stops when the test ends."""
    watches: list[Watch] = []

    def start(hello: bool = True, robot: dict[str, Any] | None = None, **params: Any) -> Rig:
        world = start_world(procs)
        start_sim_robot(procs, ns, world, EPISODE, robot or {})
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        stats = tmp_path / "node_stats.json"
        start_node(procs, ns, node_params(world, bind=endpoint, stats_file=str(stats), **params))
        watch = Watch(ns)
        watches.append(watch)
        if hello:
            wait_for_hello(endpoint, procs, "node")
        return Rig(procs, world, ns, endpoint, watch, stats)

    yield start
    for w in watches:
        w.close()


@pytest.fixture
def measure() -> Any:
    """Records a measurement for the summary at the end of the run."""

    def record(what: str, value: Any) -> None:
        MEASUREMENTS.append((what, value))

    return record


def pytest_configure(config: pytest.Config) -> None:
    """rospy 1.15 still calls ``Condition.notifyAll``: not this project's warning."""
    config.addinivalue_line("filterwarnings", "ignore:notifyAll:DeprecationWarning")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Prints the measurements."""
    if MEASUREMENTS:
        terminalreporter.section("ROS loop measurements")
        for what, value in MEASUREMENTS:
            terminalreporter.write_line(f"{what}: {value}")
