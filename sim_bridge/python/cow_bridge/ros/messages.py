"""Conversions between ROS 1 messages and the pure types of :mod:`cow_bridge.ros`.

ROS surface (message classes only; no node, topic or parameter is touched here):
``std_msgs/Header``, ``std_msgs/ColorRGBA``, ``sensor_msgs/Image``,
``sensor_msgs/CameraInfo``, ``nav_msgs/Odometry``, ``nav_msgs/OccupancyGrid``
(``MapMetaData``), ``geometry_msgs/Twist``, ``Pose``, ``Point``,
``Quaternion``, ``Vector3``, ``TransformStamped``,
``visualization_msgs/Marker`` and ``MarkerArray``; ``rospy.Time``.

Frames: odometry poses in the odom frame and twists in ``base_link``
(REP-103, REP-105); the occupancy grid and markers in the frame given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import rospy
from geometry_msgs.msg import Point, Pose, Quaternion, Transform, TransformStamped, Twist, Vector3
from nav_msgs.msg import MapMetaData, OccupancyGrid, Odometry
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from cow_bridge.ros.geometry import Odom, quaternion_from_yaw, ros_k, yaw_from_quaternion
from cow_bridge.ros.images import ImageFields
from cow_bridge.ros.telemetry import GridMap


def seconds(header: Header) -> float:
    """A header's stamp, seconds."""
    return header.stamp.to_sec()


def header(stamp: float | rospy.Time, frame_id: str) -> Header:
    """A header at ``stamp`` (seconds or a time) in ``frame_id``."""
    t = stamp if isinstance(stamp, rospy.Time) else rospy.Time.from_sec(stamp)
    return Header(stamp=t, frame_id=frame_id)


def odom_from_msg(msg: Odometry) -> Odom:
    """An odometry sample from ``nav_msgs/Odometry`` (pose in its frame, twist in
    its child frame, base_link)."""
    p, q = msg.pose.pose.position, msg.pose.pose.orientation
    t = msg.twist.twist
    return Odom(
        t=seconds(msg.header),
        x=p.x,
        y=p.y,
        yaw=yaw_from_quaternion(q.x, q.y, q.z, q.w),
        v=t.linear.x,
        w=t.angular.z,
    )


def pose_msg(x: float, y: float, yaw: float, z: float = 0.0) -> Pose:
    """A planar pose."""
    qx, qy, qz, qw = quaternion_from_yaw(yaw)
    return Pose(position=Point(x=x, y=y, z=z), orientation=Quaternion(x=qx, y=qy, z=qz, w=qw))


def odometry_msg(
    odom: Odom, frame_id: str, child_frame_id: str, stamp: rospy.Time | None = None
) -> Odometry:
    """``nav_msgs/Odometry`` of a sample (stamped ``odom.t`` unless ``stamp`` is given)."""
    at = odom.t if stamp is None else stamp
    msg = Odometry(header=header(at, frame_id), child_frame_id=child_frame_id)
    msg.pose.pose = pose_msg(odom.x, odom.y, odom.yaw)
    msg.twist.twist = twist(odom.v, odom.w)
    return msg


def twist(linear: float, angular: float) -> Twist:
    """A planar velocity command in base_link: ``linear`` along x, ``angular`` about z."""
    return Twist(linear=Vector3(x=linear), angular=Vector3(z=angular))


def camera_k(msg: CameraInfo) -> tuple[float, float, float, float]:
    """``(fx, fy, cx, cy)`` of a ``CameraInfo``."""
    k = msg.K
    return (float(k[0]), float(k[4]), float(k[2]), float(k[5]))


def camera_info_msg(camera: dict[str, Any], stamp: float | rospy.Time, frame_id: str) -> CameraInfo:
    """``sensor_msgs/CameraInfo`` of a cow camera (``capabilities.camera``):
    an undistorted pinhole camera."""
    fx, fy, cx, cy = ros_k(camera)
    return CameraInfo(
        header=header(stamp, frame_id),
        height=int(camera["height"]),
        width=int(camera["width"]),
        distortion_model="plumb_bob",
        D=[0.0] * 5,
        K=[fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0],
        R=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        P=[fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0],
    )


def image_msg(fields: ImageFields, stamp: float | rospy.Time, frame_id: str) -> Image:
    """``sensor_msgs/Image`` with these payload fields."""
    return Image(
        header=header(stamp, frame_id),
        height=fields.height,
        width=fields.width,
        encoding=fields.encoding,
        is_bigendian=fields.is_bigendian,
        step=fields.step,
        data=fields.data,
    )


def transform_msg(
    parent: str,
    child: str,
    stamp: float | rospy.Time,
    translation: tuple[float, float, float],
    rotation: tuple[float, float, float, float],
) -> TransformStamped:
    """``geometry_msgs/TransformStamped``: the pose of ``child`` in ``parent``."""
    x, y, z = translation
    qx, qy, qz, qw = rotation
    return TransformStamped(
        header=header(stamp, parent),
        child_frame_id=child,
        transform=Transform(
            translation=Vector3(x=x, y=y, z=z), rotation=Quaternion(x=qx, y=qy, z=qz, w=qw)
        ),
    )


def occupancy_grid_msg(grid: GridMap, stamp: float | rospy.Time, frame_id: str) -> OccupancyGrid:
    """``nav_msgs/OccupancyGrid`` of a grid (cell (0, 0)'s corner at the origin, not rotated)."""
    info = MapMetaData(
        map_load_time=header(stamp, frame_id).stamp,
        resolution=grid.resolution,
        width=grid.width,
        height=grid.height,
        origin=pose_msg(grid.origin_x, grid.origin_y, 0.0),
    )
    return OccupancyGrid(
        header=header(stamp, frame_id), info=info, data=grid.data.reshape(-1).tolist()
    )


def evidence_markers(
    evidence: Sequence[tuple[float, float, float]],
    pose: tuple[float, float, float] | None,
    cell: float,
    stamp: float | rospy.Time,
    frame_id: str,
) -> MarkerArray:
    """The goal evidence as one sphere list (red, opaque as the confidence), and
    the agent's pose as an arrow; a marker with nothing to show is deleted."""
    h = header(stamp, frame_id)
    cells = Marker(header=h, ns="cow_evidence", id=0, type=Marker.SPHERE_LIST)
    cells.action = Marker.ADD if evidence else Marker.DELETE
    cells.pose = pose_msg(0.0, 0.0, 0.0)
    cells.scale = Vector3(x=cell, y=cell, z=cell)
    cells.points = [Point(x=x, y=y, z=cell / 2) for x, y, _ in evidence]
    cells.colors = [ColorRGBA(r=1.0, g=0.1, b=0.1, a=max(0.2, min(1.0, c))) for _, _, c in evidence]
    agent = Marker(header=h, ns="cow_agent", id=1, type=Marker.ARROW)
    agent.action = Marker.ADD if pose is not None else Marker.DELETE
    agent.pose = pose_msg(*(pose or (0.0, 0.0, 0.0)))
    agent.scale = Vector3(x=0.4, y=0.08, z=0.08)
    agent.color = ColorRGBA(r=0.1, g=0.8, b=0.1, a=1.0)
    return MarkerArray(markers=[cells, agent])
