"""Test helper: a simulated ROS robot that lives in cow's embedded houses.

Nothing here runs on a real robot. :class:`SimRobot` stands where a robot's
base and camera drivers would, so that the robot node
(:mod:`cow_bridge.ros`) runs exactly as on a robot: it integrates a
continuous pose from ``cmd_vel`` and renders the embedded simulator there,
through a ``cow sim serve`` test world (``capabilities.test_world``) and
:class:`cow_bridge.Client`'s test-world requests ``render(pose)`` and
``free(position)``. The episode chosen with ``reset`` picks the house and the
start pose; the episode itself never takes a step.

- Base: a unicycle at ``~physics_rate`` Hz driven by the latest
  ``geometry_msgs/Twist`` (zero after ``~cmd_timeout`` s without one, as a
  base's watchdog does). A move into a position where the agent cannot stand
  (``free`` is false) is refused: the position stays, the turn is applied, and
  the reported speed is zero.
- Odometry: ``nav_msgs/Odometry`` on ``~odom_topic`` at ``~physics_rate`` Hz,
  in frame ``odom`` (which coincides with the house's world frame: the pose
  starts at the episode's start) with child ``base_link``; the same as
  ``/tf`` ``odom`` -> ``base_link``.
- Camera at ``~camera_rate`` Hz, all stamped with the pose's time:
  ``sensor_msgs/Image`` rgb8 (or bgr8: ``~colour_encoding``) on ``~rgb_topic``,
  32FC1 metres (or 16UC1 millimetres: ``~depth_encoding``) on ``~depth_topic``
  (registered to colour), ``sensor_msgs/CameraInfo`` on
  ``~camera_info_topic`` (frame ``camera_optical_frame``, static on ``/tf_static``
  at the camera height), and the embedded semantic frame (32SC1, cow's
  ``class << 16 | instance``) on ``~semantic_topic``: a real robot has none,
  the node forwards it only when configured with that topic.
- ``~semantic_classes`` (set by the robot): the semantic frame's class names,
  for the node's parameter of the same name.

:func:`goal_check` is the ground truth a test shows: whether the robot stands
within the success distance of a goal instance it can see, by the test
world's own ``objects`` rule from the robot's pose.

ROS surface: ``rospy.init_node``, ``get_param``/``set_param`` (``~`` names
above plus ``~world`` and ``~episode``), ``Publisher`` (Image, CameraInfo,
Odometry, TFMessage), ``Subscriber`` (Twist), ``Rate``, ``Time``.

Run: ``/usr/bin/python3 -m cow_bridge.testing.sim_robot _world:=tcp://127.0.0.1:5555
_episode:=test-house_...``.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import rospy
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from sensor_msgs.msg import CameraInfo, Image
from tf2_msgs.msg import TFMessage

from cow_bridge.client import Client
from cow_bridge.protocol import Pose
from cow_bridge.ros.geometry import Odom, quaternion_from_yaw, wrap
from cow_bridge.ros.images import COLOUR_ENCODINGS, DEPTH_ENCODINGS, encode, millimetres
from cow_bridge.ros.messages import camera_info_msg, image_msg, odometry_msg, transform_msg

OPTICAL_FROM_BASE = (-0.5, 0.5, -0.5, 0.5)
"""Rotation of an optical frame (x right, y down, z forward) in base_link (REP-103)."""


@dataclass(frozen=True)
class SimParams:
    """The simulated robot's parameters (private ``~`` names)."""

    world: str
    episode: str
    camera_rate: float = 10.0
    physics_rate: float = 50.0
    cmd_timeout: float = 0.5
    rgb_topic: str = "camera/color/image_raw"
    depth_topic: str = "camera/aligned_depth_to_color/image_raw"
    camera_info_topic: str = "camera/color/camera_info"
    semantic_topic: str = "sim/semantic"
    odom_topic: str = "odom"
    cmd_vel_topic: str = "cmd_vel"
    colour_encoding: str = "rgb8"
    """rgb8 or bgr8."""
    depth_encoding: str = "32FC1"
    """32FC1 (metres) or 16UC1 (millimetres), REP-118."""

    @classmethod
    def from_ros(cls) -> SimParams:
        """Reads the parameters (``~world`` and ``~episode`` are required)."""
        values: dict[str, Any] = {}
        for name, default in vars(cls(world="", episode="")).items():
            value = rospy.get_param("~" + name, default)
            values[name] = type(default)(value)
        params = cls(**values)
        if not params.world or not params.episode:
            raise ValueError("~world (a cow sim serve endpoint) and ~episode are required")
        if not (params.physics_rate >= params.camera_rate > 0):
            raise ValueError("need ~physics_rate >= ~camera_rate > 0")
        if params.colour_encoding not in COLOUR_ENCODINGS:
            raise ValueError(f"~colour_encoding is one of {COLOUR_ENCODINGS}")
        if params.depth_encoding not in DEPTH_ENCODINGS:
            raise ValueError(f"~depth_encoding is one of {DEPTH_ENCODINGS}")
        return params


@dataclass(frozen=True)
class GoalCheck:
    """Ground truth at a pose: the goal category's instances as the test world sees them."""

    reached: bool
    """An instance is ``visible`` (within the success distance, enough pixels in view)."""
    instances: list[dict[str, Any]]
    """The test world's ``objects`` entries of the category (distance, pixels, visible)."""


def goal_check(client: Client, pose: Pose, object_type: str) -> GoalCheck:
    """Whether a robot at ``pose`` stopped within the success distance of an
    instance of ``object_type`` it can see: the test world's agent is placed
    there (``set_pose``: the episode never takes a step) and its ``objects``
    rule decides."""
    client.set_pose(pose)
    mine = [o for o in client.objects() if o["object_type"] == object_type]
    return GoalCheck(any(o["visible"] for o in mine), mine)


class SimRobot:
    """A unicycle base and an RGB-D(-S) camera in an embedded house (module doc)."""

    def __init__(self, params: SimParams, client: Client) -> None:
        self.params = params
        self.client = client
        caps = client.hello()
        if not caps.get("test_world"):
            raise ValueError(f"{params.world} is no test world: it cannot render at a pose")
        self.camera: dict[str, Any] = caps["camera"]
        self.semantic_classes: list[str] = list(caps.get("semantic_classes", []))
        start = client.reset(params.episode).pose
        if start is None:
            raise ValueError(f"episode {params.episode} has no start pose")
        self.x, self.y, self.yaw = start.x, start.y, start.yaw
        self.v = self.w = 0.0
        self.refused = 0
        self._cmd = (0.0, 0.0, -math.inf)
        self._lock = threading.Lock()
        p = params
        self._rgb = rospy.Publisher(p.rgb_topic, Image, queue_size=2)
        self._depth = rospy.Publisher(p.depth_topic, Image, queue_size=2)
        self._info = rospy.Publisher(p.camera_info_topic, CameraInfo, queue_size=2)
        self._semantic = rospy.Publisher(p.semantic_topic, Image, queue_size=2)
        self._odom = rospy.Publisher(p.odom_topic, Odometry, queue_size=10)
        self._tf = rospy.Publisher("/tf", TFMessage, queue_size=10)
        self._tf_static = rospy.Publisher("/tf_static", TFMessage, queue_size=1, latch=True)
        self._sub = rospy.Subscriber(p.cmd_vel_topic, Twist, self._on_cmd, queue_size=1)
        rospy.set_param("~semantic_classes", self.semantic_classes)
        camera_height = float(self.camera["camera_height"])
        rospy.set_param("~camera_height", camera_height)
        self._tf_static.publish(
            TFMessage(
                transforms=[
                    transform_msg(
                        "base_link",
                        "camera_optical_frame",
                        rospy.Time.now(),
                        (0.0, 0.0, camera_height),
                        OPTICAL_FROM_BASE,
                    )
                ]
            )
        )
        rospy.loginfo(
            "simulated robot in %s at (%.2f, %.2f, yaw %.2f)",
            params.episode,
            self.x,
            self.y,
            self.yaw,
        )

    def _on_cmd(self, msg: Twist) -> None:
        with self._lock:
            self._cmd = (msg.linear.x, msg.angular.z, time.monotonic())

    def tick(self, dt: float) -> None:
        """Integrates ``dt`` seconds of the latest command, refusing blocked moves."""
        with self._lock:
            v, w, at = self._cmd
        if time.monotonic() - at > self.params.cmd_timeout:
            v = w = 0.0
        heading = self.yaw + w * dt / 2
        x, y = self.x + v * dt * math.cos(heading), self.y + v * dt * math.sin(heading)
        self.yaw = wrap(self.yaw + w * dt)
        self.w = w
        self.v = 0.0
        if v != 0.0:
            if self.client.free((x, y, 0.0)):
                self.x, self.y, self.v = x, y, v
            else:
                self.refused += 1

    def publish_odometry(self, stamp: rospy.Time) -> None:
        """Odometry and ``odom`` -> ``base_link`` at ``stamp``."""
        odom = Odom(stamp.to_sec(), self.x, self.y, self.yaw, self.v, self.w)
        self._odom.publish(odometry_msg(odom, "odom", "base_link", stamp))
        tf = transform_msg(
            "odom", "base_link", stamp, (self.x, self.y, 0.0), quaternion_from_yaw(self.yaw)
        )
        self._tf.publish(TFMessage(transforms=[tf]))

    def publish_camera(self, stamp: rospy.Time) -> None:
        """Renders the house at the current pose and publishes the camera topics."""
        obs = self.client.render(Pose(self.x, self.y, 0.0, self.yaw))
        frame = "camera_optical_frame"
        p = self.params
        depth = millimetres(obs.depth) if p.depth_encoding == "16UC1" else obs.depth
        msgs = [
            (self._rgb, image_msg(encode(obs.rgb, p.colour_encoding), stamp, frame)),
            (self._depth, image_msg(encode(depth, p.depth_encoding), stamp, frame)),
        ]
        if obs.semantic is not None:
            msgs.append((self._semantic, image_msg(encode(obs.semantic, "32SC1"), stamp, frame)))
        self._info.publish(camera_info_msg(self.camera, stamp, frame))
        for publisher, msg in msgs:
            publisher.publish(msg)

    def run(self) -> None:
        """Ticks at ``~physics_rate`` until ROS shuts down."""
        p = self.params
        rate = rospy.Rate(p.physics_rate)
        every = max(1, round(p.physics_rate / p.camera_rate))
        ticks = 0
        last = time.monotonic()
        while not rospy.is_shutdown():
            now = time.monotonic()
            self.tick(now - last)
            last = now
            stamp = rospy.Time.now()
            self.publish_odometry(stamp)
            if ticks % every == 0:
                self.publish_camera(stamp)
            ticks += 1
            try:
                rate.sleep()
            except rospy.ROSInterruptException:
                break


def main() -> int:
    """Runs the simulated robot node until shutdown."""
    rospy.init_node("sim_robot", argv=sys.argv)
    try:
        params = SimParams.from_ros()
    except ValueError as e:
        rospy.logfatal(str(e))
        return 2
    with Client(params.world, timeout_ms=5000, retries=2) as client:
        robot = SimRobot(params, client)
        robot.run()
        rospy.loginfo("simulated robot: %d blocked moves refused", robot.refused)
    return 0


if __name__ == "__main__":
    sys.exit(main())
