"""``make demo-robot``: the whole robot loop with the shipped learned localizer.

A ROS master on a free port, the simulated robot (:mod:`cow_bridge.testing.sim_robot`)
in embedded test houses, the robot node (:mod:`cow_bridge.ros`) configured as on a
real robot (no semantic frame: nothing but RGB, depth, camera info and odometry), and
``cow deploy --config configs/robot.toml`` with its default localizer, ``dense`` over
``models/cow-embedded``. For each episode the robot starts at the episode's start, is
given the goal in words, and drives until cow says Stop; the test world's own rule
then judges the final pose (goal instance visible and within the success distance).

Prints one line per episode and a summary, and writes them as JSON to
``--out``/summary.json. Run with Debian's ``/usr/bin/python3`` (rospy), from
``sim_bridge/python``: ``PYTHONPATH=.:tests_ros /usr/bin/python3 tests_ros/demo_robot.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import rospy
from harness import (
    PYTHON_DIR,
    REPO,
    Processes,
    Watch,
    cow_binary,
    free_port,
    node_params,
    start_node,
    start_sim_robot,
    start_world,
    wait_for_hello,
    wait_for_master,
)

from cow_bridge import Client
from cow_bridge.goals import goal_words
from cow_bridge.testing.sim_robot import goal_check


@dataclass
class Outcome:
    """One episode of the demo."""

    episode: str
    goal: str
    reached: bool
    seconds: float
    actions: int
    deploy_status: int
    nearest_m: float | None
    """Distance from the final pose to the nearest instance of the goal."""
    in_view: bool
    """Whether an instance of the goal is in the final view (any distance)."""


def run_episode(
    procs: Processes, world_eps: int, episode: str, max_steps: int, timeout: float, ns: str
) -> Outcome:
    """Starts the world, the robot in ``episode``, the node and ``cow deploy --once``;
    waits for the session to end and judges the robot's final pose."""
    world = start_world(procs, world_eps)
    goal = goal_words(world.episode(episode)["object_type"])
    start_sim_robot(procs, ns, world, episode, {})
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    params = node_params(world, bind=endpoint)
    params["semantic_topic"] = ""
    params["semantic_classes"] = []
    start_node(procs, ns, params)
    watch = Watch(ns)
    actions: list[tuple[float, str]] = []
    try:
        wait_for_hello(endpoint, procs, "node")
        started = time.monotonic()
        deploy = procs.start(
            "deploy",
            [
                str(cow_binary("deploy")),
                "deploy",
                "--config",
                "configs/robot.toml",
                "--robot",
                endpoint,
                "--once",
                "--session",
                f"demo-{episode}",
                "--telemetry",
                f"tcp://127.0.0.1:{free_port()}",
                "--max-steps",
                str(max_steps),
                "--goal",
                goal,
            ],
        )
        try:
            status = deploy.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            status = -1
        seconds = time.monotonic() - started
        with watch.lock:
            actions = list(watch.actions)
        pose = watch.pose()
        with world_client(world.endpoint) as c:
            check = goal_check(c, pose, world.episode(episode)["object_type"])
        reached = status == 0 and bool(actions) and actions[-1][1] == "Stop" and check.reached
        nearest = min((float(o["distance"]) for o in check.instances), default=None)
        in_view = any(int(o["pixels"]) > 0 for o in check.instances)
        return Outcome(
            episode,
            goal,
            reached,
            round(seconds, 1),
            len(actions),
            status,
            None if nearest is None else round(nearest, 2),
            in_view,
        )
    finally:
        watch.close()
        left = procs.stop_all()
        if left:
            print(f"warning: still running: {left}", file=sys.stderr)


def world_client(endpoint: str) -> Client:
    """A protocol client of the test world (its ground truth)."""
    return Client(endpoint, timeout_ms=5000, retries=0)


def main() -> int:
    """Runs the demo; exit status 0 when every session ran (reached or not)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--episodes", type=int, default=3, help="test episodes to run (first N)")
    p.add_argument("--max-steps", type=int, default=250, help="action budget per goal")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per session at most")
    p.add_argument("--out", type=Path, default=REPO / "runs" / "demo-robot")
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cow-demo-robot-"))
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
    for key in ("ROS_MASTER_URI", "ROS_HOME", "ROS_LOG_DIR", "ROS_IP"):
        os.environ[key] = env[key]
    master = Processes(root / "master", env)
    outcomes: list[Outcome] = []
    try:
        core = master.start("roscore", ["roscore", "-p", uri.rsplit(":", 1)[1]])
        wait_for_master(uri, core)
        rospy.init_node("cow_demo", anonymous=True, disable_signals=True)
        # The first N test episodes, as the world serves them.
        procs = Processes(root / "list", env)
        try:
            episodes = [e["id"] for e in start_world(procs, args.episodes).episodes]
        finally:
            procs.stop_all()
        print(f"cow deploy, dense localizer, {len(episodes)} episode(s); logs in {root}")
        for i, episode in enumerate(episodes):
            procs = Processes(root / f"ep{i}", env)
            o = run_episode(procs, args.episodes, episode, args.max_steps, args.timeout, f"/d{i}")
            outcomes.append(o)
            verdict = "reached" if o.reached else "NOT reached"
            print(
                f"  {o.episode}: {o.goal!r} {verdict} in {o.seconds:.1f} s, {o.actions} actions"
                f"; nearest {o.goal} {o.nearest_m} m, in view: {o.in_view}"
                f" (cow deploy exit {o.deploy_status})"
            )
    finally:
        rospy.signal_shutdown("demo done")
        master.stop_all()
    reached = [o for o in outcomes if o.reached]
    summary = {
        "localizer": "dense",
        "config": "configs/robot.toml",
        "episodes": len(outcomes),
        "reached": len(reached),
        "median_seconds_reached": statistics.median([o.seconds for o in reached])
        if reached
        else None,
        "outcomes": [asdict(o) for o in outcomes],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"reached {len(reached)} of {len(outcomes)} goal(s); summary in {args.out / 'summary.json'}"
    )
    return 0 if all(o.deploy_status == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
