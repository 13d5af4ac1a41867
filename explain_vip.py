"""Look inside a trained ViP model: why does it pick a class for an image?

For each image it shows the top classes with their probabilities and, per visual symptom of each class,
the cosine between the image and the prompted symptom text and the weight the Merge Prompt gives that
symptom (the two views of the decision that ViP's paper shows). Writes a table (printed, and saved as
markdown) and a figure (PNG) to --out.

    python explain_vip.py --root $DATA --dataset-config-file configs/datasets/Pneumonia.yaml \\
        --config vit_b16 --model-dir output/.../ViP/vit_b16/seed1 \\
        [--images a.jpeg b.jpeg | --split test --num-images 4] [--top-k 2] [--out DIR] [KEY VALUE ...]

Use the same config files and options the model was trained with; without --images the first
--num-images images of --split are explained.
"""

from __future__ import annotations

import os.path as osp
import sys
import textwrap
from typing import TYPE_CHECKING

from medprompt.data.decode import DecodeRule, decode_image
from medprompt.utils.atomic import write_text, write_with
from medprompt.utils.entrypoint import run_main
from medprompt.utils.errors import ConfigError, InputFileError
from medprompt.run.train_args import build_parser
from train import require_dassl

if TYPE_CHECKING:  # torch, PIL and the ViP module load after the command line is checked (--help is instant)
    import torch

    from medprompt.methods.vip import ClassExplanation

HEADERS = ["rank", "class", "p(class)", "cos(image, class)", "symptom", "cos(image, symptom)", "attention"]


def parse_args(argv: list[str] | None = None):
    p = build_parser()
    p.description = __doc__
    p.add_argument("--images", nargs="+", default=[], help="image files to explain (default: from --split)")
    p.add_argument("--split", choices=("train", "val", "test"), default="test", help="split to take images from")
    p.add_argument("--num-images", type=int, default=4, help="how many images of --split")
    p.add_argument("--top-k", type=int, default=2, help="classes shown per image")
    p.add_argument("--out", default="", help="output folder (default: <model-dir>/explain)")
    args = p.parse_args(argv)
    if not args.model_dir:
        p.error("--model-dir (the trained ViP output folder) is required")
    args.trainer = args.trainer or "ViP"
    args.output_dir = ""  # nothing of Dassl's (logs, checkpoints) is written
    from medprompt.run.precheck import check_train_args
    from medprompt.utils.path_checks import check_file

    for note in check_train_args(args):
        print(f"Note: {note}", flush=True)
    for path in args.images:
        check_file(path, "--images")
    return args


def pick_images(trainer, args) -> list[tuple[str, str]]:
    """(path, true class or '') of the images to explain."""
    if args.images:
        missing = [p for p in args.images if not osp.isfile(p)]
        if missing:
            raise InputFileError(f"{len(missing)} of the --images do not exist: {missing[:5]}")
        return [(p, "") for p in args.images]
    data = getattr(trainer.dm.dataset, {"train": "train_x"}.get(args.split, args.split)) or []
    if not data:
        raise ConfigError(f"The {args.split} split of {trainer.cfg.DATASET.NAME} is empty")
    return [(d.impath, d.classname) for d in data[: args.num_images]]


def image_features(trainer, paths: list[str]) -> torch.Tensor:
    """Frozen image features of files, read as training read them (INPUT.DECODE), through the test-time
    transform of the config."""
    import torch
    from dassl.data.transforms import build_transform

    transform = build_transform(trainer.cfg, is_train=False)
    rule = trainer.decode_rule
    batch = torch.stack([transform(decode_image(p, rule)) for p in paths]).to(trainer.device)
    with torch.no_grad(), trainer.autocast():
        return trainer.clip.encode_image(batch).float()


def table_rows(classes: list[ClassExplanation]) -> list[list]:
    rows = []
    for c in classes:
        for j, s in enumerate(c.symptoms):
            head = [c.rank, c.classname, c.probability, c.similarity] if j == 0 else ["", "", "", ""]
            rows.append([*head, s.symptom, s.similarity, s.attention])
    return rows


def image_title(path: str, truth: str) -> str:
    """'<folder>/<file>' (file names often repeat across class folders) and the true class when known."""
    name = osp.join(osp.basename(osp.dirname(path)), osp.basename(path))
    return name + (f" (true class: {truth})" if truth else "")


def render_markdown(items: list[tuple[str, str]], explanations: list[list[ClassExplanation]]) -> str:
    from tabulate import tabulate

    parts = ["# ViP: symptom similarities and Merge Prompt attention\n"]
    for (path, truth), classes in zip(items, explanations):
        parts.append(f"## {image_title(path, truth)}\n")
        parts.append(tabulate(table_rows(classes), HEADERS, tablefmt="github", floatfmt=".3f") + "\n")
    return "\n".join(parts)


def render_figure(items: list[tuple[str, str]], explanations: list[list[ClassExplanation]], path: str,
                  rule: DecodeRule = DecodeRule()) -> None:
    """One row per image: the image, the per-symptom similarities and the attention weights."""
    from matplotlib.figure import Figure

    n_bars = max(sum(len(c.symptoms) for c in classes) for classes in explanations)
    fig = Figure(figsize=(15, max(2.5, 0.35 * n_bars + 1.2) * len(items)), layout="constrained")
    axes = fig.subplots(len(items), 3, squeeze=False, width_ratios=[1, 2, 2])
    colours = [f"C{i}" for i in range(10)]
    for row, ((img_path, truth), classes) in enumerate(zip(items, explanations)):
        ax_img, ax_sim, ax_att = axes[row]
        ax_img.imshow(decode_image(img_path, rule))
        ax_img.set_title("\n".join(textwrap.wrap(image_title(img_path, truth), 28)), fontsize=8)
        ax_img.axis("off")
        labels, sims, atts, cols = [], [], [], []
        for c in classes:
            for s in c.symptoms:
                labels.append(f"{c.classname} (p={c.probability:.2f}): {s.symptom}")
                sims.append(s.similarity)
                atts.append(s.attention)
                cols.append(colours[(c.rank - 1) % len(colours)])
        ypos = range(len(labels))
        for ax, values, title in ((ax_sim, sims, "cos(image, symptom)"), (ax_att, atts, "Merge Prompt attention")):
            ax.barh(ypos, values, color=cols)
            ax.set_yticks(list(ypos), labels if ax is ax_sim else [""] * len(labels), fontsize=8)
            ax.invert_yaxis()
            ax.set_title(title, fontsize=9)
            ax.axvline(0, color="black", linewidth=0.5)
        ax_att.set_xlim(0, 1)
    write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def main(argv: list[str] | None = None) -> tuple[str, str]:
    """Explain; returns the paths of the markdown table and the figure."""
    args = parse_args(argv)
    require_dassl()
    from dassl.engine import build_trainer
    from dassl.utils import set_random_seed
    from tabulate import tabulate

    from medprompt.methods.vip import explain

    from trainers.launch import setup_cfg

    cfg = setup_cfg(args)
    if cfg.TRAINER.NAME != "ViP":
        sys.exit(f"explain_vip.py explains ViP models; --trainer is {cfg.TRAINER.NAME!r}")
    if cfg.SEED >= 0:
        set_random_seed(cfg.SEED)
    trainer = build_trainer(cfg)
    trainer.load_model(args.model_dir, epoch=args.load_epoch)
    trainer.set_model_mode("eval")
    items = pick_images(trainer, args)
    feats = image_features(trainer, [p for p, _ in items])
    explanations = explain(trainer.vip, feats, trainer.logit_scale, args.top_k)

    out = args.out or osp.join(args.model_dir, "explain")
    md_path, png_path = osp.join(out, "explain.md"), osp.join(out, "explain.png")
    for (path, truth), classes in zip(items, explanations):
        print(f"\n{image_title(path, truth)}")
        print(tabulate(table_rows(classes), HEADERS, floatfmt=".3f"))
    write_text(md_path, render_markdown(items, explanations))
    render_figure(items, explanations, png_path, trainer.decode_rule)
    print(f"\nWrote {md_path} and {png_path}")
    return md_path, png_path


if __name__ == "__main__":
    run_main(main, "explain_vip.py")
