"""One train.py run: merge the config layers, check them, build the trainer, train or evaluate.

train.py parses the command line (medprompt.run.train_args) and calls :func:`main`; the sweep's warm
interpreter calls :func:`setup_cfg` to learn which backbone a run will load.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from dassl.config import get_cfg_default
from dassl.engine import TRAINER_REGISTRY, build_trainer
from dassl.utils import collect_env_info, set_random_seed, setup_logger

import datasets
import trainers
from medprompt.run.config_layers import Layer, backbone_layer, describe_layers, merge_layer
from medprompt.run.key_cache import remember_keys
from medprompt.run.finished import check_init_from, check_model_dir
from medprompt.run.published import SWITCH, RunKey, layer_notes, published_layers, run_protocol
from medprompt.run.run_settings import check_output_dir
from medprompt.run.train_args import config_layers
from medprompt.utils import folder_lock, threads
from medprompt.utils.timing import RUN_TIMER
from trainers.config import check_config


def run_layers(args: argparse.Namespace) -> tuple[list[Layer], list[str]]:
    """(layers, notes): the generic layers of the flags, then the published layers that match the run's
    method, dataset, protocol and backbone (medprompt/run/published.py), placed after the method layers;
    notes say which published files were skipped for their backbone."""
    layers = config_layers(args)
    draft = build_cfg(args, layers)  # the run's method, dataset and protocol, once every layer has spoken
    if not draft[SWITCH]:
        return layers, [f"{SWITCH} False (--generic): the generic settings, no published layer"]
    if any(layer.role == "published" for layer in layers):  # a publisher's own config name was given
        return layers, layer_notes(layers)
    backbone = next((layer.path.stem for layer in layers if layer.role == "backbone"), "")
    variant = next((layer.path.stem for layer in layers if layer.role == "overlay" and layer.path.stem != backbone), "")
    key = RunKey(method=draft.TRAINER.NAME, dataset=draft.DATASET.NAME, backbone=backbone,
                 protocol=run_protocol(draft.DATASET.NUM_SHOTS, draft.DATASET.SUBSAMPLE_CLASSES, variant),
                 shots=int(draft.DATASET.NUM_SHOTS))
    published, notes = published_layers(key)
    at = next((i for i, layer in enumerate(layers) if layer.role == "config file"), len(layers))
    return layers[:at] + published + layers[at:], notes + layer_notes(published)


def build_cfg(args: argparse.Namespace, layers: list[Layer]):
    """Dassl's defaults and every trainer's keys, the layers, the flags, then the trailing options."""
    cfg = get_cfg_default()
    trainers.add_config(cfg)
    datasets.add_dataset_config(cfg)
    for layer in layers:
        merge_layer(cfg, layer.path)
    raw_backbone = "" if backbone_layer(args.backbone) else args.backbone  # a layer when it names one
    for value, key in [
        (args.root, "DATASET.ROOT"), (args.output_dir, "OUTPUT_DIR"), (args.resume, "RESUME"),
        (args.source_domains, "DATASET.SOURCE_DOMAINS"), (args.target_domains, "DATASET.TARGET_DOMAINS"),
        (args.transforms, "INPUT.TRANSFORMS"), (args.trainer, "TRAINER.NAME"),
        (raw_backbone, "MODEL.BACKBONE.NAME"), (args.head, "MODEL.HEAD.NAME"),
    ]:
        if value:
            cfg.merge_from_list([key, value])
    if args.seed >= 0:  # 0 is a seed like any other
        cfg.SEED = args.seed
    if getattr(args, "generic", False):
        cfg.PUBLISHED_SETTINGS = False
    cfg.merge_from_list(args.opts or [])
    if args.model_dir and not cfg.TRAINER.STACKING.INIT_FROM and (not args.eval_only or reads_shape(cfg.TRAINER.NAME)):
        # as in the publisher's few-shot script: the run a stacking trainer starts from (or reads its shape from)
        cfg.TRAINER.STACKING.INIT_FROM = args.model_dir
    return cfg


def reads_shape(trainer: str) -> bool:
    """Whether a trainer takes its prompt shape from TRAINER.STACKING.INIT_FROM (MedPromptCLIP_FewShot)."""
    return trainer in TRAINER_REGISTRY.registered_names() and getattr(TRAINER_REGISTRY.get(trainer), "SHAPE_FROM_INIT", False)


def setup_cfg(args: argparse.Namespace, layers: list[Layer] | None = None):
    """The run's merged config: the layers (published ones included; resolved here unless given), the
    flags and the trailing options."""
    cfg = build_cfg(args, run_layers(args)[0] if layers is None else layers)
    cfg.freeze()
    return cfg


def system_summary() -> str:
    """One line of what a result depends on (Dassl's full report, --env-info, takes seconds of subprocesses)."""
    import platform

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "no CUDA device"
    return (f"Python {platform.python_version()}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
            f"{device}, {torch.get_num_threads()} CPU threads, {platform.platform()}")


def layer_lines(layers: list[Layer], notes: list[str]) -> str:
    """The layers of the run as the log lists them, then the notes about skipped published files."""
    return "\n".join([describe_layers(layers), "  command line   the flags, then the trailing options",
                      *(f"  note           {note}" for note in notes)])


def print_args(args: argparse.Namespace, cfg, resolved: tuple[list[Layer], list[str]] | None = None) -> None:
    """The log's head: the arguments, the config layers (`resolved`: run_layers' answer, else resolved
    here) and the merged config."""
    print("***************\n** Arguments **\n***************")
    for key in sorted(vars(args)):
        print(f"{key}: {getattr(args, key)}")
    print("*******************\n** Config layers **\n*******************")
    print(layer_lines(*(resolved or run_layers(args))))
    print("************\n** Config **\n************")
    print(cfg)


def main(args: argparse.Namespace) -> None:
    RUN_TIMER.add("imports", time.perf_counter() - RUN_TIMER.start)

    resolved = run_layers(args)  # (layers, notes), once for the config and the log
    if args.print_config:  # before the output folder, the data and the backbone
        cfg = setup_cfg(args, resolved[0])
        print("# Config layers, in merge order (later wins):")
        print("\n".join(f"#{line}" for line in layer_lines(*resolved).splitlines()))
        print(cfg.dump(), end="")
        return
    threads_line = threads.apply()
    cfg = setup_cfg(args, resolved[0])
    remember_keys(cfg)  # the next command checks its key names before these imports
    config_warnings = check_config(cfg)
    check_run_inputs(cfg, args)
    # one train.py (or sweep) per output folder; released when this process ends, however it ends
    with folder_lock.hold_for_run(cfg.OUTPUT_DIR):
        check_output_dir(cfg, overwrite=args.overwrite)
        run(args, cfg, config_warnings, threads_line, resolved)


def check_run_inputs(cfg, args: argparse.Namespace) -> None:
    """What a run reads from other runs is finished, and fits this trainer's protocols (medprompt/run/)."""
    if args.eval_only and args.model_dir:
        check_model_dir(args.model_dir, cfg)
    if "STACKING" in cfg.TRAINER and cfg.TRAINER.STACKING.INIT_FROM and not args.eval_only:
        check_init_from(cfg.TRAINER.STACKING.INIT_FROM)


def run(args: argparse.Namespace, cfg, config_warnings: list[str], threads_line: str,
        resolved: tuple[list[Layer], list[str]]) -> None:
    """Log the run's settings, build the trainer, then train or evaluate."""
    setup_logger(cfg.OUTPUT_DIR)
    # Dassl's log file records stdout only; warnings (e.g. truncated descriptions) belong in it too
    warnings.showwarning = lambda message, category, *_args, **_kw: print(f"{category.__name__}: {message}")
    if cfg.SEED >= 0:
        print(f"Setting fixed seed: {cfg.SEED}")
        set_random_seed(cfg.SEED)
    if torch.cuda.is_available() and cfg.USE_CUDA:
        torch.backends.cudnn.benchmark = True
    print_args(args, cfg, resolved)
    for note in config_warnings:
        print(f"Warning: {note}")
    print("Collecting env info ...")
    print(f"** System info **\n{collect_env_info() if args.env_info else system_summary()}\n{threads_line}\n")

    trainer = build_trainer(cfg)
    if args.eval_only:
        trainer.load_model(args.model_dir, epoch=args.load_epoch)
        trainer.test()
    elif not args.no_train:
        with RUN_TIMER.phase("training"):
            trainer.train()
    print(RUN_TIMER.summary())
