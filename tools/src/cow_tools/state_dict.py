"""Loading state dicts as NumPy arrays: ``.npz`` always, ``.pt``/``.bin``/``.pth``
only when PyTorch is importable (it is not a dependency of this package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

StateDict = dict[str, NDArray[np.floating]]


def _strip(name: str) -> str:
    for prefix in ("module.", "model."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name


def load_state_dict(path: Path) -> StateDict:
    """Reads a state dict with OpenCLIP parameter names into float32 NumPy arrays."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path) as data:
            return {_strip(k): np.asarray(data[k], dtype=np.float32) for k in data.files}
    if suffix in (".pt", ".pth", ".bin"):
        if importlib.util.find_spec("torch") is None:
            raise RuntimeError(
                f"{path} is a PyTorch file but torch is not installed; "
                "convert it to .npz elsewhere or `pip install torch`"
            )
        import torch

        obj: Any = torch.load(path, map_location="cpu", weights_only=False)
        if hasattr(obj, "state_dict"):
            obj = obj.state_dict()
        if isinstance(obj, dict) and "state_dict" in obj:
            obj = obj["state_dict"]
        return {_strip(k): v.detach().float().numpy() for k, v in obj.items() if hasattr(v, "detach")}
    raise ValueError(f"{path}: unknown state-dict format {suffix!r} (use .npz, .pt, .pth or .bin)")


def save_npz(params: StateDict, path: Path) -> None:
    """Writes a state dict as ``.npz``."""
    np.savez(path, **{k: np.asarray(v) for k, v in params.items()})  # type: ignore[arg-type]
