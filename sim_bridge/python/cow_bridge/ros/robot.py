"""The robot as a protocol v1 backend: ROS topics in, motion primitives out.

:class:`RosRobot` is a :class:`cow_bridge.server.Backend` (and
:class:`~cow_bridge.server.GoalBackend`) for ``cow deploy``, served by the
shared serve loop. It has no episode list and no ground truth
(``provides_ground_truth: false``).

ROS surface (names are the node's parameters, :mod:`cow_bridge.ros.params`):

- subscribes ``~rgb_topic`` (``sensor_msgs/Image``, rgb8 or bgr8),
  ``~depth_topic`` (``sensor_msgs/Image``, 32FC1 metres or 16UC1 millimetres,
  REP-118), ``~camera_info_topic`` (``sensor_msgs/CameraInfo``),
  ``~odom_topic`` (``nav_msgs/Odometry``: pose in odom, twist in base_link),
  optionally ``~semantic_topic`` (``sensor_msgs/Image`` 32SC1, a simulator's);
  ``~goal_topic`` (``std_msgs/String``), ``~estop_topic`` (``std_msgs/Bool``),
  ``~reset_map_topic`` (``std_msgs/Empty``);
- publishes ``~cmd_vel_topic`` (``geometry_msgs/Twist``, base_link) and
  ``~action_topic`` (``std_msgs/String``: each action as it starts).

Behaviour:

- ``hello``: the camera from CameraInfo (pinhole fx, fy, cx, cy; hfov from
  fx), ``~camera_height``, ``~max_depth``, the primitives' step sizes,
  ``provides_pose`` (odometry, REP-103 in the odom frame), ``provides_semantic``
  only with ``~semantic_topic``.
- ``reset {episode_id, goal?}``: starts session ``episode_id``; a goal given
  there becomes the current goal unless it repeats the previous reset's goal
  for the same session (a client that resends its start-up goal does not undo
  a goal that arrived on the topic since). Replies with the latest
  synchronised frame (:mod:`cow_bridge.ros.sync`).
- ``step``: ``RotateLeft`` / ``RotateRight`` turn by ``~turn_step_deg`` and
  ``MoveAhead`` drives ``~move_step`` metres, closed-loop on odometry (one
  Twist per odometry message, :mod:`cow_bridge.ros.motion`); the reply is the
  first synchronised frame taken after the motion ended. A blocked or
  timed-out motion (or silent odometry) reports ``last_action_success`` false.
  ``Stop`` zeroes the velocity and replies ``done``; the session then takes no
  ``step`` until the next ``reset`` (``no_episode``).
- Observations carry the current goal ("" while there is none), the frame's
  ROS time as ``stamp`` (never older than the frame sent before), and
  ``reset_map`` once after a message on ``~reset_map_topic``.
- E-stop: ``true`` on ``~estop_topic`` zeroes the velocity at once (from the
  subscriber's callback) and aborts a running motion; until ``false`` arrives
  every ``reset`` and ``step`` is answered with an ``estop`` error.
- Measured: odometry received -> Twist published (each control update) and
  frame received -> first Twist of the action decided on it (the whole
  sense-decide-act loop through cow deploy), and the seconds from each goal
  to Stop; logged, and written as JSON to ``~stats_file`` after each Stop and
  at exit.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rospy
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Bool, Empty, String

from cow_bridge.protocol import ACTIONS, Observation, Pose, ProtocolError
from cow_bridge.ros.geometry import Odom, camera_capabilities
from cow_bridge.ros.images import decode_depth, decode_rgb, decode_semantic
from cow_bridge.ros.messages import camera_k, odom_from_msg, seconds, twist
from cow_bridge.ros.metrics import Durations
from cow_bridge.ros.motion import Drive, Primitive, Status, Turn
from cow_bridge.ros.params import NodeParams
from cow_bridge.ros.sync import Frame, FrameAssembler, usable


class RosRobot:
    """A ROS robot behind the protocol v1 serve loop (see the module doc)."""

    def __init__(self, params: NodeParams) -> None:
        self.params = params
        self._cond = threading.Condition()
        streams = ["rgb", "depth", *(["semantic"] if params.semantic_topic else [])]
        self._frames = FrameAssembler[Image](streams, params.sync_tolerance)
        self._latest: Frame[Image] | None = None
        self._camera: dict[str, Any] | None = None
        self._odom: Odom | None = None
        self._odom_received = -math.inf
        self._odom_count = 0
        self._images = dict.fromkeys(streams, 0)
        self._estop = False
        self._goal = ""
        self._goal_since = time.monotonic()
        self._goal_steps = 0
        self._reset_goal: tuple[str, str] | None = None
        self._reset_map = False
        self._session: str | None = None
        self._steps = 0
        self._done = True
        self._last_stamp = -math.inf
        self._last_frame_received: float | None = None
        self.odom_to_twist = Durations()
        self.frame_to_twist = Durations()
        self.goal_to_stop: list[dict[str, Any]] = []
        self.estop_replies = 0
        self.failed_actions = 0

        self._cmd = rospy.Publisher(params.cmd_vel_topic, Twist, queue_size=1)
        self._action = rospy.Publisher(params.action_topic, String, queue_size=10)
        self._subs: list[rospy.Subscriber[Any]] = [
            rospy.Subscriber(params.odom_topic, Odometry, self._on_odom, queue_size=50),
            rospy.Subscriber(params.camera_info_topic, CameraInfo, self._on_info, queue_size=1),
            rospy.Subscriber(params.goal_topic, String, self._on_goal, queue_size=10),
            rospy.Subscriber(params.estop_topic, Bool, self._on_estop, queue_size=10),
            rospy.Subscriber(params.reset_map_topic, Empty, self._on_reset_map, queue_size=10),
        ]
        topics = {"rgb": params.rgb_topic, "depth": params.depth_topic}
        if params.semantic_topic:
            topics["semantic"] = params.semantic_topic
        for stream, topic in topics.items():
            self._subs.append(
                rospy.Subscriber(
                    topic, Image, self._image_callback(stream), queue_size=2, buff_size=1 << 24
                )
            )
        rospy.loginfo(
            "cow robot: %s + %s + %s, odometry %s, commands on %s",
            params.rgb_topic,
            params.depth_topic,
            params.camera_info_topic,
            params.odom_topic,
            params.cmd_vel_topic,
        )

    # ------------------------------------------------------------- callbacks

    def _image_callback(self, stream: str) -> Callable[[Image], None]:
        def callback(msg: Image) -> None:
            with self._cond:
                self._images[stream] += 1
                frames = self._frames.add_image(stream, seconds(msg.header), msg, time.monotonic())
                self._keep(frames)

        return callback

    def _on_odom(self, msg: Odometry) -> None:
        odom = odom_from_msg(msg)
        with self._cond:
            self._odom, self._odom_received = odom, time.monotonic()
            self._odom_count += 1
            self._keep(self._frames.add_odom(odom, self._odom_received))
            self._cond.notify_all()

    def _keep(self, frames: list[Frame[Image]]) -> None:
        if frames:
            self._latest = frames[-1]
            self._cond.notify_all()

    def _on_info(self, msg: CameraInfo) -> None:
        p = self.params
        try:
            camera = camera_capabilities(
                msg.width, msg.height, camera_k(msg), p.camera_height, p.max_depth
            )
        except ValueError as e:
            rospy.logwarn_throttle(5.0, f"ignoring camera info on {p.camera_info_topic}: {e}")
            return
        with self._cond:
            if self._camera is None:
                rospy.loginfo("camera: %s", json.dumps(camera))
            self._camera = camera
            self._cond.notify_all()

    def _on_goal(self, msg: String) -> None:
        with self._cond:
            self._set_goal(msg.data.strip(), "topic")

    def _set_goal(self, goal: str, source: str) -> None:
        if goal != self._goal:
            rospy.loginfo("goal %r (from the %s; was %r)", goal, source, self._goal)
            self._goal, self._goal_since, self._goal_steps = goal, time.monotonic(), 0

    def _on_estop(self, msg: Bool) -> None:
        with self._cond:
            if msg.data and not self._estop:
                self._cmd.publish(twist(0.0, 0.0))
                rospy.logwarn("E-STOP engaged: velocity zeroed, refusing to move")
            elif not msg.data and self._estop:
                rospy.logwarn("e-stop released")
            self._estop = bool(msg.data)
            self._cond.notify_all()

    def _on_reset_map(self, msg: Empty) -> None:
        with self._cond:
            self._reset_map = True
            rospy.loginfo("reset-map request: the next observation asks cow to forget its map")

    # ------------------------------------------------------------- backend

    def hello(self) -> dict[str, Any]:
        """Capabilities; waits up to ``~frame_timeout`` for the first CameraInfo."""
        p = self.params
        with self._cond:
            if not self._cond.wait_for(lambda: self._camera is not None, p.frame_timeout):
                raise ProtocolError(
                    "internal",
                    f"no sensor_msgs/CameraInfo on {rospy.resolve_name(p.camera_info_topic)} "
                    f"within {p.frame_timeout} s",
                )
            camera = dict(self._camera or {})
        return {
            "protocol_version": 1,
            "simulator": p.robot_name,
            "camera": camera,
            "actions": list(ACTIONS),
            "action_space": {"move_step": p.move_step, "turn_step_deg": p.turn_step_deg},
            "provides_pose": True,
            "provides_semantic": bool(p.semantic_topic),
            "semantic_classes": list(p.semantic_classes) if p.semantic_topic else [],
            "success_distance": p.success_distance,
            "provides_ground_truth": False,
        }

    def list_episodes(self) -> list[dict[str, Any]]:
        """A robot has no episode list."""
        return []

    def reset(self, episode_id: str) -> Observation:
        """Starts (or continues) session ``episode_id`` with the current goal."""
        return self._start(episode_id, None)

    def reset_with_goal(self, episode_id: str, goal: str) -> Observation:
        """Starts session ``episode_id`` with ``goal`` (see the module doc)."""
        return self._start(episode_id, goal.strip())

    def _start(self, session: str, goal: str | None) -> Observation:
        with self._cond:
            self._refuse_in_estop("reset")
            self._cmd.publish(twist(0.0, 0.0))
            if goal is not None and (session, goal) != self._reset_goal:
                self._reset_goal = (session, goal)
                self._set_goal(goal, "reset request")
            if session != self._session:
                rospy.loginfo("session %r", session)
            self._session, self._steps, self._done = session, 0, False
        return self._observe(None, True)

    def step(self, action: str) -> Observation:
        """Executes one action (see the module doc)."""
        p = self.params
        with self._cond:
            self._refuse_in_estop("step")
            if self._session is None:
                raise ProtocolError("no_episode", "step before reset")
            if self._done:
                raise ProtocolError("no_episode", "the session ended with Stop; reset to go on")
        self._action.publish(String(data=action))
        if action == "Stop":
            with self._cond:
                self._cmd.publish(twist(0.0, 0.0))
                self._done = True
                self._steps += 1
                self._goal_steps += 1
                elapsed = time.monotonic() - self._goal_since
                self.goal_to_stop.append(
                    {"goal": self._goal, "seconds": elapsed, "steps": self._goal_steps}
                )
                rospy.loginfo("Stop: goal %r, %.1f s after it was given", self._goal, elapsed)
            self.write_stats()
            return self._observe("Stop", True, done=True)
        turn = math.radians(p.turn_step_deg)
        limits = p.motion
        start: Callable[[Odom], Primitive]
        if action == "MoveAhead":

            def start(o: Odom) -> Primitive:
                return Drive(o, p.move_step, limits)

        else:
            angle = turn if action == "RotateLeft" else -turn

            def start(o: Odom) -> Primitive:
                return Turn(o, angle, limits)

        status = self._execute(action, start)
        with self._cond:
            self._steps += 1
            self._goal_steps += 1
        if status is not Status.SUCCEEDED:
            self.failed_actions += 1
            rospy.logwarn("%s %s", action, status.value)
        return self._observe(action, status is Status.SUCCEEDED, not_before=rospy.get_time())

    def _execute(self, action: str, start: Callable[[Odom], Primitive]) -> Status:
        """Runs a primitive until it ends: the first Twist at once from the latest
        odometry, then one per odometry message."""
        p = self.params
        with self._cond:
            if self._odom is None or time.monotonic() - self._odom_received > p.odom_timeout:
                raise ProtocolError(
                    "internal",
                    f"no odometry on {rospy.resolve_name(p.odom_topic)} for {p.odom_timeout} s",
                )
            primitive = start(self._odom)
            odom, received = self._odom, self._odom_received
            seen = self._odom_count
            first = True
            while True:
                command = primitive.update(odom)
                # Published under the lock: an e-stop callback cannot slip in between.
                self._cmd.publish(twist(command.linear, command.angular))
                now = time.monotonic()
                self.odom_to_twist.add(now - received)
                if first and self._last_frame_received is not None:
                    self.frame_to_twist.add(now - self._last_frame_received)
                first = False
                if command.status.finished:
                    return command.status
                fresh = self._cond.wait_for(self._odometry_after(seen), p.odom_timeout)
                if self._estop:
                    self._refuse_in_estop(action)
                if not fresh:
                    self._cmd.publish(twist(0.0, 0.0))
                    rospy.logwarn("%s abandoned: odometry silent for %s s", action, p.odom_timeout)
                    return Status.TIMED_OUT
                seen = self._odom_count
                assert self._odom is not None
                odom, received = self._odom, self._odom_received

    def _odometry_after(self, seen: int) -> Callable[[], bool]:
        """Whether an odometry message after the ``seen``-th arrived (or the e-stop)."""
        return lambda: self._odom_count != seen or self._estop

    def _refuse_in_estop(self, what: str) -> None:
        if self._estop:
            self.estop_replies += 1
            self._cmd.publish(twist(0.0, 0.0))
            raise ProtocolError("estop", f"{what} refused: the robot's e-stop is engaged")

    def _observe(
        self, last_action: str | None, success: bool, done: bool = False, not_before: float = 0.0
    ) -> Observation:
        """The first usable synchronised frame (taken at or after ``not_before``
        and the last frame sent, at most ``~max_frame_age`` old) as an observation."""
        p = self.params
        deadline = time.monotonic() + p.frame_timeout
        with self._cond:
            bound = max(not_before, self._last_stamp)

            def ready() -> bool:
                f = self._latest
                return self._estop or (
                    f is not None and usable(f.stamp, rospy.get_time(), bound, p.max_frame_age)
                )

            while not ready():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ProtocolError("internal", self._no_frame(bound))
                self._cond.wait(min(left, 0.05))
            if self._estop:
                self._refuse_in_estop(last_action or "reset")
            frame = self._latest
            assert frame is not None
            self._last_stamp = frame.stamp
            self._last_frame_received = frame.received
            reset_map, self._reset_map = self._reset_map, False
            goal, session, steps = self._goal, self._session or "", self._steps
        camera = self._camera or {}
        rgb = decode_rgb(frame.images["rgb"])
        depth = decode_depth(frame.images["depth"], p.max_depth)
        semantic = decode_semantic(frame.images["semantic"]) if p.semantic_topic else None
        size = (camera.get("height"), camera.get("width"))
        for name, shape in (("rgb", rgb.shape[:2]), ("depth", depth.shape)) + (
            () if semantic is None else (("semantic", semantic.shape),)
        ):
            if shape != size:
                raise ProtocolError(
                    "internal",
                    f"{name} frame is {shape[1]}x{shape[0]}, the camera info says "
                    f"{size[1]}x{size[0]} (register depth to colour)",
                )
        return Observation(
            episode_id=session,
            step=steps,
            goal=goal,
            goal_category="",
            rgb=rgb,
            depth=depth,
            semantic=semantic,
            pose=Pose(frame.pose.x, frame.pose.y, 0.0, frame.pose.yaw),
            last_action=last_action,
            last_action_success=success,
            done=done,
            stamp=frame.stamp,
            reset_map=reset_map,
        )

    def _no_frame(self, bound: float) -> str:
        p = self.params
        names = {"rgb": p.rgb_topic, "depth": p.depth_topic, "semantic": p.semantic_topic}
        counts = ", ".join(f"{rospy.resolve_name(names[s])}: {n}" for s, n in self._images.items())
        latest = "none" if self._latest is None else f"{self._latest.stamp:.3f}"
        return (
            f"no synchronised frame taken after {bound:.3f} within {p.frame_timeout} s "
            f"(latest {latest}, now {rospy.get_time():.3f}; images received {counts}; "
            f"odometry messages {self._odom_count}; dropped {self._frames.dropped})"
        )

    def episode_result(self) -> dict[str, Any]:
        """A robot has no ground truth."""
        raise ProtocolError(
            "unknown_type", "episode_result: a robot has no ground truth (provides_ground_truth)"
        )

    def stats(self) -> dict[str, Any]:
        """The measured latencies and goal-to-Stop times."""
        with self._cond:
            return {
                "odom_to_twist": self.odom_to_twist.summary(),
                "frame_to_twist": self.frame_to_twist.summary(),
                "goal_to_stop": list(self.goal_to_stop),
                "estop_replies": self.estop_replies,
                "failed_actions": self.failed_actions,
                "frames_dropped": self._frames.dropped,
            }

    def write_stats(self) -> None:
        """Writes :meth:`stats` to ``~stats_file`` (atomically), if set."""
        if not self.params.stats_file:
            return
        path = Path(self.params.stats_file)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(self.stats(), indent=1))
        tmp.replace(path)

    def close(self) -> None:
        """Zeroes the velocity, logs and writes the stats, leaves the topics."""
        self._cmd.publish(twist(0.0, 0.0))
        stats = self.stats()
        rospy.loginfo(
            "control loop: odometry -> Twist %s; frame -> Twist %s",
            json.dumps(stats["odom_to_twist"]),
            json.dumps(stats["frame_to_twist"]),
        )
        self.write_stats()
        for sub in self._subs:
            sub.unregister()
