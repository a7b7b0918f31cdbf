"""The whole robot loop under a real ROS master: roscore, the simulated robot in a
small embedded house, the robot node, and ``cow deploy`` with the oracle
localizer. The robot reaches the goal and stops (the test world's own rule
judges it from the robot's pose); then the same with a goal changed on the
goal topic in the middle, and with an e-stop in the middle; and a short session
over CURVE (robot-side server and telemetry) with keys from ``cow keygen``.

Measured (printed at the end of the run): seconds from the goal to Stop, and
the node's control-loop latencies (odometry received -> Twist published;
frame received -> first Twist of the action decided on it, through cow deploy).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rospy
from harness import REPO, Rig, cow_binary, free_port, wait_for_hello, wait_until
from std_msgs.msg import Bool, String

from cow_bridge.curve import ClientCurve
from cow_bridge.protocol import BridgeTimeoutError
from cow_bridge.testing.sim_robot import GoalCheck, goal_check

MAX_STEPS = 300
"""Per goal; the oracle needs about 30 to 60 here."""
DEPLOY_SECONDS = 420.0
"""The longest a session may take before the test fails."""


def deploy(r: Rig, telemetry: str, *extra: str) -> subprocess.Popen[bytes]:
    """Starts ``cow deploy`` against the rig's node, with the oracle localizer, once."""
    cmd = [
        str(cow_binary("deploy")),
        "deploy",
        "--config",
        "configs/robot.toml",
        "--robot",
        r.endpoint,
        "--localizer",
        "oracle",
        "--once",
        "--session",
        "sim-robot",
        "--telemetry",
        telemetry,
        "--max-steps",
        str(MAX_STEPS),
        *extra,
    ]
    return r.procs.start("deploy", cmd)


def finish(r: Rig, proc: subprocess.Popen[bytes]) -> None:
    """Waits for ``cow deploy --once`` to end by itself, successfully."""
    try:
        proc.wait(timeout=DEPLOY_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"cow deploy still running after {DEPLOY_SECONDS} s:\n{r.procs.log('deploy')[-4000:]}"
        )
    assert proc.returncode == 0, f"cow deploy failed:\n{r.procs.log('deploy')[-6000:]}"


def judged(r: Rig, object_type: str) -> GoalCheck:
    """The test world's verdict at the robot's final pose."""
    pose = r.watch.pose()
    with r.world_client() as world:
        check = goal_check(world, pose, object_type)
    assert check.reached, (
        f"the robot stopped at ({pose.x:.2f}, {pose.y:.2f}, yaw {pose.yaw:.2f}) with no "
        f"{object_type} in sight within the success distance: {check.instances}\n"
        f"{r.procs.log('deploy')[-3000:]}"
    )
    return check


def stop_times(r: Rig) -> list[float]:
    """When the node published Stop (monotonic)."""
    with r.watch.lock:
        return [t for t, a in r.watch.actions if a == "Stop"]


def action_count(r: Rig) -> int:
    with r.watch.lock:
        return len(r.watch.actions)


def record(measure: Callable[[str, Any], None], name: str, r: Rig, seconds: float) -> None:
    """Stops the node and records its figures."""
    assert r.stop_node() == 0
    stats = r.stats()
    goals = ", ".join(
        f"{g['goal']!r} {g['seconds']:.1f} s / {g['steps']} steps" for g in stats["goal_to_stop"]
    )
    measure(f"{name}: goal -> Stop (test clock)", f"{seconds:.1f} s")
    measure(f"{name}: goal -> Stop (node, per goal)", goals)
    for key in ("odom_to_twist", "frame_to_twist"):
        s = stats[key]
        measure(
            f"{name}: {key.replace('_', ' ')}",
            f"median {s['median_ms']:.2f} ms, p90 {s['p90_ms']:.2f} ms, max {s['max_ms']:.2f} ms"
            f" ({s['count']} samples)",
        )


def test_cow_deploy_drives_the_robot_to_the_goal_and_stops(
    rig: Callable[..., Rig], measure: Callable[[str, Any], None]
) -> None:
    telemetry = f"tcp://127.0.0.1:{free_port()}"
    r = rig(telemetry=telemetry)
    started = time.monotonic()
    finish(r, deploy(r, telemetry, "--goal", "mug"))
    (stopped,) = stop_times(r)
    judged(r, "Mug")
    # The agent's map reached RViz's topic: free and occupied cells.
    wait_until("an occupancy grid", lambda: r.watch.maps, 5.0)
    cells = list(r.watch.maps[-1].data)
    assert cells.count(0) > 100 and cells.count(100) > 10
    assert r.watch.maps[-1].header.frame_id == "map"
    assert r.watch.status and r.watch.evidence
    record(measure, "goal reached", r, stopped - started)
    stats = r.stats()
    assert [g["goal"] for g in stats["goal_to_stop"]] == ["mug"]
    assert stats["estop_replies"] == 0


def test_a_goal_changed_on_the_topic_midway_is_the_one_reached(
    rig: Callable[..., Rig], measure: Callable[[str, Any], None]
) -> None:
    telemetry = f"tcp://127.0.0.1:{free_port()}"
    r = rig(telemetry=telemetry)
    proc = deploy(r, telemetry)  # no --goal: it waits for the robot side's
    time.sleep(2.0)
    assert proc.poll() is None and action_count(r) == 0, "moved without a goal"
    r.watch.publish_when_heard(r.watch.goal, String(data="mug"))
    wait_until("five actions for the first goal", lambda: action_count(r) >= 5, 60.0)
    assert not stop_times(r), "stopped before the goal changed"
    changed = time.monotonic()
    r.watch.goal.publish(String(data="alarm clock"))
    finish(r, proc)
    (stopped,) = stop_times(r)
    judged(r, "AlarmClock")
    record(measure, "goal changed midway", r, stopped - changed)
    goals = [g["goal"] for g in r.stats()["goal_to_stop"]]
    assert goals == ["alarm clock"]
    assert "new goal" in r.procs.log("deploy")


def test_an_estop_midway_stops_the_robot_until_released(
    rig: Callable[..., Rig], measure: Callable[[str, Any], None]
) -> None:
    telemetry = f"tcp://127.0.0.1:{free_port()}"
    r = rig(telemetry=telemetry)
    w = r.watch
    started = time.monotonic()
    proc = deploy(r, telemetry, "--goal", "mug")
    wait_until("six actions", lambda: action_count(r) >= 6, 90.0)
    assert not stop_times(r), "stopped before the e-stop"
    pressed, pressed_ros = time.monotonic(), rospy.get_time()
    w.publish_when_heard(w.estop, Bool(data=True))
    # Odometry from 0.3 s after the press on (the node has the e-stop by then):
    # standing still, and staying so.
    still = wait_until(
        "the robot to stand still",
        lambda: next(
            (o for o in w.odom_since(pressed_ros + 0.3) if (o.v, o.w) == (0.0, 0.0)), None
        ),
        1.5,
        step=0.01,
    )
    actions = action_count(r)
    time.sleep(3.0)
    assert proc.poll() is None, "cow deploy ended during the e-stop"
    after = w.odom_since(still.t)
    assert len(after) > 100, "odometry stopped during the e-stop"
    assert all((o.x, o.y, o.yaw, o.v, o.w) == (still.x, still.y, still.yaw, 0, 0) for o in after)
    assert action_count(r) == actions, "an action started during the e-stop"
    with w.lock:
        late = [t for t in w.twists if t[0] > pressed + 0.3]
    assert late and all(lin == 0.0 and ang == 0.0 for _, lin, ang in late)
    w.estop.publish(Bool(data=False))
    finish(r, proc)
    (stopped,) = stop_times(r)
    judged(r, "Mug")
    record(measure, "with an e-stop", r, stopped - started)
    stats = r.stats()
    assert stats["estop_replies"] >= 1
    assert "emergency stop" in r.procs.log("deploy")


def test_cow_deploy_over_curve_with_keys_from_cow_keygen(
    rig: Callable[..., Rig], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    for name in ("robot", "cow", "telemetry"):
        subprocess.run(
            [cow_binary("keygen"), "keygen", "--out", keys, "--name", name], check=True, cwd=REPO
        )
    robot_clients, telemetry_clients = tmp_path / "robot_clients", tmp_path / "telemetry_clients"
    for folder, admitted in ((robot_clients, "cow"), (telemetry_clients, "robot")):
        folder.mkdir()
        shutil.copy(keys / f"{admitted}.key", folder)
    telemetry = f"tcp://127.0.0.1:{free_port()}"
    r = rig(
        hello=False,
        telemetry=telemetry,
        curve_secret_key=str(keys / "robot.key_secret"),
        curve_clients_dir=str(robot_clients),
        telemetry_server_key=str(keys / "telemetry.key"),
    )
    listed = ClientCurve(keys / "robot.key", keys / "cow.key_secret")
    wait_for_hello(r.endpoint, r.procs, "node", curve=listed)  # cow's keys are served
    config = tmp_path / "curve.toml"
    config.write_text(
        "[sim]\ntimeout_ms = 8000\nretries = 1\n\n[deploy]\n"
        f"telemetry_key = {json.dumps(str(keys / 'telemetry.key_secret'))}\n"
        f"telemetry_clients = {json.dumps(str(telemetry_clients))}\n"
    )
    cmd = [
        str(cow_binary("deploy")),
        "deploy",
        "--config",
        str(config),
        "--robot",
        r.endpoint,
        "--server-key",
        str(keys / "robot.key"),
        "--client-key",
        str(keys / "cow.key_secret"),
        "--telemetry",
        telemetry,
        "--localizer",
        "oracle",
        "--goal",
        "mug",
        "--max-steps",
        "4",
        "--once",
    ]
    finish(r, r.procs.start("deploy", cmd))
    with r.watch.lock:
        actions = [a for _, a in r.watch.actions]
    assert len(actions) == 5 and actions[-1] == "Stop"  # 4 actions, then the budget's Stop
    # The map came over the CURVE telemetry socket, to the node's listed key.
    wait_until("an occupancy grid over CURVE", lambda: r.watch.maps, 5.0)
    # A client without CURVE gets nothing from the node.
    with r.client(timeout_ms=1000) as plain, pytest.raises(BridgeTimeoutError):
        plain.hello()
