"""``cow-bridge habitat``: serve habitat-lab's ObjectNav task to cow.

    cow-bridge habitat --config benchmark/nav/objectnav/objectnav_hm3d.yaml --split val \\
        [--data-path 'data/datasets/objectnav/hm3d/v1/{split}/{split}.json.gz'] \\
        [--override habitat.environment.max_episode_steps=500 ...] [--plugin MODULE ...] \\
        [--category-alias tv=tv_monitor ...] --bind tcp://127.0.0.1:5560

then ``cow run --sim tcp://127.0.0.1:5560 ...``. ``--plugin MODULE`` imports
MODULE before habitat-lab's config is built: the way to register your own
simulator, sensors, tasks or measures with habitat-lab's registry (select
them with overrides such as ``habitat.simulator.type=<name>``). The bridge
serves until Ctrl-C, SIGTERM or a ``close`` request.

Simulator surface: see :mod:`cow_bridge.habitat.bridge`. Neither this module
nor :mod:`cow_bridge.cli` imports habitat-lab before the plugins are loaded.
"""

from __future__ import annotations

import argparse
import importlib
import logging

log = logging.getLogger(__name__)

DEFAULT_BIND = "tcp://127.0.0.1:5560"


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return key, value


def configure(parser: argparse.ArgumentParser) -> None:
    """Adds the habitat bridge's options to ``parser``."""
    parser.add_argument(
        "--config",
        required=True,
        help="habitat-lab task config: a yaml file, or a path under habitat-lab's config "
        "directory such as benchmark/nav/objectnav/objectnav_hm3d.yaml",
    )
    parser.add_argument("--split", default="val", help="dataset split (default: val)")
    parser.add_argument(
        "--data-path",
        help="episode file, may contain {split} (default: the config's habitat.dataset.data_path)",
    )
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Hydra override of the config, e.g. habitat.environment.max_episode_steps=500 "
        "(repeatable)",
    )
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="a module imported before the config is built, to register simulators, sensors, "
        "tasks or measures with habitat-lab's registry (repeatable)",
    )
    parser.add_argument(
        "--category-alias",
        action="append",
        default=[],
        type=_pair,
        metavar="NAME=CATEGORY",
        help="a scene annotation's category name that counts as a task category in semantic "
        "frames, e.g. tv=tv_monitor (repeatable)",
    )
    parser.add_argument(
        "--bind", default=DEFAULT_BIND, help=f"endpoint to serve on (default: {DEFAULT_BIND})"
    )


def run(args: argparse.Namespace) -> int:
    """Loads the plugins, builds the Env and serves until stopped; returns the exit status."""
    for module in args.plugin:
        try:
            importlib.import_module(module)
        except ImportError as e:
            log.error("cannot load the plugin %s: %s", module, e)
            return 2
        log.info("plugin %s loaded", module)
    # habitat-lab is imported only now, after the plugins.
    try:
        from hydra.errors import HydraException
        from omegaconf.errors import OmegaConfBaseException

        from cow_bridge.habitat.bridge import HabitatBackend, load_config
    except ImportError as e:
        log.error("cannot import habitat-lab: %s (it needs habitat-sim, or a --plugin)", e)
        return 2
    from cow_bridge.server import serve_until_stopped

    try:
        config = load_config(args.config, args.split, args.data_path, args.override)
        backend = HabitatBackend(config, dict(args.category_alias))
    except (ValueError, OSError, RuntimeError, HydraException, OmegaConfBaseException) as e:
        log.error("cannot start the habitat bridge: %s", e)
        log.debug("the failure in full", exc_info=True)
        return 2
    serve_until_stopped(backend, args.bind, "habitat-lab")
    return 0
