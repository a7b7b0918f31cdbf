"""The type stubs in ``typings/`` declare only what the real ROS packages have:
every module, function, class, constant and message field of a stub exists in
the library it describes (so ``mypy --strict`` over the ROS modules checks
against the real surface)."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

TYPINGS = Path(__file__).resolve().parents[1] / "typings"
STUBS = sorted(TYPINGS.rglob("*.pyi"))


def sets_attribute(cls: type, name: str) -> bool:
    """Whether ``cls`` or a base assigns ``self.<name>`` (an instance attribute)."""
    for base in cls.__mro__:
        try:
            source = inspect.getsource(base)
        except (OSError, TypeError):
            continue
        if f"self.{name} =" in source:
            return True
    return False


def module_name(stub: Path) -> str:
    parts = stub.relative_to(TYPINGS).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("stub", STUBS, ids=module_name)
def test_every_name_in_a_stub_exists_in_the_library(stub: Path) -> None:
    module = importlib.import_module(module_name(stub))
    tree = ast.parse(stub.read_text())
    missing = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            if not callable(getattr(module, node.name, None)):
                missing.append(node.name)
        elif isinstance(node, ast.ClassDef):
            cls = getattr(module, node.name, None)
            if not isinstance(cls, type):
                missing.append(node.name)
                continue
            fields = set(getattr(cls, "__slots__", ()))
            for item in node.body:
                name = None
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    name = item.target.id
                elif isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                    name = item.name
                if name is None or name in fields or hasattr(cls, name):
                    continue
                if not sets_attribute(cls, name):
                    missing.append(f"{node.name}.{name}")
    assert STUBS and not missing, f"{module.__name__} has no {missing}"
