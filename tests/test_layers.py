"""The package's layers: every import (module level or inside a function) reaches only the same layer or
a layer listed before it, so there is no loop between folders and no folder reaches upward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from medprompt.utils.paths import REPO

#: Lowest first. trainers/ and datasets/ are the Dassl glue; sweep and demo drive whole runs.
LAYERS = ["medprompt.utils", "medprompt.synthetic", "medprompt.data", "medprompt.llm", "medprompt.results",
          "medprompt.run", "medprompt.clip", "medprompt.methods", "datasets", "trainers", "medprompt.sweep",
          "medprompt.demo"]
#: Modules that never import Dassl (it is imported by the glue and the drivers only).
DASSL_FREE = LAYERS[:LAYERS.index("datasets")]


def layer_of(module: str) -> str | None:
    for layer in LAYERS:
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, at any depth; `from pkg import mod` names pkg.mod."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def package_files() -> list[Path]:
    files = (p for folder in ("medprompt", "trainers", "datasets") for p in (REPO / folder).rglob("*.py"))
    return sorted(p for p in files if p != REPO / "medprompt" / "__init__.py")  # the package's docstring


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.parametrize("path", package_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_imports_reach_only_lower_layers(path):
    own = layer_of(module_name(path))
    assert own is not None, f"{path.relative_to(REPO)} is in no layer: add its folder to LAYERS"
    upward = []
    for line, module in imported_modules(path):
        target = layer_of(module)
        if target and LAYERS.index(target) > LAYERS.index(own):
            upward.append(f"line {line}: {module} ({target} is above {own})")
        if own in DASSL_FREE and module.split(".")[0] == "dassl":
            upward.append(f"line {line}: {module} (Dassl, in the Dassl-free layer {own})")
        if module in {"train", "demo", "sweep"}:
            upward.append(f"line {line}: {module} (an entry script)")
    assert not upward, f"{path.relative_to(REPO)} reaches upward:\n  " + "\n  ".join(upward)


def test_no_module_left_at_the_package_root():
    """Every module lives in the room of its job; the root holds only the package's docstring."""
    assert sorted(p.name for p in (REPO / "medprompt").glob("*.py")) == ["__init__.py"]
