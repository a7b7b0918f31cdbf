"""The ROS 1 robot side of ``cow deploy``: a protocol v1 server in front of a robot.

``python3 -m cow_bridge.ros`` (Debian's ``/usr/bin/python3``, where rospy
lives) starts the node: it serves :class:`cow_bridge.ros.robot.RosRobot`
with the serve loop of every Python bridge (:mod:`cow_bridge.server`), and
``cow deploy --robot tcp://HOST:PORT`` is its client that leads the loop.

Modules that import rospy (run only under ROS):

- ``robot``: the backend: camera, depth, camera info and odometry topics in,
  motion primitives out on ``cmd_vel``, goal, e-stop and reset-map topics;
- ``rviz``: cow's telemetry (map, status, goal evidence) republished for RViz;
- ``messages``: conversions between ROS messages and the pure types below;
- ``__main__``: the node: parameters, both of the above, the serve loop.

Pure modules (no rospy; unit-tested anywhere):

- ``params``: the node's ROS parameters, their defaults and checks;
- ``geometry``: quaternions, yaw, and the pinhole conventions of ROS and cow;
- ``images``: ``sensor_msgs/Image`` payloads (rgb8/bgr8, REP-118 depth) to arrays;
- ``sync``: timestamp synchronisation of images and odometry, the stale-frame rule;
- ``motion``: the closed-loop turn and drive primitives on odometry;
- ``telemetry`` and ``png``: cow's telemetry messages to an occupancy grid;
- ``metrics``: latency and duration summaries.

Frames: REP-103 (``base_link`` x forward, y left, z up) and REP-105
(``odom``, ``map``); cow's map is built in the odometry frame, so ``map``
and ``odom`` coincide for it.
"""
