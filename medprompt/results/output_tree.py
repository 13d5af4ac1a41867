"""The output tree and config-file names, defined once.

Layout (the CoOp family's convention): ``<root>/<protocol...>/<dataset>/shots_<K>/<Trainer>/<config>/seed<S>/``.
The protocol may be several folders (``base2new/train_base``). The sweep writes this tree, the results
reader parses it back (:func:`place`). A (trainer, config name) pair stands for the config layers of
medprompt.run.config_layers (`train.py --config <name>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from medprompt.utils.paths import CONFIGS

SEED_DIR = re.compile(r"^seed(\d+)$")
SHOTS_DIR = re.compile(r"^shots_(\d+)$")
LAYOUT = "<protocol>/<dataset>/shots_<K>/<Trainer>/<config>/seed<S>/"
# Files of one learner's folder in a run (Dassl's names; medprompt/run/checkpoints.py writes them)
CHECKPOINT_POINTER = "checkpoint"  # names the latest checkpoint
BEST_CHECKPOINT = "model-best.pth.tar"
RESUME_CHECKPOINT = "resume.pth.tar"  # kept between the saved epochs while training goes
EPOCH_CHECKPOINT_PREFIX = "model.pth.tar-"  # + the number of epochs done


@dataclass(frozen=True, order=True)
class RunKey:
    """Where one run sits in the layout."""

    protocol: str
    dataset: str
    shots: int
    trainer: str
    config_name: str
    seed: int

    def relative(self) -> Path:
        """The run's folder below the output root."""
        return (Path(self.protocol) / self.dataset / f"shots_{self.shots}" / self.trainer / self.config_name
                / f"seed{self.seed}")


def run_dir(root: str | Path, key: RunKey) -> Path:
    """The seed folder of `key` under the output root."""
    return Path(root) / key.relative()


def place(root: Path, seed_dir: Path) -> RunKey | None:
    """The key of a seed folder under `root`, or None when the folder is not in the layout. With no
    protocol folder the protocol is the root folder's own name."""
    parts = seed_dir.relative_to(root).parts
    if len(parts) < 5:
        return None
    *protocol, dataset, shots, trainer, config_name, seed = parts
    shots_match, seed_match = SHOTS_DIR.match(shots), SEED_DIR.match(seed)
    if not shots_match or not seed_match:
        return None
    return RunKey("/".join(protocol) or root.resolve().name, dataset, int(shots_match.group(1)), trainer,
                  config_name, int(seed_match.group(1)))


def dataset_config_file(dataset: str) -> Path:
    """The dataset config of a dataset name: configs/datasets/<dataset>.yaml."""
    return CONFIGS / "datasets" / f"{dataset}.yaml"
