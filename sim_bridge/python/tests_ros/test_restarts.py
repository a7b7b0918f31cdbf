"""Restarts under a deployed agent, as issue 12 specifies them: ``cow deploy``
reconnects when the robot side restarts and keeps its map; no fresh observation means
nothing moves and a clear log line. Each test runs ``cow deploy`` (oracle localizer,
goal "mug", configs/robot.toml, a budget of actions that ends in Stop) against the
simulated robot and the robot node, and in the middle of the run:

- kills the robot node (SIGKILL: a crash) and starts it again on the same endpoint:
  cow deploy reports the robot lost (the new node has no session: a restart), says
  hello again, keeps its map and spends the rest of its budget on the new node;
- kills the simulated robot (the camera and base drivers) for longer than the node's
  frame timeout, then starts it again: the node drives nothing without odometry and
  answers with a typed error naming what is missing; cow deploy logs the robot lost,
  waits, and carries on once frames come back (the base's odometry restarted at the
  episode's start: a pose jump, so a new map);
- kills the ROS master and starts it again on the same port: topics already connected
  keep flowing (ROS 1 nodes talk peer to peer), so the agent never notices; actions go
  on while no master runs and after. (Nodes do not register again with a new master:
  a subscriber that starts after the restart finds nothing until they restart.) This
  one runs under a master of its own, so that the other tests keep theirs.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zmq
from harness import (
    EPISODE,
    REPO,
    ROS_PYTHON,
    Processes,
    Rig,
    cow_binary,
    free_port,
    node_params,
    ros_arg,
    start_node,
    start_sim_robot,
    start_world,
    wait_for_hello,
    wait_for_master,
    wait_until,
)

from cow_bridge.ros.telemetry import decode_telemetry

DEPLOY_SECONDS = 120.0
"""The longest a session may take before the test fails."""


def robot_config(folder: Path) -> Path:
    """configs/robot.toml (reply timeout 8 s, one resend; a pose jump starts a new map)
    without the initial spin, so that the robot is under way at once, and with pose
    jumps from 0.5 m (2 move steps) on, so that a base restarted a metre away is one."""
    shipped = (REPO / "configs" / "robot.toml").read_text()
    changed = shipped.replace(
        "\n[agent.cow]\n", "\n[agent.cow]\nspin = false\nmax_pose_jump_steps = 2.0\n"
    )
    assert changed != shipped, "configs/robot.toml has no [agent.cow] section"
    path = folder / "robot.toml"
    path.write_text(changed)
    return path


def deploy(
    procs: Processes, endpoint: str, config: Path, max_steps: int
) -> tuple[subprocess.Popen[bytes], str]:
    """``cow deploy --once`` with ``config``, the oracle localizer, the goal "mug" and a
    budget of ``max_steps`` actions (then Stop: the tests show the loop going on, not
    the goal reached); returns the process and its telemetry endpoint (a free port)."""
    telemetry = f"tcp://127.0.0.1:{free_port()}"
    cmd = [
        str(cow_binary("deploy")),
        "deploy",
        "--config",
        str(config),
        "--robot",
        endpoint,
        "--telemetry",
        telemetry,
        "--localizer",
        "oracle",
        "--once",
        "--session",
        "sim-robot",
        "--goal",
        "mug",
        "--max-steps",
        str(max_steps),
    ]
    return procs.start("deploy", cmd), telemetry


class Telemetry:
    """cow deploy's telemetry as it arrives: (monotonic time, action count, pose)."""

    def __init__(self, endpoint: str) -> None:
        self.samples: list[tuple[float, int, tuple[float, float, float] | None]] = []
        self._ctx = zmq.Context()
        self._sub = self._ctx.socket(zmq.SUB)
        self._sub.setsockopt(zmq.SUBSCRIBE, b"")
        self._sub.setsockopt(zmq.LINGER, 0)
        self._sub.connect(endpoint)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            if self._sub.poll(100):
                t = decode_telemetry(self._sub.recv())
                self.samples.append((time.monotonic(), t.step, t.pose))

    def actions(self) -> int:
        """The latest action count."""
        return self.samples[-1][1] if self.samples else 0

    def steps_between(self, a: float, b: float) -> list[int]:
        """The action counts of the messages that arrived between ``a`` and ``b``."""
        return [n for t, n, _ in self.samples if a <= t <= b]

    def close(self) -> None:
        """Stops listening."""
        self._done.set()
        self._thread.join(timeout=5)
        self._sub.close()
        self._ctx.term()


def ended(procs: Processes, proc: subprocess.Popen[bytes]) -> int:
    """cow deploy's exit status once it ends by itself."""
    try:
        return proc.wait(timeout=DEPLOY_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"cow deploy still running after {DEPLOY_SECONDS} s:\n{procs.log('deploy')}")


def crash(procs: Processes, name: str) -> None:
    """SIGKILL to the process group of ``name`` (a crash: no clean-up runs)."""
    for n, p in procs.started:
        if n == name and p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def start_node_again(procs: Processes, ns: str, name: str, params: dict[str, Any]) -> None:
    """The robot node again, as :func:`harness.start_node` starts it, logging to ``name``."""
    procs.start(
        name,
        [
            ROS_PYTHON,
            "-m",
            "cow_bridge.ros",
            f"__ns:={ns}",
            "__name:=cow_robot",
            *(f"_{k}:={ros_arg(v)}" for k, v in params.items()),
        ],
    )


def action_count(r: Rig) -> int:
    """Actions the node has started so far (its action topic, as the test watches it)."""
    with r.watch.lock:
        return len(r.watch.actions)


def travelled(r: Rig) -> float:
    """How far (metres, straight line) the robot's odometry is from its first sample."""
    with r.watch.lock:
        if not r.watch.odom:
            return 0.0
        a, b = r.watch.odom[0], r.watch.odom[-1]
    return math.hypot(b.x - a.x, b.y - a.y)


def test_a_crashed_robot_node_is_reconnected_and_the_session_goes_on(
    rig: Callable[..., Rig], tmp_path: Path, measure: Callable[[str, Any], None]
) -> None:
    started = time.monotonic()
    r = rig()
    proc, _ = deploy(r.procs, r.endpoint, robot_config(tmp_path), max_steps=14)
    wait_until("five actions", lambda: action_count(r) >= 5, 60.0)
    crash(r.procs, "node")
    crashed = time.monotonic()
    before = action_count(r)
    params = node_params(r.world, bind=r.endpoint, stats_file=str(tmp_path / "again.json"))
    start_node_again(r.procs, r.ns, "node-again", params)
    assert ended(r.procs, proc) == 0, f"cow deploy failed:\n{r.procs.log('deploy')[-6000:]}"
    log = r.procs.log("deploy")
    # The resent step reached the new node, which had no session: a restart, not a
    # silence; the session reconnects (hello, the goal again) and keeps its map.
    assert "robot lost" in log and "restarted and lost the running episode" in log, log
    assert "1 reconnect(s)" in log and "15 actions" in log, log
    assert "starting a new map" not in log, log
    # The new node drove the rest of the budget, and the budget's Stop.
    with r.watch.lock:
        after = [a for t, a in r.watch.actions if t > crashed]
    assert len(after) >= 15 - before and after[-1] == "Stop", after
    assert "Stop: goal 'mug'" in r.procs.log("node-again"), r.procs.log("node-again")
    measure("robot node crashed: crash -> budget's Stop", f"{time.monotonic() - crashed:.1f} s")
    measure("robot node crashed: whole test", f"{time.monotonic() - started:.1f} s")


def test_a_crashed_simulated_robot_stops_the_base_and_the_agent_carries_on(
    rig: Callable[..., Rig], tmp_path: Path, measure: Callable[[str, Any], None]
) -> None:
    started = time.monotonic()
    r = rig()
    proc, _ = deploy(r.procs, r.endpoint, robot_config(tmp_path), max_steps=16)
    # A metre away: the restarted base's odometry (from the episode's start again)
    # is a jump.
    wait_until("the robot a metre away", lambda: travelled(r) > 1.0, 60.0)
    crash(r.procs, "sim_robot")
    crashed = time.monotonic()
    # Down for longer than the node's frame timeout (3 s): the node answers with an
    # error naming what is missing, and drives nothing.
    time.sleep(4.0)
    with r.watch.lock:
        moving = [t for t in r.watch.twists if t[0] > crashed + 0.6 and (t[1], t[2]) != (0, 0)]
    assert not moving, f"the node drove a base it had no odometry of: {moving}"
    assert proc.poll() is None, f"cow deploy ended:\n{r.procs.log('deploy')[-4000:]}"
    back = time.monotonic()
    start_sim_robot(r.procs, r.ns, r.world, EPISODE, {})
    assert ended(r.procs, proc) == 0, f"cow deploy failed:\n{r.procs.log('deploy')[-6000:]}"
    log = r.procs.log("deploy")
    assert "robot lost" in log and "remote error internal: no " in log, log
    # The odometry restarted at the episode's start: a new map, and on.
    assert "starting a new map" in log and "17 actions" in log, log
    with r.watch.lock:
        after = [a for t, a in r.watch.actions if t > back]
    assert len(after) >= 2 and after[-1] == "Stop", after
    measure("simulated robot crashed: whole test", f"{time.monotonic() - started:.1f} s")


def test_a_restarted_ros_master_leaves_the_deployed_agent_running(
    ros_env: dict[str, str], tmp_path: Path, measure: Callable[[str, Any], None]
) -> None:
    started = time.monotonic()
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    env = {
        **ros_env,
        "ROS_MASTER_URI": uri,
        "ROS_HOME": str(tmp_path / "home"),
        "ROS_LOG_DIR": str(tmp_path / "log"),
    }
    procs = Processes(tmp_path / "logs", env)
    watch: Telemetry | None = None
    try:
        core = procs.start("roscore", ["roscore", "-p", str(port)])
        wait_for_master(uri, core)
        world = start_world(procs)
        ns = "/master_restart"
        start_sim_robot(procs, ns, world, EPISODE, {})
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        start_node(procs, ns, node_params(world, bind=endpoint))
        wait_for_hello(endpoint, procs, "node")
        proc, telemetry = deploy(procs, endpoint, robot_config(tmp_path), max_steps=16)
        watch = Telemetry(telemetry)
        wait_until("three actions", lambda: watch.actions() >= 3, 60.0)
        crash(procs, "roscore")
        down = time.monotonic()
        time.sleep(3.0)
        up = time.monotonic()
        assert proc.poll() is None, f"cow deploy ended:\n{procs.log('deploy')[-4000:]}"
        core = procs.start("roscore-again", ["roscore", "-p", str(port)])
        wait_for_master(uri, core)
        assert ended(procs, proc) == 0, f"cow deploy failed:\n{procs.log('deploy')[-6000:]}"
        log = procs.log("deploy")
        assert "robot lost" not in log and "17 actions" in log, log
        # Actions went on while no master ran, and after it came back.
        during, later = watch.steps_between(down, up), watch.steps_between(up, 1e12)
        assert len(set(during)) >= 2 and later and later[-1] > max(during), (during, later)
        assert "Stop: goal 'mug'" in procs.log("node"), procs.log("node")
        measure("ROS master restarted: whole test", f"{time.monotonic() - started:.1f} s")
    finally:
        if watch is not None:
            watch.close()
        left = procs.stop_all()
        assert not left, f"process groups left running: {left}"
