"""``cow-bridge thor``: serve RoboTHOR ObjectNav episodes to cow.

``cow-bridge thor --split val --episodes DIR [--build PATH] --bind
tcp://127.0.0.1:5561`` reads the challenge files under ``DIR`` (or one file),
starts ai2thor's ``Controller`` (a local build with ``--build``, which ai2thor
splits with shlex, so a build can take arguments; else ai2thor's downloaded
build), and answers protocol v1 requests until a ``close`` request, Ctrl-C
or SIGTERM; the controller (and the build it launched) is stopped on the way
out. Defaults are CoW's RoboTHOR settings (see :mod:`cow_bridge.thor.bridge`).

Simulator surface: that of :class:`cow_bridge.thor.bridge.ThorBackend`.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from cow_bridge.server import serve_until_stopped
from cow_bridge.thor.bridge import LOCOBOT_CAMERA_HEIGHT, PLATFORMS, ThorBackend, ThorSettings
from cow_bridge.thor.episodes import EpisodeFileError, load_episodes

log = logging.getLogger(__name__)


def _camera_height(text: str) -> float | None:
    if text == "auto":
        return None
    try:
        return float(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a number nor 'auto'") from e


def configure(parser: argparse.ArgumentParser) -> None:
    """Adds the options of ``cow-bridge thor``."""
    d = ThorSettings()
    a = parser.add_argument
    a(
        "--episodes",
        type=Path,
        required=True,
        metavar="PATH",
        help="a challenge file (*.json.gz), or a directory with episodes/*.json.gz "
        "or <split>/episodes/*.json.gz",
    )
    a("--split", default="val", help="split folder looked for under --episodes (default: val)")
    a(
        "--bind",
        default="tcp://127.0.0.1:5561",
        help="endpoint to serve on (default tcp://127.0.0.1:5561)",
    )
    a(
        "--build",
        metavar="PATH",
        help="local AI2-THOR build (local_executable_path; split with shlex); "
        "default: ai2thor's downloaded build",
    )
    a("--x-display", help="X display for the build (default: $DISPLAY)")
    a("--platform", choices=PLATFORMS, help="platform of a downloaded build")
    a("--width", type=int, default=d.width, help=f"frame width (default {d.width})")
    a("--height", type=int, default=d.height, help=f"frame height (default {d.height})")
    a(
        "--field-of-view",
        type=float,
        default=d.field_of_view,
        help=f"AI2-THOR fieldOfView, degrees, vertical (default {d.field_of_view})",
    )
    a("--grid-size", type=float, default=d.grid_size, help=f"gridSize (default {d.grid_size})")
    a("--move-step", type=float, help="MoveAhead distance, metres (default: the grid size)")
    a(
        "--rotate-step",
        type=float,
        default=d.rotate_step_degrees,
        help=f"rotateStepDegrees (default {d.rotate_step_degrees})",
    )
    a(
        "--visibility-distance",
        type=float,
        default=d.visibility_distance,
        help=f"visibilityDistance, metres (default {d.visibility_distance})",
    )
    a("--agent-mode", default=d.agent_mode, help=f"agentMode (default {d.agent_mode})")
    a("--snap-to-grid", action="store_true", help="snapToGrid (default off)")
    a(
        "--semantic",
        action="store_true",
        help="render instance segmentation and send semantic frames",
    )
    a(
        "--camera-height",
        type=_camera_height,
        default=LOCOBOT_CAMERA_HEIGHT,
        metavar="M|auto",
        help=f"camera height above the floor, metres (default {LOCOBOT_CAMERA_HEIGHT}, the "
        "LoCoBot's); 'auto': cameraPosition.y - agent.position.y of the metadata",
    )
    a(
        "--max-depth",
        type=float,
        help="depth range, metres (default: cameraFarPlane of the Initialize reply)",
    )
    a(
        "--episode-horizon",
        action="store_true",
        help="start with the episode's initial_horizon (default: a level camera, as cow maps)",
    )
    a(
        "--max-steps",
        type=int,
        default=0,
        help="bridge-side step limit per episode (default 0: none)",
    )
    a(
        "--server-timeout",
        type=float,
        default=d.server_timeout,
        help=f"seconds to wait for each reply of the build (default {d.server_timeout})",
    )


def settings_from_args(args: argparse.Namespace) -> ThorSettings:
    """The :class:`ThorSettings` of parsed ``cow-bridge thor`` arguments."""
    return ThorSettings(
        width=args.width,
        height=args.height,
        field_of_view=args.field_of_view,
        grid_size=args.grid_size,
        move_step=args.move_step,
        rotate_step_degrees=args.rotate_step,
        visibility_distance=args.visibility_distance,
        agent_mode=args.agent_mode,
        snap_to_grid=args.snap_to_grid,
        semantic=args.semantic,
        camera_height=args.camera_height,
        max_depth=args.max_depth,
        episode_horizon=args.episode_horizon,
        max_steps=args.max_steps,
        build=args.build,
        x_display=args.x_display or os.environ.get("DISPLAY") or None,
        platform=args.platform,
        server_timeout=args.server_timeout,
    )


def run(args: argparse.Namespace) -> int:
    """Runs the bridge; returns the exit status (0 after a close request or a signal)."""
    try:
        settings = settings_from_args(args)
        settings.check()
        episodes = load_episodes(args.episodes, args.split)
    except (EpisodeFileError, ValueError) as e:
        log.error("%s", e)
        return 2
    log.info("%d episodes from %s", len(episodes), args.episodes)
    try:
        backend = ThorBackend(episodes, settings)
    except KeyboardInterrupt:
        return 130
    except ValueError as e:
        log.error("%s", e)
        return 2
    serve_until_stopped(backend, args.bind, "RoboTHOR")
    return 0
