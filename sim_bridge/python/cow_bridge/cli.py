"""``cow-bridge``: serve a simulator to cow over protocol v1.

``cow-bridge habitat ...`` wraps habitat-lab's ObjectNav task,
``cow-bridge thor ...`` ai2thor's Controller for RoboTHOR. Each bridge lives
in its own subpackage with a ``command`` module exposing ``configure(parser)``
and ``run(args) -> int``; it is imported only when chosen, so a machine with
one simulator installed never imports the other.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

BRIDGES = {
    "habitat": ("cow_bridge.habitat.command", "habitat-lab's ObjectNav task (habitat.Env)"),
    "thor": ("cow_bridge.thor.command", "ai2thor's Controller for RoboTHOR ObjectNav"),
}
"""Bridge name -> (module with ``configure`` and ``run``, one-line description)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cow-bridge``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="cow-bridge", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="bridge", required=True, metavar="BRIDGE")
    # Only the chosen bridge's module is imported (its simulator may be all that is installed).
    chosen = next((a for a in argv if a in BRIDGES), None)
    modules = {}
    for name, (module, help_text) in BRIDGES.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            modules[name] = importlib.import_module(module)
            modules[name].configure(p)
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose > 0 else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    status: int = modules[args.bridge].run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
