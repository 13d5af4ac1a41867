"""Every trainer the project registers has what CONTRIBUTING.md asks of a method: a method layer
(configs/methods/<Trainer>.yaml) and a row in docs/TRAINERS.md's table."""

from __future__ import annotations

import re

import pytest

from medprompt.utils.paths import CONFIGS, REPO

dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")


def project_trainers() -> list[str]:
    import trainers  # noqa: F401  (registers the project's trainers)
    from dassl.engine import TRAINER_REGISTRY

    return sorted(name for name in TRAINER_REGISTRY.registered_names()
                  if TRAINER_REGISTRY.get(name).__module__.split(".")[0] == "trainers")


def documented_trainers() -> set[str]:
    """The trainer names in the first cell of each row of docs/TRAINERS.md's tables."""
    text = (REPO / "docs" / "TRAINERS.md").read_text(encoding="utf-8")
    return {name for cell in re.findall(r"^\| ([^|]+) \|", text, re.M) for name in re.findall(r"`(\w+)`", cell)}


def test_the_project_registers_its_trainers():
    assert {"MedPromptCLIP", "CoOp", "ViP", "TipAdapterF"} <= set(project_trainers())


@pytest.mark.parametrize("name", project_trainers() if dassl else [])
def test_every_registered_trainer_has_a_method_layer_and_a_docs_row(name):
    assert (CONFIGS / "methods" / f"{name}.yaml").is_file(), f"configs/methods/{name}.yaml is missing"
    assert name in documented_trainers(), f"docs/TRAINERS.md has no table row naming `{name}`"


def test_every_module_that_registers_a_trainer_is_listed_in_methods():
    """A trainer module left out of trainers.METHODS would register only when something else imports it,
    and its keys would never be declared."""
    import trainers

    registering = sorted(p.stem for p in (REPO / "trainers").glob("*.py")
                         if "@TRAINER_REGISTRY.register()" in p.read_text(encoding="utf-8"))
    assert [name for name in registering if name not in trainers.METHODS] == []
