"""The robot node's ROS parameters: names, defaults, types and checks (no rospy).

Every parameter is private to the node (``~name``, e.g. ``_rgb_topic:=...``
on the command line or ``<param>`` in a launch file); topic names are
resolved in the node's namespace, so they can also be remapped. Units: metres,
seconds, degrees where the name says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from cow_bridge.ros.motion import MotionLimits


@dataclass(frozen=True)
class NodeParams:
    """The node's parameters (defaults: a RealSense-style camera and a base on ``cmd_vel``)."""

    # Topics in (sensor_msgs/Image, sensor_msgs/CameraInfo, nav_msgs/Odometry).
    rgb_topic: str = "camera/color/image_raw"
    depth_topic: str = "camera/aligned_depth_to_color/image_raw"
    camera_info_topic: str = "camera/color/camera_info"
    odom_topic: str = "odom"
    semantic_topic: str = ""
    """A simulator's semantic frame (32SC1, cow's class << 16 | instance); "" on a real robot."""
    semantic_classes: list[str] = field(default_factory=list)
    """Class names of the semantic frame (class 0 "nothing"); needed with ``semantic_topic``."""
    # Operator topics in (std_msgs/String, std_msgs/Bool, std_msgs/Empty).
    goal_topic: str = "cow/goal"
    estop_topic: str = "cow/estop"
    reset_map_topic: str = "cow/reset_map"
    # Topics out (geometry_msgs/Twist; nav_msgs/OccupancyGrid, std_msgs/String,
    # visualization_msgs/MarkerArray).
    cmd_vel_topic: str = "cmd_vel"
    map_topic: str = "cow/map"
    status_topic: str = "cow/status"
    action_topic: str = "cow/action"
    evidence_topic: str = "cow/evidence"
    # Frames (REP-105).
    map_frame: str = "map"
    odom_frame: str = "odom"
    base_frame: str = "base_link"
    publish_map_to_odom: bool = True
    """Publish the identity map -> odom transform (cow's map is built in odom)."""
    # The protocol v1 server (cow deploy connects here) and cow deploy's telemetry.
    bind: str = "tcp://127.0.0.1:5570"
    curve_secret_key: str = ""
    """This node's secret certificate (NAME.key_secret): CURVE on when set."""
    curve_clients_dir: str = ""
    """Directory of the allowed clients' public certificates (with curve_secret_key)."""
    telemetry: str = ""
    """cow deploy's telemetry endpoint (its --telemetry); "" = no map for RViz."""
    telemetry_server_key: str = ""
    """The telemetry publisher's public certificate when it uses CURVE (this node is
    then its client, with curve_secret_key as its key pair)."""
    robot_name: str = "ros-robot"
    # Camera and actions announced in hello.
    camera_height: float = 0.0
    """Height of the optical centre above the floor, metres (required)."""
    max_depth: float = 5.0
    move_step: float = 0.25
    turn_step_deg: float = 30.0
    success_distance: float = 1.0
    # Synchronisation and the stale-frame rule.
    sync_tolerance: float = 0.05
    max_frame_age: float = 0.5
    frame_timeout: float = 3.0
    """Longest wait for a usable frame before a request fails."""
    odom_timeout: float = 0.5
    """Longest silence of odometry during a motion before it is abandoned."""
    stats_file: str = ""
    """Where to write the latency and goal-to-Stop summary (JSON) on exit."""
    motion: MotionLimits = field(default_factory=MotionLimits)
    """The primitives' limits, each a parameter of its own name (max_linear, ...)."""

    def check(self) -> None:
        """Raises ``ValueError`` naming the first bad parameter."""
        for name in ("camera_height", "max_depth", "move_step", "turn_step_deg"):
            self._positive(name)
        for name in ("success_distance", "max_frame_age", "frame_timeout", "odom_timeout"):
            self._positive(name)
        if not (math.isfinite(self.sync_tolerance) and self.sync_tolerance >= 0):
            raise ValueError(f"~sync_tolerance = {self.sync_tolerance}, expected a number >= 0")
        for name in ("rgb_topic", "depth_topic", "camera_info_topic", "odom_topic", "bind"):
            if not getattr(self, name):
                raise ValueError(f"~{name} is empty")
        if self.semantic_topic and (not self.semantic_classes or not self.semantic_classes[0]):
            raise ValueError("~semantic_topic needs ~semantic_classes (class 0 first)")
        if bool(self.curve_secret_key) != bool(self.curve_clients_dir):
            raise ValueError("CURVE needs both ~curve_secret_key and ~curve_clients_dir")
        if self.telemetry_server_key and not self.curve_secret_key:
            raise ValueError("~telemetry_server_key needs ~curve_secret_key (this node's keys)")
        self.motion.check()

    def _positive(self, name: str) -> None:
        value = getattr(self, name)
        if not (math.isfinite(value) and value > 0):
            hint = " (required)" if name == "camera_height" else ""
            raise ValueError(f"~{name} = {value}, expected a number > 0{hint}")

    @classmethod
    def read(cls, get: Callable[[str, Any], Any]) -> NodeParams:
        """Reads every parameter with ``get(name, default)`` (``rospy.get_param``
        on ``~name``), checks types and values."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "motion":
                continue
            default = f.default_factory() if callable(f.default_factory) else f.default
            values[f.name] = _typed(f.name, get(f.name, default), default)
        motion = {
            f.name: _typed(f.name, get(f.name, getattr(MotionLimits(), f.name)), 0.0)
            for f in fields(MotionLimits)
        }
        params = cls(**values, motion=MotionLimits(**motion))
        params.check()
        return params


def _typed(name: str, value: Any, default: Any) -> Any:
    """``value`` as the default's type (an int where a float is expected is fine)."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"~{name} = {value!r}, expected true or false")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"~{name} = {value!r}, expected a number")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(f"~{name} = {value!r}, expected a string")
        return value
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"~{name} = {value!r}, expected a list of strings")
        return list(value)
    raise TypeError(f"parameter {name} has an unsupported type")
