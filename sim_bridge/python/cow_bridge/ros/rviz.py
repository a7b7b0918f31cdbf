"""cow deploy's telemetry republished for RViz and logging.

A thread subscribes to ``cow deploy``'s telemetry socket (ZeroMQ SUB,
conflated: only the latest message counts; CURVE when
``~telemetry_server_key`` is set) and republishes each message
(:mod:`cow_bridge.ros.telemetry`).

ROS surface (names are the node's parameters):

- ``~map_topic`` (``nav_msgs/OccupancyGrid``, latched, frame ``~map_frame``):
  the agent's occupancy map;
- ``~status_topic`` (``std_msgs/String``, latched): JSON with step, mode,
  goal, pose, last confidence, step cost and action;
- ``~evidence_topic`` (``visualization_msgs/MarkerArray``, latched, frame
  ``~map_frame``): the goal evidence cells and the agent's pose;
- ``/tf_static`` (``tf2_msgs/TFMessage``): with ``~publish_map_to_odom``,
  the identity ``~map_frame`` -> ``~odom_frame`` (REP-105): cow's map is
  built in the odometry frame.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import rospy
import zmq
from nav_msgs.msg import OccupancyGrid
from std_msgs.msg import String
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import MarkerArray

from cow_bridge.curve import ClientCurve
from cow_bridge.ros.messages import evidence_markers, occupancy_grid_msg, transform_msg
from cow_bridge.ros.params import NodeParams
from cow_bridge.ros.telemetry import decode_telemetry

DEFAULT_CELL = 0.125
"""Marker size when a message carries no map to take the cell size from, metres."""


class TelemetryRepublisher:
    """Republishes cow deploy's telemetry on ROS topics until :meth:`close`."""

    def __init__(self, params: NodeParams, context: zmq.Context[zmq.Socket[bytes]]) -> None:
        self.params = params
        self.received = 0
        self.rejected = 0
        self._map = rospy.Publisher(params.map_topic, OccupancyGrid, queue_size=1, latch=True)
        self._status = rospy.Publisher(params.status_topic, String, queue_size=1, latch=True)
        self._evidence = rospy.Publisher(
            params.evidence_topic, MarkerArray, queue_size=1, latch=True
        )
        self._tf_static: rospy.Publisher[TFMessage] | None = None
        if params.publish_map_to_odom:
            self._tf_static = rospy.Publisher("/tf_static", TFMessage, queue_size=1, latch=True)
            identity = transform_msg(
                params.map_frame, params.odom_frame, rospy.Time.now(), (0, 0, 0), (0, 0, 0, 1)
            )
            self._tf_static.publish(TFMessage(transforms=[identity]))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._socket: zmq.Socket[bytes] | None = None
        if params.telemetry:
            socket = context.socket(zmq.SUB)
            socket.setsockopt(zmq.LINGER, 0)
            socket.setsockopt(zmq.CONFLATE, 1)
            socket.setsockopt(zmq.SUBSCRIBE, b"")
            if params.telemetry_server_key:
                ClientCurve(Path(params.telemetry_server_key), Path(params.curve_secret_key)).apply(
                    socket
                )
            socket.connect(params.telemetry)
            self._socket = socket
            self._thread = threading.Thread(target=self._run, name="telemetry", daemon=True)
            self._thread.start()
            rospy.loginfo("telemetry from %s -> %s", params.telemetry, params.map_topic)

    def _run(self) -> None:
        socket = self._socket
        assert socket is not None
        while not self._stop.is_set():
            if not socket.poll(200, zmq.POLLIN):
                continue
            raw = socket.recv()
            try:
                telemetry = decode_telemetry(raw)
            except ValueError as e:
                self.rejected += 1
                rospy.logwarn_throttle(5.0, f"bad telemetry message: {e}")
                continue
            self.received += 1
            stamp = rospy.Time.now()
            frame = self.params.map_frame
            if telemetry.map is not None:
                self._map.publish(occupancy_grid_msg(telemetry.map, stamp, frame))
            self._status.publish(String(data=json.dumps(telemetry.status())))
            cell = DEFAULT_CELL if telemetry.map is None else telemetry.map.resolution
            self._evidence.publish(
                evidence_markers(telemetry.evidence, telemetry.pose, cell, stamp, frame)
            )

    def close(self) -> None:
        """Stops the thread and closes the socket."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._socket is not None:
            self._socket.close()
