"""Published settings as config layers: what each method's publisher ran, per dataset, protocol and backbone.

The publishers tuned per dataset and per protocol where this project has one generic setting per method.
Their values live in small yamls, one per (method, protocol, dataset), merged right after the method's own
layers when the run matches:

    configs/published/<Method>/<protocol>/_all.yaml              every dataset of the protocol
    configs/published/<Method>/<protocol>/shots_<K>/_all.yaml    K shots (e.g. CoOp's epochs by shot count)
    configs/published/<Method>/<protocol>/<dataset>.yaml         one dataset (its publisher wins)
    configs/published/<Method>/<protocol>/shots_<K>/<dataset>.yaml

A publisher's own config names (CoOp's `rn50_ep50`, `--config-file configs/trainers/CoOp/rn50_ep50.yaml`) are
configs/published/<Method>/named/<name>.yaml: `--config <name>` merges the backbone it names, the method layer
and that file, and no automatic published layer (the name is the user's choice of the publisher's settings).

Each file starts with a `_PUBLISHED_` node that the merge drops: SOURCE (a list of "repository, file,
commit" strings, printed in the log's layer list), BACKBONES (the backbone layers, configs/backbones/<name>,
the publisher ran these values with; the file applies to those only) and NOTES (what the publisher's code did
with a value it names, where that differs from the value written). The protocol of a run is read from its
config: base2new when DATASET.SUBSAMPLE_CLASSES is base or new, crossmodal for a crossmodal_* config,
fewshot when DATASET.NUM_SHOTS >= 1, otherwise zeroshot (text-only training, or all images).
`PUBLISHED_SETTINGS False` (train.py --generic) keeps the generic settings. docs/PUBLISHED.md lists the sources
and the departures; scripts/import_published.py wrote the files from the publishers' repositories.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from medprompt.run.config_layers import CONFIGS, PUBLISHED_KEY, ConfigLayerError, Layer

PROTOCOLS = ("fewshot", "base2new", "zeroshot", "crossmodal")
SWITCH = "PUBLISHED_SETTINGS"  # the config key (train.py --generic sets it False)
# MedPromptCLIP trains on text alone, so its run under the few-shot protocol (the run MedPromptCLIP_FewShot
# and the stacked methods start from) is the publisher's text-only stage of that dataset
SAME_AS = {("MedPromptCLIP", "fewshot"): "zeroshot"}


@dataclass(frozen=True)
class RunKey:
    """What picks a run's published layers."""

    method: str
    dataset: str
    protocol: str
    backbone: str  # the backbone layer's name ("" when the backbone is not a layer)
    shots: int


def run_protocol(num_shots: int, subsample_classes: str, variant: str = "") -> str:
    """The protocol of a run, read from its config (see the module docstring)."""
    if variant.startswith("crossmodal"):
        return "crossmodal"
    if str(subsample_classes).lower() in ("base", "new"):
        return "base2new"
    return "fewshot" if int(num_shots) >= 1 else "zeroshot"


@dataclass(frozen=True)
class PublishedHeader:
    sources: tuple[str, ...]
    backbones: tuple[str, ...]
    notes: tuple[str, ...]


def read_header(path: Path) -> PublishedHeader:
    """The `_PUBLISHED_` node of a published layer; errors name the file and the missing key."""
    try:
        node = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigLayerError(f"Published layer {path} is not valid YAML: {err}") from None
    head = node.get(PUBLISHED_KEY)
    if not isinstance(head, dict) or not head.get("SOURCE") or not head.get("BACKBONES"):
        raise ConfigLayerError(f"Published layer {path} needs a {PUBLISHED_KEY} node with SOURCE (repository, file, "
                               f"commit) and BACKBONES (the backbone layers its values were published for)")
    return PublishedHeader(tuple(head["SOURCE"]), tuple(head["BACKBONES"]), tuple(head.get("NOTES") or ()))


def candidate_files(key: RunKey, root: Path = CONFIGS) -> list[Path]:
    """The published files that would apply to `key` whatever the backbone, general before specific; none
    without a dataset (a config merged alone, as the legacy-config checks do)."""
    if not key.dataset:
        return []
    folder = root / "published" / key.method / SAME_AS.get((key.method, key.protocol), key.protocol)
    shots = folder / f"shots_{key.shots}" if key.shots >= 1 else None
    names = [folder / "_all.yaml", *([shots / "_all.yaml"] if shots else []), folder / f"{key.dataset}.yaml",
             *([shots / f"{key.dataset}.yaml"] if shots else [])]
    return [p for p in names if p.is_file()]


def published_layers(key: RunKey, root: Path = CONFIGS) -> tuple[list[Layer], list[str]]:
    """(the layers that apply to `key`, a note per published file skipped because of its backbone)."""
    layers, skipped = [], []
    for path in candidate_files(key, root):
        head = read_header(path)
        if key.backbone in head.backbones:
            layers.append(Layer("published", path, "; ".join(head.sources)))
        else:
            skipped.append(f"{path} was published for backbone {', '.join(head.backbones)}, not "
                           f"{key.backbone or 'this one'}: not applied")
    return layers, skipped


def published_methods(root: Path = CONFIGS) -> list[str]:
    """The methods with published layers."""
    folder = root / "published"
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def layer_notes(layers: list[Layer]) -> list[str]:
    """The NOTES of the published layers among `layers`: what the publisher's code ran differently from what
    its file reads, and where this project departs."""
    return [f"{layer.path.parent.name}/{layer.path.name}: {note}" for layer in layers if layer.role == "published"
            for note in read_header(layer.path).notes]
