"""Every shipped config merges over Dassl's defaults and the project's keys, and names a registered trainer
or dataset: a typo in a yaml key fails here, not hours into a run."""

from __future__ import annotations

import pytest

from e2e import REPO

pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")

from dassl.data.datasets import DATASET_REGISTRY  # noqa: E402
from dassl.engine import TRAINER_REGISTRY  # noqa: E402

from train import build_parser, setup_cfg  # noqa: E402

TRAINER_CONFIGS = sorted((REPO / "configs" / "trainers").glob("*/*.yaml"))
DATASET_CONFIGS = sorted((REPO / "configs" / "datasets").glob("*.yaml"))


@pytest.mark.parametrize("path", TRAINER_CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_trainer_config_merges_and_names_a_registered_trainer(path):
    trainer = path.parent.name
    args = build_parser().parse_args(["--trainer", trainer, "--config-file", str(path),
                                      "--dataset-config-file", str(DATASET_CONFIGS[0])])
    cfg = setup_cfg(args)
    assert cfg.TRAINER.NAME in TRAINER_REGISTRY.registered_names()


@pytest.mark.parametrize("path", DATASET_CONFIGS, ids=lambda p: p.stem)
def test_dataset_config_merges_and_names_a_registered_dataset(path):
    cfg = setup_cfg(build_parser().parse_args(["--dataset-config-file", str(path)]))
    assert cfg.DATASET.NAME in DATASET_REGISTRY.registered_names()


def test_every_registered_project_trainer_has_configs():
    folders = {p.parent.name for p in TRAINER_CONFIGS}
    import trainers

    ours = {cls.__name__ for module in trainers.TRAINER_MODULES for cls in vars(module).values()
            if isinstance(cls, type) and cls.__name__ in TRAINER_REGISTRY.registered_names()}
    assert ours and ours <= folders, ours - folders


@pytest.mark.parametrize("path", TRAINER_CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_trainer_config_passes_the_start_checks_and_its_context_init_fits(path):
    """No shipped config relies on a fallback: CTX_INIT takes exactly N_CTX tokens (CLIP's tokenizer)."""
    import open_clip

    from trainers.config import check_config

    trainer = path.parent.name
    cfg = setup_cfg(build_parser().parse_args(["--trainer", trainer, "--config-file", str(path),
                                               "--dataset-config-file", str(DATASET_CONFIGS[0])]))
    assert check_config(cfg) == []
    tokenize = open_clip.get_tokenizer("ViT-B-16")
    for node in cfg.TRAINER.values():
        if hasattr(node, "get") and node.get("CTX_INIT"):
            words = int((tokenize([node.CTX_INIT])[0] != 0).sum()) - 2
            assert words == node.N_CTX, f"{path}: CTX_INIT {node.CTX_INIT!r} has {words} tokens, N_CTX {node.N_CTX}"
