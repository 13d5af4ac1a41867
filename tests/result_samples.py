"""Hand-made logs in the exact format the project's train.py writes through Dassl, for the results tests:
`make_log` builds a log, `result_block` its evaluation block, `write_run` places one in the output tree."""

from __future__ import annotations

from pathlib import Path


def result_block(metrics: dict[str, float], split: str = "test", total: int = 36) -> str:
    lines = [f"Evaluate on the *{split}* set", "=> result", f"* total: {total}",
             f"* correct: {round(total * metrics.get('accuracy', 0) / 100)}"]
    lines += [f"* {k}: {v:.2f}%" for k, v in metrics.items()]
    return "\n".join(lines) + "\n"


def make_log(
    metrics: dict[str, float] | None,
    *,
    seed: int = 1,
    trainer: str = "MedPromptCLIP",
    lr: str = "0.0025",
    eval_only: bool = False,
    kind: str = "finished",
    output_dir: str = "output/x",
    val_metrics: dict[str, float] | None = None,
    num_classes: int | None = None,
) -> str:
    """A log as train.py writes it.

    kind: "finished" (result after 'Finish training', or the eval-only result), "no_result"
    ('Finish training' without a result block), "crashed" (training stopped mid-way).
    """
    text = (
        "***************\n** Arguments **\n***************\n"
        "backbone: \n"
        f"config_file: configs/trainers/{trainer}/vit_b16.yaml\n"
        "dataset_config_file: configs/datasets/knee.yaml\n"
        f"eval_only: {eval_only}\n"
        "load_epoch: None\n"
        f"model_dir: {'output/model' if eval_only else ''}\n"
        "opts: []\n"
        f"output_dir: {output_dir}\n"
        "resume: \n"
        "root: /data\n"
        f"seed: {seed}\n"
        f"trainer: {trainer}\n"
        "************\n** Config **\n************\n"
        "DATALOADER:\n  NUM_WORKERS: 4\n  TRAIN_X:\n    BATCH_SIZE: 32\n"
        "DATASET:\n  NAME: Knee\n  NUM_SHOTS: 16\n  ROOT: /data\n"
        "OPTIM:\n  LR: " + lr + "\n  MAX_EPOCH: 5\n  NAME: sgd\n"
        f"OUTPUT_DIR: {output_dir}\n"
        "RESUME: \n"
        f"SEED: {seed}\n"
        "TRAINER:\n  NAME: " + trainer + "\n"
        "Collecting env info ...\n"
        f"Loading trainer: {trainer}\n"
    )
    if num_classes:  # Dassl's dataset summary
        text += f"---------  ------\nDataset    Knee\n# classes  {num_classes:,}\n# test     36\n---------  ------\n"
    if eval_only:
        return text + (result_block(metrics) if kind == "finished" and metrics else "")
    text += ("epoch [1/5] batch [1/2] time 0.105 (0.105) data 0.000 (0.000) loss 12.3456 (12.3456) "
             "lr 1.0000e-05 eta 0:00:01\n")
    if val_metrics:
        text += result_block(val_metrics, split="val")
    if kind == "crashed":
        return text + "epoch [2/5] batch [1/2] time 0.101 (0.103) data 0.000 (0.000) loss 9.1 (10.7)\n"
    text += "Finish training\nDeploy the last-epoch model\n"
    if kind == "finished" and metrics:
        text += result_block(metrics)
    return text + "Elapsed: 0:00:04\n"


def write_run(root: Path, protocol: str, dataset: str, shots: int, trainer: str, seed: int,
              metrics: dict[str, float] | None, config: str = "vit_b16", name: str = "log.txt",
              **log_options) -> Path:
    """Write one log at <root>/<protocol>/<dataset>/shots_<K>/<trainer>/<config>/seed<S>/<name>."""
    folder = root / protocol / dataset / f"shots_{shots}" / trainer / config / f"seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(make_log(metrics, seed=seed, trainer=trainer, output_dir=str(folder), **log_options))
    return path
