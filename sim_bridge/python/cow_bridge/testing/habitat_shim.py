"""Test helper: lets ``import habitat`` work on a machine without habitat-sim.

habitat-lab imports habitat-sim's ``magnum`` bindings from four modules that
the ObjectNav task never uses (the object state machine, the rearrangement
tasks, the rearrangement simulator's timing decorator and the batch
renderer). :func:`install` puts a small stand-in for each into
``sys.modules`` before ``import habitat``, **only when** ``habitat_sim`` is
not importable; with habitat-sim installed it does nothing and habitat-lab
imports for real. Everything else (config, ``habitat.Env``, the ObjectNav
task, its measures, the dataset loader, the registry) stays habitat-lab's
own code.

The stand-ins: ``ObjectStateMachine`` and ``EnvBatchRenderer`` raise
:class:`ImportError` when instantiated; ``_try_register_rearrange_task``
registers nothing; ``add_perf_timing_func()`` returns the function it
decorates unchanged. Never ``pip install magnum`` to get around this: on
PyPI that name is an unrelated OpenStack service.

Used as a plugin module (``cow-bridge habitat --plugin
cow_bridge.testing.habitat_world``, which installs it) or directly::

    from cow_bridge.testing import habitat_shim
    habitat_shim.install()
    import habitat
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

STUBBED = (
    "habitat.sims.habitat_simulator.object_state_machine",
    "habitat.tasks.rearrange",
    "habitat.tasks.rearrange.rearrange_sim",
    "habitat.core.batch_rendering.env_batch_renderer",
)
"""The modules replaced when habitat-sim is absent."""


def _unavailable(name: str) -> type:
    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise ImportError(f"{name} needs habitat-sim, which is not installed here")

    return type(name, (), {"__init__": refuse, "__doc__": f"Stand-in: {name} needs habitat-sim."})


def _try_register_rearrange_task() -> None:
    """Stand-in: the rearrangement tasks need habitat-sim; registers nothing."""


def add_perf_timing_func(name: str | None = None) -> Callable[[F], F]:
    """Stand-in for the rearrangement simulator's timing decorator: no timing."""

    def decorate(f: F) -> F:
        return f

    return decorate


def habitat_sim_available() -> bool:
    """Whether ``import habitat_sim`` can succeed."""
    return importlib.util.find_spec("habitat_sim") is not None


def installed() -> bool:
    """Whether the stand-ins are in ``sys.modules``."""
    return all(name in sys.modules for name in STUBBED) and bool(
        getattr(sys.modules[STUBBED[1]], "__cow_stub__", False)
    )


def install() -> bool:
    """Puts the stand-ins into ``sys.modules`` when habitat-sim is absent.

    Returns whether they are installed (``False`` with habitat-sim present).
    Idempotent. Raises :class:`RuntimeError` if habitat-lab was already
    imported without them (too late: the import has failed or succeeded).
    """
    if habitat_sim_available():
        return False
    if installed():
        return True
    if "habitat" in sys.modules:
        raise RuntimeError("install the habitat shim before the first `import habitat`")
    attributes: dict[str, dict[str, Any]] = {
        STUBBED[0]: {"ObjectStateMachine": _unavailable("ObjectStateMachine")},
        STUBBED[1]: {"_try_register_rearrange_task": _try_register_rearrange_task},
        STUBBED[2]: {"add_perf_timing_func": add_perf_timing_func},
        STUBBED[3]: {"EnvBatchRenderer": _unavailable("EnvBatchRenderer")},
    }
    for name, attrs in attributes.items():
        module = types.ModuleType(name, f"cow_bridge.testing.habitat_shim stand-in for {name}")
        module.__dict__.update(attrs)
        module.__dict__["__cow_stub__"] = True
        if name == STUBBED[1]:
            module.__path__ = []  # a package, so that its submodule stand-in resolves
        sys.modules[name] = module
    return True
