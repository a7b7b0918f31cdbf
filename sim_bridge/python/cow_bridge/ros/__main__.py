"""``python3 -m cow_bridge.ros``: the robot node for ``cow deploy``.

Run with Debian's ``/usr/bin/python3`` (where rospy lives) like any rospy
node; parameters are private (``_name:=value``, :mod:`cow_bridge.ros.params`)::

    /usr/bin/python3 -m cow_bridge.ros __name:=cow_robot _camera_height:=0.9 \\
        _bind:=tcp://0.0.0.0:5570 _telemetry:=tcp://LAPTOP:5571

ROS surface: ``rospy.init_node`` (signals left to the serve loop),
``rospy.get_param`` for every ``~`` parameter, ``rospy.signal_shutdown`` at
the end; the topics of :mod:`cow_bridge.ros.robot` and :mod:`cow_bridge.ros.rviz`.
The node serves protocol v1 at ``~bind`` until SIGINT, SIGTERM, a ``close``
request (:func:`cow_bridge.server.serve_until_stopped`) or a ROS shutdown
(``rosnode kill``; ``rospy.on_shutdown``).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

import rospy
import zmq

from cow_bridge.curve import ServerCurve
from cow_bridge.ros.params import NodeParams
from cow_bridge.ros.robot import RosRobot
from cow_bridge.ros.rviz import TelemetryRepublisher
from cow_bridge.server import serve_until_stopped


def main() -> int:
    """Runs the node; returns the exit status (2 for bad parameters)."""
    rospy.init_node("cow_robot", argv=sys.argv, disable_signals=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        params = NodeParams.read(lambda name, default: rospy.get_param("~" + name, default))
    except ValueError as e:
        rospy.logfatal(f"{rospy.get_name()}: {e}")
        rospy.signal_shutdown("bad parameters")
        return 2
    curve = None
    if params.curve_secret_key:
        curve = ServerCurve(Path(params.curve_secret_key), Path(params.curve_clients_dir))
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    robot = RosRobot(params)
    rviz = TelemetryRepublisher(params, context)
    serving = threading.Event()

    def on_ros_shutdown() -> None:
        # `rosnode kill`, or the master asking the node to go: end the serve loop
        # as SIGTERM would.
        if serving.is_set():
            os.kill(os.getpid(), signal.SIGTERM)

    rospy.on_shutdown(on_ros_shutdown)
    try:
        serving.set()
        serve_until_stopped(robot, params.bind, f"ROS robot {rospy.get_name()}", curve=curve)
    finally:
        serving.clear()
        rviz.close()
        context.term()
        rospy.signal_shutdown("serve loop ended")
    return 0


if __name__ == "__main__":
    sys.exit(main())
