"""Test helper: stand-ins for habitat-sim's semantic scene types.

What a habitat-lab simulator's ``semantic_annotations()`` returns, as far as
:func:`cow_bridge.habitat.convert.annotation_categories` reads it: a scene of
objects (entries may be ``None``), each with an ``id``, a ``semantic_id`` and
a ``category`` (maybe ``None``) whose ``name()`` is the category name. Plain
dataclasses: importing this module needs neither habitat-lab nor habitat-sim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class SemanticCategory:
    """A category of :class:`SemanticObject` (habitat-sim's ``SemanticCategory``)."""

    label: str

    def name(self) -> str:
        """The category name."""
        return self.label


@dataclass
class SemanticObject:
    """One object of the scene (habitat-sim's ``SemanticObject``)."""

    id: str
    semantic_id: int
    category: SemanticCategory | None


@dataclass
class SemanticScene:
    """The scene's annotations (habitat-sim's ``SemanticScene``)."""

    objects: Sequence[SemanticObject | None]
