"""What the ROS tests share: a ROS master on a free port, process groups that are
always stopped, the cow binary, the world server, the simulated robot, the
robot node, and a test-side ROS node that watches and drives their topics.

Run with Debian's ``/usr/bin/python3`` (rospy): ``cd sim_bridge/python &&
COW_BIN=... /usr/bin/python3 -m pytest tests_ros``.

ROS surface (the test process is a node too): ``rospy.init_node``,
``Publisher`` (``std_msgs/String``, ``Bool``, ``Empty``), ``Subscriber``
(``nav_msgs/Odometry``, ``geometry_msgs/Twist``, ``std_msgs/String``,
``nav_msgs/OccupancyGrid``, ``visualization_msgs/MarkerArray``,
``tf2_msgs/TFMessage``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import threading
import time
import xmlrpc.client
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import rospy
from geometry_msgs.msg import Twist
from nav_msgs.msg import OccupancyGrid, Odometry
from std_msgs.msg import Bool, Empty, String
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import MarkerArray

from cow_bridge import Client
from cow_bridge.protocol import BridgeTimeoutError, Pose
from cow_bridge.ros.geometry import Odom
from cow_bridge.ros.messages import odom_from_msg

REPO = Path(__file__).resolve().parents[3]
"""The repository root: the working directory of every process."""
PYTHON_DIR = REPO / "sim_bridge" / "python"
ROS_PYTHON = "/usr/bin/python3"
"""Debian's interpreter: the only one with rospy."""

T = TypeVar("T")


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cow_binary(subcommand: str | None = None) -> Path:
    """``$COW_BIN``, else ``target/debug/cow``; fails the test without one (or,
    with ``subcommand``, when the binary has no such subcommand)."""
    path = Path(os.environ.get("COW_BIN") or REPO / "target" / "debug" / "cow")
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"no cow binary at {path}: build it (cargo build) or set COW_BIN")
    if subcommand is not None:
        done = subprocess.run([path, subcommand, "--help"], capture_output=True, cwd=REPO)
        if done.returncode != 0:
            pytest.fail(f"{path} has no `{subcommand}` subcommand:\n{done.stderr.decode()}")
    return path


def wait_until(what: str, check: Callable[[], T | None], seconds: float, step: float = 0.05) -> T:
    """The first truthy ``check()``; fails the test naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(step)


def ros_arg(value: object) -> str:
    """A private parameter's value on a rospy command line (``_name:=VALUE``, read as YAML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)


class Processes:
    """The processes of a test, each in a process group of its own: :meth:`stop_all`
    (always called by the fixtures) stops every group (SIGINT, then SIGKILL after
    ``grace`` seconds) and checks that nothing of them is left."""

    def __init__(self, logs: Path, env: dict[str, str], grace: float = 10.0) -> None:
        self.logs = logs
        self.env = env
        self.grace = grace
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, cmd: Sequence[str | os.PathLike[str]]) -> subprocess.Popen[bytes]:
        """Starts ``cmd`` (output to ``LOGS/name.log``) in a new process group."""
        with open(self.log_path(name), "wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((name, proc))
        return proc

    def log_path(self, name: str) -> Path:
        """Where ``name``'s output goes."""
        return self.logs / f"{name}.log"

    def log(self, name: str) -> str:
        """``name``'s output so far."""
        path = self.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def alive(self, name: str) -> bool:
        """Whether ``name`` still runs."""
        return any(n == name and p.poll() is None for n, p in self.started)

    def stop(self, proc: subprocess.Popen[bytes]) -> int:
        """Stops one process group: SIGINT (a ROS node's Ctrl-C), then SIGTERM to
        what is left of the group, SIGKILL after ``grace`` seconds; returns the
        leader's exit status."""
        group = proc.pid
        if proc.poll() is None:
            _signal(group, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=self.grace)
        deadline = time.monotonic() + self.grace
        while _group_alive(group) and time.monotonic() < deadline:
            _signal(group, signal.SIGTERM)
            time.sleep(0.1)
        if _group_alive(group):
            _signal(group, signal.SIGKILL)
        return proc.wait()

    def stop_all(self) -> list[str]:
        """Stops everything, newest first; returns the names of the groups still
        alive after it (none, or the fixture fails the test)."""
        for _, proc in reversed(self.started):
            self.stop(proc)
        return [name for name, proc in self.started if _group_alive(proc.pid)]


def _signal(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_master(uri: str, proc: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    """Waits until the ROS master at ``uri`` answers."""
    master = xmlrpc.client.ServerProxy(uri)

    def up() -> bool:
        if proc.poll() is not None:
            pytest.fail("roscore exited")
        try:
            reply: Any = master.getSystemState("/cow_test")
            return bool(reply[0] == 1)
        except OSError:
            return False

    wait_until(f"the ROS master at {uri}", up, seconds, step=0.2)


def wait_for_hello(
    endpoint: str, procs: Processes, name: str, seconds: float = 30.0, **client: Any
) -> dict[str, Any]:
    """The capabilities of the server ``name`` once it answers at ``endpoint``."""
    deadline = time.monotonic() + seconds
    with Client(endpoint, timeout_ms=500, retries=0, **client) as c:
        while True:
            try:
                return c.hello()
            except BridgeTimeoutError:
                if not procs.alive(name) or time.monotonic() > deadline:
                    pytest.fail(f"{name} never answered hello at {endpoint}:\n{procs.log(name)}")


@dataclass
class World:
    """A ``cow sim serve`` test world."""

    endpoint: str
    capabilities: dict[str, Any]
    episodes: list[dict[str, Any]]

    def episode(self, episode_id: str) -> dict[str, Any]:
        """The episode with this id."""
        return next(e for e in self.episodes if e["id"] == episode_id)


def start_world(procs: Processes, episodes: int = 10) -> World:
    """Serves the embedded test split (a test world) on a free port."""
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    cow = cow_binary()
    procs.start(
        "world",
        [
            cow,
            "sim",
            "serve",
            "--config",
            "configs/embedded.toml",
            "--bind",
            endpoint,
            "--split",
            "test",
            "--episodes",
            str(episodes),
        ],
    )
    caps = wait_for_hello(endpoint, procs, "world")
    with Client(endpoint, timeout_ms=5000, retries=0) as c:
        return World(endpoint, caps, c.list_episodes())


def start_sim_robot(
    procs: Processes, ns: str, world: World, episode: str, params: dict[str, Any]
) -> None:
    """The simulated robot in ``episode``'s house, in namespace ``ns``, with extra
    parameters."""
    procs.start(
        "sim_robot",
        [
            ROS_PYTHON,
            "-m",
            "cow_bridge.testing.sim_robot",
            f"__ns:={ns}",
            "__name:=sim_robot",
            f"_world:={world.endpoint}",
            f"_episode:={episode}",
            *(f"_{k}:={ros_arg(v)}" for k, v in params.items()),
        ],
    )


NODE_SPEED = {
    "max_linear": 0.5,
    "max_angular": 1.5,
    "linear_gain": 4.0,
    "angular_gain": 5.0,
    "settle_time": 0.1,
}
"""Motion limits for the simulated base (it follows commands at once)."""


def node_params(world: World, **over: Any) -> dict[str, Any]:
    """The robot node's parameters for the simulated robot of ``world``."""
    cam = world.capabilities["camera"]
    params: dict[str, Any] = {
        "camera_height": float(cam["camera_height"]),
        "max_depth": float(cam["max_depth"]),
        "semantic_topic": "sim/semantic",
        "semantic_classes": list(world.capabilities["semantic_classes"]),
        **NODE_SPEED,
    }
    params.update(over)
    return params


def start_node(procs: Processes, ns: str, params: dict[str, Any]) -> None:
    """The robot node (``python3 -m cow_bridge.ros``) in namespace ``ns``."""
    procs.start(
        "node",
        [
            ROS_PYTHON,
            "-m",
            "cow_bridge.ros",
            f"__ns:={ns}",
            "__name:=cow_robot",
            *(f"_{k}:={ros_arg(v)}" for k, v in params.items()),
        ],
    )


@dataclass
class Watch:
    """The test's own view of one namespace's topics, and its operator topics."""

    ns: str
    odom: list[Odom] = field(default_factory=list)
    twists: list[tuple[float, float, float]] = field(default_factory=list)
    """(monotonic time, linear, angular) of every Twist on cmd_vel."""
    actions: list[tuple[float, str]] = field(default_factory=list)
    maps: list[OccupancyGrid] = field(default_factory=list)
    evidence: list[MarkerArray] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    tf_static: list[TFMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        n = self.ns
        self._subs: list[rospy.Subscriber[Any]] = [
            rospy.Subscriber(f"{n}/odom", Odometry, self._on_odom, queue_size=100),
            rospy.Subscriber(f"{n}/cmd_vel", Twist, self._on_twist, queue_size=100),
            rospy.Subscriber(f"{n}/cow/action", String, self._on_action, queue_size=100),
            rospy.Subscriber(f"{n}/cow/map", OccupancyGrid, self._keep(self.maps), queue_size=5),
            rospy.Subscriber(
                f"{n}/cow/evidence", MarkerArray, self._keep(self.evidence), queue_size=5
            ),
            rospy.Subscriber(f"{n}/cow/status", String, self._on_status, queue_size=5),
            rospy.Subscriber("/tf_static", TFMessage, self._keep(self.tf_static), queue_size=5),
        ]
        self.goal = rospy.Publisher(f"{n}/cow/goal", String, queue_size=1, latch=True)
        self.estop = rospy.Publisher(f"{n}/cow/estop", Bool, queue_size=1, latch=True)
        self.reset_map = rospy.Publisher(f"{n}/cow/reset_map", Empty, queue_size=1)

    def _on_odom(self, msg: Odometry) -> None:
        with self.lock:
            self.odom.append(odom_from_msg(msg))
            del self.odom[:-2000]

    def _on_twist(self, msg: Twist) -> None:
        with self.lock:
            self.twists.append((time.monotonic(), msg.linear.x, msg.angular.z))

    def _on_action(self, msg: String) -> None:
        with self.lock:
            self.actions.append((time.monotonic(), msg.data))

    def _on_status(self, msg: String) -> None:
        with self.lock:
            self.status.append(msg.data)

    def _keep(self, into: list[T]) -> Callable[[T], None]:
        def callback(msg: T) -> None:
            with self.lock:
                into.append(msg)
                del into[:-20]

        return callback

    def odom_since(self, t: float) -> list[Odom]:
        """The odometry samples stamped at or after ``t`` (ROS time)."""
        with self.lock:
            return [o for o in self.odom if o.t >= t]

    def pose(self) -> Pose:
        """The robot's latest odometry pose (the simulated robot's odom is its world pose)."""
        o = wait_until("odometry", lambda: self.odom[-1] if self.odom else None, 20.0)
        return Pose(o.x, o.y, 0.0, o.yaw)

    def publish_when_heard(
        self, publisher: rospy.Publisher[T], msg: T, seconds: float = 10.0
    ) -> None:
        """Publishes ``msg`` once ``publisher`` has a subscriber (the node)."""
        wait_until(f"a subscriber of {publisher.name}", publisher.get_num_connections, seconds)
        publisher.publish(msg)

    def close(self) -> None:
        """Leaves the topics."""
        for sub in self._subs:
            sub.unregister()
        for pub in (self.goal, self.estop, self.reset_map):
            pub.unregister()


EPISODE = "test-house_2000000-Mug-0"
"""A small embedded house (3 rooms; a mug, an alarm clock, a vase, a basketball and
a laptop) and a start 2.1 m from a mug."""


@dataclass
class Rig:
    """The world, the simulated robot and the node of one test."""

    procs: Processes
    world: World
    ns: str
    endpoint: str
    watch: Watch
    stats_file: Path

    def client(self, **kw: Any) -> Client:
        """A protocol client of the node."""
        return Client(self.endpoint, **{"timeout_ms": 8000, "retries": 0, **kw})

    def world_client(self) -> Client:
        """A protocol client of the test world (ground truth)."""
        return Client(self.world.endpoint, timeout_ms=5000, retries=0)

    def stop_node(self) -> int:
        """Stops the node (SIGINT: it writes its stats); returns its exit status."""
        return self.procs.stop(next(p for n, p in self.procs.started if n == "node"))

    def stats(self) -> dict[str, Any]:
        """The node's stats file."""
        data: dict[str, Any] = json.loads(self.stats_file.read_text())
        return data


def displacement(a: Pose, b: Pose) -> tuple[float, float]:
    """``b - a`` in ``a``'s base frame: (forward, left), metres."""
    dx, dy = b.x - a.x, b.y - a.y
    c, s = math.cos(a.yaw), math.sin(a.yaw)
    return (c * dx + s * dy, -s * dx + c * dy)
