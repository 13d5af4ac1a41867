"""Which yaml files make a run's config, in which order (later wins), and merging one of them.

Dassl merges configs in layers (defaults -> dataset yaml -> method yaml -> command line); this project adds
a backbone layer and small overlays, so that no yaml repeats another:

    configs/backbones/<backbone>.yaml        what belongs to a backbone (name, input size, normalisation)
    configs/methods/<Method>.yaml            one per method: its own keys
    configs/methods/<Method>/<backbone>.yaml only where the method's published setting differs on that backbone
    configs/methods/<Method>/<variant>.yaml  a named variant of the method (e.g. crossmodal, ensemble)

A config name, as the protocol scripts and the output tree use it, is `<backbone>` or `<variant>_<backbone>`:
`pmc_vit_l14` is the backbone layer, the method layer and the method's pmc_vit_l14 overlay if there is one;
`crossmodal_pmc_vit_l14` adds the crossmodal overlay. Files whose name starts with `_` are bases that other
yamls name in a `_BASE_:` key (a path or a list of paths, relative to the yaml); they are never picked by name.

The former full files `configs/trainers/<Method>/<name>.yaml` are read as the config name `<name>` of
`<Method>` (see `legacy_config`). Run `python -m medprompt.run.config_layers METHOD CONFIG` to list the layers
and the keys each sets.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from yacs.config import CfgNode

from medprompt.utils.errors import ConfigError
from medprompt.utils.paths import CONFIGS

BASE_KEY = "_BASE_"
PUBLISHED_KEY = "_PUBLISHED_"  # a published layer's provenance (medprompt/run/published.py), not a config key
_LEGACY = re.compile(r"(?:^|/)configs/trainers/(?P<method>[^/]+)/(?P<config>[^/]+)\.ya?ml$")


class ConfigLayerError(ConfigError):
    """A config name, layer file or layer key that cannot be used; the message names the file or name."""


@dataclass(frozen=True)
class Layer:
    """One yaml merged into the config; `role` says why (dataset, backbone, method, overlay, published, config
    file); `source` names where a published layer's values come from."""

    role: str
    path: Path
    source: str = ""


def _names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml") if not p.stem.startswith("_"))


def backbone_names(root: Path = CONFIGS) -> list[str]:
    """The backbones that have a layer: configs/backbones/<name>.yaml."""
    return _names(root / "backbones")


def method_names(root: Path = CONFIGS) -> list[str]:
    """The methods that have a layer: configs/methods/<Method>.yaml."""
    return _names(root / "methods")


def backbone_layer(name: str, root: Path = CONFIGS) -> Path | None:
    """configs/backbones/<name>.yaml, or None when `name` is not one (an open_clip name, hf-hub:, local-dir:)."""
    path = root / "backbones" / f"{name}.yaml"
    return path if name and not name.startswith("_") and "/" not in name and path.is_file() else None


def variant_names(method: str, root: Path = CONFIGS) -> list[str]:
    """The method's named variants: its overlays that are not named after a backbone."""
    backbones = set(backbone_names(root))
    return [n for n in _names(root / "methods" / method) if n not in backbones]


def config_names(method: str, root: Path = CONFIGS) -> list[str]:
    """Every config name the method accepts: each backbone, and each variant on each backbone."""
    backbones = backbone_names(root)
    return backbones + [f"{v}_{b}" for v in variant_names(method, root) for b in backbones]


def published_config(method: str, config: str, root: Path = CONFIGS) -> Layer | None:
    """A publisher's own config name of the method (CoOp's `rn50_ep50`, CoCoOp's `vit_b16_c4_ep10_batch1_ctxv1`,
    ...): configs/published/<Method>/named/<name>.yaml, as a published layer; None when there is none or when
    the name is also one of the project's config names (`vit_b16`), which wins."""
    path = root / "published" / method / "named" / f"{config}.yaml"
    if not config or "/" in config or not path.is_file() or config in config_names(method, root):
        return None
    from medprompt.run.published import (
        read_header,  # the published layers build on this module
    )

    return Layer("published", path, "; ".join(read_header(path).sources))


def published_config_backbone(layer: Layer, root: Path = CONFIGS) -> str:
    """The backbone layer a publisher's named config was written for; an error when it has no layer here."""
    from medprompt.run.published import read_header

    backbone = read_header(layer.path).backbones[0]
    if not backbone_layer(backbone, root):
        raise ConfigLayerError(f"{layer.path} was published for backbone {backbone}, which has no layer "
                               f"{root / 'backbones' / (backbone + '.yaml')}; backbones: {', '.join(backbone_names(root))}")
    return backbone


def split_config_name(method: str, config: str, root: Path = CONFIGS) -> tuple[str, str]:
    """(variant or "", backbone) of a config name; an error lists the names the method accepts."""
    named = published_config(method, config, root)
    if named:
        return "", published_config_backbone(named, root)
    for backbone in sorted(backbone_names(root), key=len, reverse=True):  # pmc_vit_l14 before a shorter match
        if config == backbone:
            return "", backbone
        if config.endswith("_" + backbone) and config[: -len(backbone) - 1] in variant_names(method, root):
            return config[: -len(backbone) - 1], backbone
    raise ConfigLayerError(
        f"Unknown config {config!r} for {method}: a config name is <backbone> or <variant>_<backbone>, with a "
        f"backbone of {root / 'backbones'} and a variant of {root / 'methods' / method}; "
        f"{method} accepts: {', '.join(config_names(method, root))}" + (
            f"; the publisher's names: {', '.join(published_names)}" if (published_names := sorted(
                p.stem for p in (root / "published" / method / "named").glob("*.yaml"))) else ""))


def config_layers(method: str, config: str, root: Path = CONFIGS) -> list[Layer]:
    """The backbone, method and overlay layers of `config` for `method`, in merge order."""
    method_file = root / "methods" / f"{method}.yaml"
    if not method_file.is_file():
        raise ConfigLayerError(f"No method config {method_file} for {method!r}; methods with one: "
                               f"{', '.join(method_names(root))}")
    variant, backbone = split_config_name(method, config, root)
    layers = [Layer("backbone", root / "backbones" / f"{backbone}.yaml"), Layer("method", method_file)]
    named = published_config(method, config, root)
    if named:  # the publisher's own file stands for the overlays
        return layers + [named]
    for overlay in (backbone, variant):
        path = root / "methods" / method / f"{overlay}.yaml"
        if overlay and path.is_file():
            layers.append(Layer("overlay", path))
    return layers


def legacy_config(path: str) -> tuple[str, str] | None:
    """(method, config name) of a former full file `configs/trainers/<Method>/<name>.yaml` that is gone."""
    match = _LEGACY.search(Path(path).as_posix())
    if not match or Path(path).is_file():
        return None
    return match.group("method"), match.group("config")


def resolve_layers(*, trainer: str = "", config: str = "", backbone: str = "", config_file: str = "",
                   dataset_config_file: str = "", root: Path = CONFIGS) -> list[Layer]:
    """Every yaml layer of a train.py run, in merge order: dataset, backbone, method, overlays, config file.

    The config name comes from `config`, else from a former `configs/trainers/<Method>/<name>.yaml` path in
    `config_file`, else from `backbone` when it names a backbone layer. Without a config name the method
    layer of `trainer` still applies (when it has one), unless an existing `config_file` is given: that file
    then stands for the method layer, as in Dassl. An existing `config_file` is merged last.
    """
    layers = [Layer("dataset", Path(dataset_config_file))] if dataset_config_file else []
    method = trainer
    legacy = legacy_config(config_file) if config_file else None
    if legacy:
        method, legacy_name = legacy
        if config and config != legacy_name:
            raise ConfigLayerError(f"--config {config} and --config-file {config_file} name different configs")
        config = legacy_name
        try:
            split_config_name(method, config, root)
        except ConfigLayerError as err:
            raise ConfigLayerError(
                f"{config_file} does not exist: the full files configs/trainers/<Method>/<name>.yaml were split "
                f"into layers (configs/backbones/, configs/methods/), and such a path now means --trainer "
                f"<Method> --config <name>. {err}") from None
    if config and not method:
        raise ConfigLayerError(f"--config {config} needs --trainer: a config name is read per method")
    if config:
        named = split_config_name(method, config, root)[1]
        if backbone_layer(backbone, root) and backbone != named:
            raise ConfigLayerError(f"--backbone {backbone} and --config {config} (backbone {named}) disagree; "
                                   f"give one of them")
        layers += config_layers(method, config, root)
    else:
        named_backbone = backbone_layer(backbone, root)
        # a full yaml of one's own given alone stays what it was in Dassl: the method yaml itself
        own_full_file = bool(config_file) and not legacy and not named_backbone
        has_method = bool(method) and (root / "methods" / f"{method}.yaml").is_file() and not own_full_file
        if named_backbone and has_method:
            layers += config_layers(method, backbone, root)
        else:
            layers += [Layer("backbone", named_backbone)] if named_backbone else []
            layers += [Layer("method", root / "methods" / f"{method}.yaml")] if has_method else []
    if config_file and not legacy:
        if not Path(config_file).is_file():
            raise ConfigLayerError(f"No config file {config_file}")
        layers.append(Layer("config file", Path(config_file)))
    return layers


def _yaml_bases(path: Path, node: CfgNode) -> list[Path]:
    bases = node.pop(BASE_KEY, [])
    return [path.parent / base for base in ([bases] if isinstance(bases, str) else bases)]


def merge_layer(cfg: CfgNode, path: Path, _seen: tuple[Path, ...] = ()) -> None:
    """Merge one yaml into `cfg`, after the files its `_BASE_` key names; errors name the file."""
    path = Path(path)
    if path.resolve() in _seen:
        raise ConfigLayerError(f"{path}: {BASE_KEY} loops back to itself ({' -> '.join(map(str, _seen))})")
    try:
        with open(path, encoding="utf-8") as f:
            node = CfgNode.load_cfg(f)
    except FileNotFoundError:
        raise ConfigLayerError(f"No config file {path}" + (f" (a {BASE_KEY} of {_seen[-1]})" if _seen else ""))
    except yaml.YAMLError as err:
        raise ConfigLayerError(f"Config file {path} is not valid YAML: {err}") from None
    node.pop(PUBLISHED_KEY, None)
    for base in _yaml_bases(path, node):
        merge_layer(cfg, base, (*_seen, path.resolve()))
    try:
        cfg.merge_from_other_cfg(node)
    except (KeyError, ValueError, AssertionError) as err:
        raise ConfigLayerError(f"{path}: {err}") from None


def describe_layers(layers: list[Layer]) -> str:
    """The layers as the log prints them, one a line in merge order, after the built-in defaults."""
    rows = ["  defaults       Dassl's, the project's and every trainer's keys"]
    rows += [f"  {layer.role:<14} {layer.path}" + (f"\n  {'':<14} from {layer.source}" if layer.source else "")
             for layer in layers]
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    """`python -m medprompt.run.config_layers METHOD CONFIG`: print the layers and the keys each sets, or the
    error and exit 2."""
    if len(argv) != 2:
        print("usage: python -m medprompt.run.config_layers METHOD CONFIG  (the layers, and the keys each sets)",
              file=sys.stderr)
        return 2
    from medprompt.run.layer_keys import describe_layer_keys

    try:
        print(describe_layer_keys(config_layers(*argv)))
    except ConfigLayerError as err:
        print(err, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def flat_keys(node: Mapping, prefix: str = "") -> dict[str, object]:
    """'OPTIM.LR' -> 0.002: every leaf of a nested config (a yaml's mapping or a CfgNode) by its dotted key."""
    flat: dict[str, object] = {}
    for key, value in node.items():
        if isinstance(value, Mapping):
            flat.update(flat_keys(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
