"""Train or evaluate any method of the project with the stock Dassl, with CoOp's command line.

    python train.py --root $DATA --seed 1 --trainer MedPromptCLIP --config vit_b16 \
        --dataset-config-file configs/datasets/FFA.yaml \
        --output-dir output/base2new/train_base/FFA/shots_16/MedPromptCLIP/vit_b16/seed1 \
        DATASET.SUBSAMPLE_CLASSES base

Config layers, later wins (the log lists them): Dassl defaults and the project's keys -> dataset yaml ->
backbone yaml -> method yaml -> its overlays -> --config-file -> command-line flags -> trailing KEY VALUE
options. `--config NAME` (or `--backbone NAME` alone) picks the backbone and overlay layers; see
medprompt/config_layers.py. A former path configs/trainers/<Method>/<name>.yaml means --config <name>.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from medprompt.timing import RUN_TIMER  # first: the run's clock starts before the heavy imports
from medprompt import threads

threads.prepare_environment()  # before torch loads OpenMP: waiting threads sleep, not spin

import torch  # noqa: E402


def require_dassl():
    try:
        import dassl  # noqa: F401
    except ImportError:
        sys.exit("The stock Dassl is not installed. Install it from its public repository "
                 "(KaiyangZhou/Dassl.pytorch), as the README says, then run again.")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    p.add_argument("--model-dir", type=str, default="", help="load the model from this directory for eval-only")
    p.add_argument("--load-epoch", type=int, help="load the model saved at this epoch (default: best, else last)")
    p.add_argument("--no-train", action="store_true", help="do not call trainer.train()")
    p.add_argument("--env-info", action="store_true",
                   help="log Dassl's full system report (pip, CUDA, CPU; about 2 s) instead of the one-line summary")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a run in --output-dir that was made with other settings (default: refuse)")
    p.add_argument("opts", default=None, nargs=argparse.REMAINDER, help="modify config options from the command line")
    return p


def config_layers(args):
    """The yaml layers of this run, in merge order (medprompt/config_layers.py)."""
    from medprompt.config_layers import resolve_layers

    return resolve_layers(trainer=args.trainer, config=args.config, backbone=args.backbone,
                          config_file=args.config_file, dataset_config_file=args.dataset_config_file)


def setup_cfg(args):
    from dassl.config import get_cfg_default

    import datasets
    import trainers
    from medprompt.config_layers import backbone_layer, merge_layer

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


def print_args(args, cfg) -> None:
    from medprompt.config_layers import describe_layers

    print("***************\n** Arguments **\n***************")
    for key in sorted(vars(args)):
        print(f"{key}: {getattr(args, key)}")
    print("*******************\n** Config layers **\n*******************")
    print(f"{describe_layers(config_layers(args))}\n  command line   the flags, then the trailing options")
    print("************\n** Config **\n************")
    print(cfg)


def main(args) -> None:
    require_dassl()
    import datasets  # noqa: F401  (registers the datasets; imported here so the import time is counted)
    import trainers  # noqa: F401
    from medprompt.run import folder_lock
    from medprompt.run_settings import check_output_dir
    from trainers.config import check_config

    RUN_TIMER.add("imports", time.perf_counter() - RUN_TIMER.start)

    threads_line = threads.apply()
    cfg = setup_cfg(args)
    config_warnings = check_config(cfg)
    check_run_inputs(cfg, args)
    # one train.py (or sweep) per output folder; released when this process ends, however it ends
    with folder_lock.hold_for_run(cfg.OUTPUT_DIR):
        check_output_dir(cfg, overwrite=args.overwrite)
        run(args, cfg, config_warnings, threads_line)


def check_run_inputs(cfg, args) -> None:
    """What a run reads from other runs is finished, and fits this trainer's protocols (medprompt/run/)."""
    from medprompt.run.finished import check_model_dir, check_init_from

    if args.eval_only and args.model_dir:
        check_model_dir(args.model_dir, cfg)
    if "STACKING" in cfg.TRAINER and cfg.TRAINER.STACKING.INIT_FROM and not args.eval_only:
        check_init_from(cfg.TRAINER.STACKING.INIT_FROM)


def run(args, cfg, config_warnings, threads_line) -> None:
    from dassl.engine import build_trainer
    from dassl.utils import collect_env_info, set_random_seed, setup_logger

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


if __name__ == "__main__":
    from medprompt.cli import run_main

    run_main(lambda: main(build_parser().parse_args()), "train.py")
