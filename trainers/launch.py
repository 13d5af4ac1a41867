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
from dassl.engine import build_trainer
from dassl.utils import collect_env_info, set_random_seed, setup_logger

import datasets
import trainers
from medprompt.run.config_layers import backbone_layer, describe_layers, merge_layer
from medprompt.run.key_cache import remember_keys
from medprompt.run.run_settings import check_output_dir
from medprompt.run.train_args import config_layers
from medprompt.utils import threads
from medprompt.utils.timing import RUN_TIMER
from trainers.config import check_config


def setup_cfg(args: argparse.Namespace):
    """Dassl's defaults and the project's keys, then the yaml layers, the flags and the trailing options."""
    cfg = get_cfg_default()
    trainers.add_config(cfg)
    datasets.add_dataset_config(cfg)
    for layer in config_layers(args):
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
    cfg.merge_from_list(args.opts or [])
    cfg.freeze()
    return cfg


def system_summary() -> str:
    """One line of what a result depends on (Dassl's full report, --env-info, takes seconds of subprocesses)."""
    import platform

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "no CUDA device"
    return (f"Python {platform.python_version()}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
            f"{device}, {torch.get_num_threads()} CPU threads, {platform.platform()}")


def print_args(args: argparse.Namespace, cfg) -> None:
    print("***************\n** Arguments **\n***************")
    for key in sorted(vars(args)):
        print(f"{key}: {getattr(args, key)}")
    print("*******************\n** Config layers **\n*******************")
    print(f"{describe_layers(config_layers(args))}\n  command line   the flags, then the trailing options")
    print("************\n** Config **\n************")
    print(cfg)


def main(args: argparse.Namespace) -> None:
    RUN_TIMER.add("imports", time.perf_counter() - RUN_TIMER.start)

    threads_line = threads.apply()
    cfg = setup_cfg(args)
    remember_keys(cfg)  # the next command checks its key names before these imports
    config_warnings = check_config(cfg)
    check_output_dir(cfg, overwrite=args.overwrite)
    setup_logger(cfg.OUTPUT_DIR)
    # Dassl's log file records stdout only; warnings (e.g. truncated descriptions) belong in it too
    warnings.showwarning = lambda message, category, *_args, **_kw: print(f"{category.__name__}: {message}")
    if cfg.SEED >= 0:
        print(f"Setting fixed seed: {cfg.SEED}")
        set_random_seed(cfg.SEED)
    if torch.cuda.is_available() and cfg.USE_CUDA:
        torch.backends.cudnn.benchmark = True
    print_args(args, cfg)
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
