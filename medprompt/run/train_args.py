"""train.py's command line (CoOp's flags, plus the project's) and the config layers it names.

Dassl-free, so the sweep's warm interpreter and the early checks read a run's arguments without
importing the trainers.
"""

from __future__ import annotations

import argparse

from medprompt.run.config_layers import Layer, resolve_layers

USAGE_DOC = """Train or evaluate any method of the project with the stock Dassl, with CoOp's command line.

    python train.py --root $DATA --seed 1 --trainer MedPromptCLIP --config vit_b16 \\
        --dataset-config-file configs/datasets/FFA.yaml \\
        --output-dir output/base2new/train_base/FFA/shots_16/MedPromptCLIP/vit_b16/seed1 \\
        DATASET.SUBSAMPLE_CLASSES base

Config layers, later wins (the log lists them): Dassl defaults and the project's keys -> dataset yaml ->
backbone yaml -> method yaml -> its overlays -> --config-file -> command-line flags -> trailing KEY VALUE
options. `--config NAME` (or `--backbone NAME` alone) picks the backbone and overlay layers; see
medprompt/run/config_layers.py. A former path configs/trainers/<Method>/<name>.yaml means --config <name>.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train.py", description=USAGE_DOC,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=str, default="", help="path to the datasets")
    p.add_argument("--output-dir", type=str, default="", help="output directory")
    p.add_argument("--resume", type=str, default="", help="checkpoint directory to resume from")
    p.add_argument("--seed", type=int, default=-1, help="a non-negative value fixes the seed (0 included)")
    p.add_argument("--source-domains", type=str, nargs="+", help="source domains for DA/DG")
    p.add_argument("--target-domains", type=str, nargs="+", help="target domains for DA/DG")
    p.add_argument("--transforms", type=str, nargs="+", help="data augmentation methods")
    p.add_argument("--config", type=str, default="",
                   help="config name, <backbone> or <variant>_<backbone>: the backbone, method and overlay layers")
    p.add_argument("--config-file", type=str, default="", help="a yaml merged after the method layers")
    p.add_argument("--dataset-config-file", type=str, default="", help="dataset config file")
    p.add_argument("--trainer", type=str, default="", help="name of the trainer")
    p.add_argument("--backbone", type=str, default="",
                   help="configs/backbones/NAME.yaml, else an open_clip name, alias, hf-hub: or local-dir:")
    p.add_argument("--head", type=str, default="", help="name of head")
    p.add_argument("--eval-only", action="store_true", help="evaluation only")
    p.add_argument("--model-dir", type=str, default="", help="load the model from this directory for eval-only; when training, the run whose "
                   "prompts a trainer starts from (TRAINER.STACKING.INIT_FROM, unless that is set)")
    p.add_argument("--load-epoch", type=int, help="load the model saved at this epoch (default: best, else last)")
    p.add_argument("--no-train", action="store_true", help="do not call trainer.train()")
    p.add_argument("--env-info", action="store_true",
                   help="log Dassl's full system report (pip, CUDA, CPU; about 2 s) instead of the one-line summary")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a run in --output-dir that was made with other settings (default: refuse)")
    p.add_argument("--generic", action="store_true",
                   help="the method's generic settings, no published layer (same as PUBLISHED_SETTINGS False)")
    p.add_argument("--print-config", action="store_true",
                   help="print the merged config as YAML (its layers as comments) and exit, reading no data")
    p.add_argument("opts", default=None, nargs=argparse.REMAINDER, help="modify config options from the command line")
    return p


def config_layers(args: argparse.Namespace) -> list[Layer]:
    """The generic yaml layers the flags name, in merge order (medprompt/run/config_layers.py); the published
    layers that match the run are placed among them by trainers/launch.py (run_layers)."""
    return resolve_layers(trainer=args.trainer, config=args.config, backbone=args.backbone,
                          config_file=args.config_file, dataset_config_file=args.dataset_config_file)
