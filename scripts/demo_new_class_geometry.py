"""Why a MedPromptCLIP run of the demo scores what it does on new classes (docs/DEMO.md, "Below-chance
results, measured"): accuracy on the base and the new classes of a world dataset scored as tested, with the
class vectors centred by the centered loss's training centre, and with both sides centred; the true class's
mean rank; how the prompted vectors sit against the descriptions, the frozen names and the centre; and a
predictor with no prompts that borrows, for each new class, the descriptions of the base classes whose
frozen names are most like its own.

    python scripts/demo_new_class_geometry.py --run output-demo/base2new/train_base/SynthDerm/shots_16/\\
        MedPromptCLIP/centered_synth/seed0 --config centered_synth --root data/synthetic/world0 --seed 0

The run's own settings are given again (--config, --dataset, --seed, --shots) as they were for training.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def build(args):
    import train
    from dassl.engine import build_trainer

    cfg = train.setup_cfg(train.build_parser().parse_args([
        "--root", args.root, "--seed", str(args.seed), "--trainer", "MedPromptCLIP", "--config", args.config,
        "--dataset-config-file", str(REPO / "configs" / "datasets" / f"{args.dataset}.yaml"),
        "--output-dir", args.scratch, "DATASET.NUM_SHOTS", str(args.shots), "MODEL.CACHE_DIR", args.cache,
        "DATASET.SUBSAMPLE_CLASSES", "all"]))
    trainer = build_trainer(cfg)
    trainer.load_model(args.run)
    trainer.set_model_mode("eval")
    return trainer


@torch.no_grad()
def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="the MedPromptCLIP training run's output folder")
    p.add_argument("--config", required=True, help="its config name (synth, centered_synth)")
    p.add_argument("--root", required=True, help="the world's data folder (data/synthetic/world<S>)")
    p.add_argument("--dataset", default="SynthDerm")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shots", type=int, default=16)
    p.add_argument("--cache", default="none", help="MODEL.CACHE_DIR (the demo's output-demo/cache saves time)")
    p.add_argument("--scratch", default="/tmp/demo-new-class-geometry", help="output folder of this evaluation")
    args = p.parse_args(argv)

    from medprompt.data.descriptions import load_descriptions
    from trainers.base import resolve_description_file

    t = build(args)
    data = t.image_features("test", t.test_loader)
    img, lab = F.normalize(data["features"].float(), dim=-1), data["labels"]
    prompted = F.normalize(t.class_text_features().float(), dim=-1)
    path = resolve_description_file("", t.cfg.DATASET.NAME, data_root=args.root)
    per_class = t.match_class_texts(load_descriptions(path), source=path)
    desc = [F.normalize(t.frozen_text_features(texts, source=path).float(), dim=-1) for texts in per_class]
    mean_desc = F.normalize(torch.stack([d.mean(0) for d in desc]), dim=-1)
    names = F.normalize(t.template_features("{}.", source="class names").float(), dim=-1)
    n_base = (len(per_class) + 1) // 2  # medprompt/data: the first half in label order are base classes
    base, new = list(range(n_base)), list(range(n_base, len(per_class)))
    center = torch.cat([desc[c] for c in base]).mean(0)  # the centered loss's fixed centre (training targets)

    def score(classes, text, image=img):
        keep = torch.isin(lab, torch.tensor(classes))
        scores = image[keep] @ F.normalize(text, dim=-1)[classes].t()
        truth = lab[keep] - classes[0]
        ranks = (scores > scores.gather(1, truth[:, None])).sum(1) + 1
        return 100 * (scores.argmax(1) == truth).float().mean().item(), ranks.float().mean().item()

    print(f"{args.run}\n{len(base)} base and {len(new)} new classes of {args.dataset}; scored among each group")
    for part, classes in (("base", base), ("new", new)):
        print(f"{part} classes:")
        for label, text, image in (("prompted, as tested", prompted, img),
                                   ("prompted minus the training centre", prompted - center, img),
                                   ("both sides centred", prompted - center, img - img.mean(0)),
                                   ("mean description (CuPL)", mean_desc, img),
                                   ("frozen class name '{}.'", names, img)):
            acc, rank = score(classes, text, image)
            print(f"  {label:<36} accuracy {acc:5.1f}%  true class mean rank {rank:.2f} of {len(classes)}")
        own = prompted[classes]
        between = own @ own.t()
        print(f"  cosine of the prompted vector to its mean description {(own * mean_desc[classes]).sum(1).mean():.3f}, "
              f"to the centre {(own @ F.normalize(center, dim=0)).mean():.3f}, between classes "
              f"{(between.sum() - between.trace()) / (len(classes) * (len(classes) - 1)):.3f}")
        keep = torch.isin(lab, torch.tensor(classes))
        s = img[keep] @ own.t()
        margin = [float(s[lab[keep] == c, i].mean() - s[lab[keep] != c, i].mean()) for i, c in enumerate(classes)]
        print(f"  classes whose prompted vector scores its own images below the others' images: "
              f"{sum(m < 0 for m in margin)} of {len(classes)}")
    print("no prompts, the descriptions of the base classes with the most similar frozen names:")
    similar = names[new] @ names[base].t()
    for temperature in (5.0, 20.0, 100.0):
        borrowed = torch.zeros_like(mean_desc)
        borrowed[new] = (temperature * similar).softmax(1) @ mean_desc[base]
        print(f"  softmax temperature {temperature:g}: new-class accuracy {score(new, borrowed)[0]:.1f}%")
    fit = torch.zeros_like(prompted)
    coef = torch.linalg.lstsq(mean_desc[base].t(), prompted[new].t()).solution
    fit[new] = (mean_desc[base].t() @ coef).t()
    print(f"the prompted new-class vectors' least-squares fit by the base mean descriptions: new-class accuracy "
          f"{score(new, fit)[0]:.1f}%")


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "demo_new_class_geometry.py")
