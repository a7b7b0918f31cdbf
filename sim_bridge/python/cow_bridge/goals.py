"""Goal words: the text cow gives the agent for a benchmark category.

``tv_monitor`` becomes ``"TV"``, ``chest_of_drawers`` ``"chest of drawers"``,
``AlarmClock`` ``"alarm clock"``. The table is ``goal_words.json`` in this
package, which the Rust side (``sim_bridge::goal``) reads too, so both give
the same words; a category not in the table is split into words by rule
(underscores and CamelCase boundaries, lower case).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources


@cache
def _table() -> dict[str, str]:
    text = resources.files("cow_bridge").joinpath("goal_words.json").read_text("utf-8")
    words: dict[str, str] = json.loads(text)["words"]
    return words


def goal_words(category: str) -> str:
    """The goal text for ``category`` (a benchmark category name)."""
    known = _table().get(category)
    if known is not None:
        return known
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", category.replace("_", " "))
    return " ".join(spaced.split()).lower()
