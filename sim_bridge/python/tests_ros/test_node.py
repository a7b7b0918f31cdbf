"""The robot node against the simulated robot under a real ROS master, driven by a
protocol client the way ``cow deploy`` drives it: capabilities, frames through
ROS image topics, closed-loop motion on odometry, a blocked drive, the goal,
reset-map and e-stop topics, telemetry for RViz, CURVE."""

from __future__ import annotations

import base64
import json
import math
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rospy
import zmq
import zmq.auth
from harness import (
    EPISODE,
    Rig,
    Watch,
    displacement,
    free_port,
    wait_for_hello,
    wait_until,
)
from std_msgs.msg import Bool, Empty, String
from visualization_msgs.msg import Marker

from cow_bridge import Client
from cow_bridge.curve import ClientCurve
from cow_bridge.protocol import BridgeTimeoutError, Observation, RemoteError
from cow_bridge.ros.geometry import wrap


def face_open_floor(c: Client, world: Client, obs: Observation, ahead: float) -> Observation:
    """Turns left until the test world says ``ahead`` metres in front are free."""
    for _ in range(12):
        p = obs.pose
        assert p is not None
        spots = [
            (p.x + d * math.cos(p.yaw), p.y + d * math.sin(p.yaw), 0.0)
            for d in np.linspace(0.05, ahead, 8)
        ]
        if all(world.free(s) for s in spots):
            return obs
        obs = c.step("RotateLeft")
    pytest.fail(f"no direction with {ahead} m of free floor")


def twists_between(watch: Watch, t0: float, t1: float) -> list[tuple[float, float, float]]:
    with watch.lock:
        return [t for t in watch.twists if t0 <= t[0] <= t1]


def test_frames_motion_primitives_and_a_world_without_ground_truth(
    rig: Callable[..., Rig],
) -> None:
    r = rig()
    with r.client() as c, Client(r.world.endpoint, timeout_ms=5000, retries=0) as world:
        caps = c.hello()
        assert (caps["provides_ground_truth"], caps["provides_pose"]) == (False, True)
        assert caps["provides_semantic"] is True
        assert caps["semantic_classes"] == r.world.capabilities["semantic_classes"]
        cam = r.world.capabilities["camera"]
        assert caps["camera"] == pytest.approx(cam)  # through CameraInfo and back
        assert caps["action_space"] == {"move_step": 0.25, "turn_step_deg": 30.0}
        assert caps["actions"] == ["MoveAhead", "RotateLeft", "RotateRight", "Stop"]
        with pytest.raises(RemoteError) as e:
            c.step("MoveAhead")
        assert e.value.code == "no_episode"
        with pytest.raises(RemoteError) as e:
            c.episode_result()
        assert e.value.code == "unknown_type"

        asked = rospy.get_time()
        obs = c.reset("kitchen", goal="mug")
        assert (obs.episode_id, obs.step, obs.goal, obs.last_action) == ("kitchen", 0, "mug", None)
        assert obs.stamp is not None and asked - 0.5 <= obs.stamp <= rospy.get_time()
        start = r.world.episode(EPISODE)
        assert obs.pose is not None
        assert (obs.pose.x, obs.pose.y) == pytest.approx(
            (start["initial_position"]["x"], start["initial_position"]["y"]), abs=1e-6
        )
        assert wrap(obs.pose.yaw - math.radians(start["initial_orientation"])) == pytest.approx(
            0.0, abs=1e-5
        )
        # The frame is the world's own rendering at that pose, through rgb8, 32FC1
        # and 32SC1 images and back.
        truth = world.render(obs.pose)
        np.testing.assert_array_equal(obs.rgb, truth.rgb)
        np.testing.assert_array_equal(obs.depth, truth.depth)
        assert obs.semantic is not None and truth.semantic is not None
        np.testing.assert_array_equal(obs.semantic, truth.semantic)
        assert not obs.reset_map

        stamps = [obs.stamp]
        for action, turn in (("RotateLeft", 30.0), ("RotateRight", -30.0), ("RotateRight", -30.0)):
            before, sent = obs.pose, time.monotonic()
            asked = rospy.get_time()
            obs = c.step(action)
            assert obs.pose is not None and obs.last_action == action
            assert obs.last_action_success
            assert math.degrees(wrap(obs.pose.yaw - before.yaw)) == pytest.approx(turn, abs=1.0)
            assert displacement(before, obs.pose) == pytest.approx((0.0, 0.0), abs=1e-6)
            assert obs.stamp is not None and obs.stamp > asked  # taken after the motion
            stamps.append(obs.stamp)
            twists = twists_between(r.watch, sent, time.monotonic())
            assert twists and all(lin == 0.0 for _, lin, _ in twists)
            assert all(ang * turn >= 0 for _, _, ang in twists)
            assert twists[-1][1:] == (0.0, 0.0)
        obs = face_open_floor(c, world, obs, 0.6)
        origin = obs.pose
        assert origin is not None
        obs = c.step("MoveAhead")
        assert obs.pose is not None and obs.last_action_success
        forward, left = displacement(origin, obs.pose)
        assert forward == pytest.approx(0.25, abs=0.012) and abs(left) < 0.01
        assert obs.stamp is not None
        stamps.append(obs.stamp)
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        obs = c.step("Stop")
        assert (obs.done, obs.last_action) == (True, "Stop")
        with pytest.raises(RemoteError) as e:
            c.step("MoveAhead")
        assert e.value.code == "no_episode"
        again = c.reset("kitchen")
        assert (again.step, again.goal, again.done) == (0, "mug", False)
        assert again.stamp is not None and again.stamp >= stamps[-1]
    assert r.stop_node() == 0
    stats = r.stats()
    assert stats["odom_to_twist"]["count"] > 10
    assert stats["frame_to_twist"]["count"] >= 4
    assert [g["goal"] for g in stats["goal_to_stop"]] == ["mug"]


def test_bgr8_colour_and_16uc1_millimetre_depth(rig: Callable[..., Rig]) -> None:
    r = rig(robot={"colour_encoding": "bgr8", "depth_encoding": "16UC1"})
    with r.client() as c, r.world_client() as world:
        c.hello()
        obs = c.reset("encodings")
        assert obs.pose is not None
        truth = world.render(obs.pose)
        np.testing.assert_array_equal(obs.rgb, truth.rgb)  # channels put back in order
        assert (obs.depth == 0).sum() == (truth.depth == 0).sum()
        np.testing.assert_allclose(obs.depth, truth.depth, atol=0.0005 + 1e-6)
        assert obs.depth.max() > 1.0 and obs.depth.dtype == np.float32


def test_a_blocked_drive_fails_and_the_robot_stays_out_of_the_wall(
    rig: Callable[..., Rig],
) -> None:
    r = rig()
    with r.client() as c, Client(r.world.endpoint, timeout_ms=5000, retries=0) as world:
        c.hello()
        obs = c.reset("walls")
        # Face the nearest wall: the heading with the least free floor ahead.
        best = None
        for turns in range(12):
            assert obs.pose is not None
            p = obs.pose
            free = 0.0
            while free < 3.0 and world.free(
                (p.x + (free + 0.05) * math.cos(p.yaw), p.y + (free + 0.05) * math.sin(p.yaw), 0)
            ):
                free += 0.05
            if best is None or free < best[0]:
                best = (free, turns)
            obs = c.step("RotateLeft")
        assert best is not None
        for _ in range(best[1]):
            obs = c.step("RotateLeft")
        failed = None
        for _ in range(int(best[0] / 0.25) + 3):
            before = obs.pose
            obs = c.step("MoveAhead")
            if not obs.last_action_success:
                failed = (before, obs.pose)
                break
        assert failed is not None, "no drive was blocked on the way into the wall"
        before, after = failed
        assert before is not None and after is not None
        forward, _ = displacement(before, after)
        assert forward < 0.25 - 0.02
        assert world.free((after.x, after.y, 0.0))
        obs = c.step("MoveAhead")  # still facing the wall: no progress at all
        assert not obs.last_action_success


def test_goal_reset_map_and_estop_topics(rig: Callable[..., Rig]) -> None:
    r = rig()
    w = r.watch
    with r.client() as c:
        c.hello()
        assert c.reset("ops").goal == ""  # no goal yet
        w.publish_when_heard(w.goal, String(data="vase"))
        wait_until("the goal from the topic", lambda: c.reset("ops").goal == "vase", 5.0)
        # A reset repeating an earlier reset's goal does not undo the topic's goal.
        assert c.reset("ops", goal="mug").goal == "mug"
        w.goal.publish(String(data="alarm clock"))
        time.sleep(1.0)
        assert c.reset("ops", goal="mug").goal == "alarm clock"
        # The next observation of a step carries a new goal.
        w.goal.publish(String(data="laptop"))
        time.sleep(1.0)
        assert c.step("RotateLeft").goal == "laptop"

        w.publish_when_heard(w.reset_map, Empty())
        time.sleep(1.0)
        assert c.step("RotateRight").reset_map
        assert not c.step("RotateLeft").reset_map

        w.publish_when_heard(w.estop, Bool(data=True))
        time.sleep(1.0)
        requests: list[Callable[[], Observation]] = [
            lambda: c.step("MoveAhead"),
            lambda: c.reset("ops"),
        ]
        for request in requests:
            with pytest.raises(RemoteError) as e:
                request()
            assert e.value.code == "estop"
        assert c.hello()["provides_ground_truth"] is False  # hello still answers
        w.estop.publish(Bool(data=False))
        time.sleep(1.0)
        obs = c.reset("ops")
        assert obs.goal == "laptop"

        # An e-stop in the middle of a drive stops the robot at once.
        with Client(r.world.endpoint, timeout_ms=5000, retries=0) as world:
            obs = face_open_floor(c, world, obs, 0.6)
        outcome: list[BaseException | Observation] = []

        def drive() -> None:
            try:
                outcome.append(c.step("MoveAhead"))
            except BaseException as e:  # handed to the test's thread
                outcome.append(e)

        thread = threading.Thread(target=drive)
        started = time.monotonic()
        thread.start()
        wait_until(
            "the drive",
            lambda: any(lin > 0 for _, lin, _ in twists_between(w, started, time.monotonic())),
            3.0,
            step=0.01,
        )
        pressed = time.monotonic()
        w.estop.publish(Bool(data=True))
        thread.join(3.0)
        assert not thread.is_alive()
        (result,) = outcome
        assert isinstance(result, RemoteError) and result.code == "estop"
        assert time.monotonic() - pressed < 1.0
        still = wait_until(
            "the robot to stand still",
            lambda: w.odom[-1] if w.odom and w.odom[-1].v == 0.0 else None,
            1.0,
            step=0.01,
        )
        time.sleep(1.0)
        assert math.hypot(w.odom[-1].x - still.x, w.odom[-1].y - still.y) < 1e-9
        last_twists = twists_between(w, pressed, time.monotonic())
        assert last_twists and last_twists[-1][1:] == (0.0, 0.0)
        assert all(lin == 0.0 for t, lin, _ in last_twists if t > pressed + 0.3)
        w.estop.publish(Bool(data=False))
        time.sleep(1.0)
        c.reset("ops")
        assert c.step("RotateLeft").last_action_success


def grey_png(pixels: np.ndarray[Any, np.dtype[np.uint8]]) -> bytes:
    """An 8-bit grey PNG, rows unfiltered."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    h, w = pixels.shape
    raw = b"".join(b"\0" + pixels[y].tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_telemetry_becomes_a_map_status_and_markers_for_rviz(rig: Callable[..., Rig]) -> None:
    telemetry = f"tcp://127.0.0.1:{free_port()}"
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.bind(telemetry)
    try:
        r = rig(telemetry=telemetry)
        picture = np.array([[205, 0, 254], [254, 254, 205]], np.uint8)  # top row: y = 1
        message = json.dumps(
            {
                "step": 7,
                "mode": "exploit",
                "goal": "mug",
                "pose": {"x": 1.0, "y": 2.0, "yaw": 0.5},
                "confidence": 0.9,
                "step_ms": 12.0,
                "action": "MoveAhead",
                "map": {
                    "resolution": 0.125,
                    "origin": {"x": -1.0, "y": -0.5},
                    "width": 3,
                    "height": 2,
                    "png": base64.b64encode(grey_png(picture)).decode(),
                },
                "evidence": [[0.5, 0.25, 0.9], [0.625, 0.25, 0.4]],
            }
        ).encode()

        def received() -> bool:
            pub.send(message)  # a SUB socket joins late: send until it is heard
            return bool(r.watch.maps and r.watch.evidence and r.watch.status)

        wait_until("the map, the markers and the status", received, 10.0, step=0.2)
        grid = r.watch.maps[-1]
        assert grid.header.frame_id == "map"
        assert (grid.info.width, grid.info.height, grid.info.resolution) == (3, 2, 0.125)
        assert (grid.info.origin.position.x, grid.info.origin.position.y) == (-1.0, -0.5)
        assert list(grid.data) == [0, 0, -1, -1, 100, 0]  # row 0 is the picture's bottom
        cells, agent = r.watch.evidence[-1].markers
        assert (cells.type, cells.action, cells.header.frame_id) == (
            Marker.SPHERE_LIST,
            Marker.ADD,
            "map",
        )
        assert [(p.x, p.y) for p in cells.points] == [(0.5, 0.25), (0.625, 0.25)]
        assert [round(col.a, 3) for col in cells.colors] == [0.9, 0.4]
        assert (agent.type, agent.pose.position.x, agent.pose.position.y) == (Marker.ARROW, 1, 2)
        status = json.loads(r.watch.status[-1])
        assert (status["mode"], status["goal"], status["action"]) == ("exploit", "mug", "MoveAhead")
        tf = wait_until(
            "map -> odom on /tf_static",
            lambda: [
                t
                for m in r.watch.tf_static
                for t in m.transforms
                if (t.header.frame_id, t.child_frame_id) == ("map", "odom")
            ],
            5.0,
        )
        assert tf[0].transform.rotation.w == 1.0
    finally:
        pub.close(0)
        ctx.term()


def test_a_curve_node_serves_listed_keys_only(rig: Callable[..., Rig], tmp_path: Path) -> None:
    for name in ("robot", "laptop", "stranger", "allowed"):
        (tmp_path / name).mkdir()
    public, secret = zmq.auth.create_certificates(str(tmp_path / "robot"), "robot")
    _, laptop = zmq.auth.create_certificates(str(tmp_path / "laptop"), "laptop")
    _, stranger = zmq.auth.create_certificates(str(tmp_path / "stranger"), "stranger")
    allowed = tmp_path / "allowed"
    (allowed / "laptop.key").write_bytes((tmp_path / "laptop" / "laptop.key").read_bytes())
    r = rig(hello=False, curve_secret_key=secret, curve_clients_dir=str(allowed))
    listed = ClientCurve(Path(public), Path(laptop))
    caps = wait_for_hello(r.endpoint, r.procs, "node", curve=listed)
    assert caps["provides_ground_truth"] is False
    for curve in (None, ClientCurve(Path(public), Path(stranger))):
        with r.client(timeout_ms=1000, curve=curve) as c, pytest.raises(BridgeTimeoutError):
            c.hello()
    with r.client(curve=listed) as c:
        assert c.reset("secure", goal="mug").goal == "mug"
    # `rosnode kill` ends the node cleanly, as Ctrl-C does.
    node = next(p for n, p in r.procs.started if n == "node")
    subprocess.run(
        ["rosnode", "kill", f"{r.ns}/cow_robot"], env=r.procs.env, check=True, capture_output=True
    )
    assert node.wait(timeout=10) == 0
