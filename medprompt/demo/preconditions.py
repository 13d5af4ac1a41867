"""The checks a synthetic world must pass before MedPromptCLIP is run on it, per world seed.

MedPromptCLIP learns, from text only, prompts that should move a class name toward what its
descriptions say. That can only be measured in a world where (a) there is a gap to close: zero-shot by
class names is well below zero-shot by descriptions, and (b) the names hold information a prompt could
use: an untrained classifier built from what the names' word parts say ("name information": descriptions
of only the attributes a name's word parts state, lexicon.decode_name; an eponym states nothing) is well
above zero-shot by names. All three are computed on the world's test images of every modality with the
tiny CLIP (synth-clip), exactly as ZeroshotCLIP (template "a photo of a {}.") and ZeroshotDescriptions
(CuPL mean of the description embeddings) compute them.

Thresholds, fixed before any world was measured (accuracy in percentage points, in every modality):

- (a) descriptions - names >= GAP_PP (15)
- (b) name information - names >= INFORMATION_PP (5)

(b) is small because the audit of real class names (medprompt.demo.audit) gives 79% of the
classes an eponym, whose name says nothing: the name information of a 24-class modality rests on its
~5 word-part names.

    python -m medprompt.demo.preconditions --seeds 0 1 2 --out docs/preconditions
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from medprompt.utils.atomic import write_json, write_text
from medprompt.synthetic.diseases import MODALITIES, diseases_of
from medprompt.synthetic.captions import class_descriptions, name_descriptions
from medprompt.synthetic.lexicon import decode_name
from medprompt.synthetic.render import render
from medprompt.synthetic.world import SPLITS, WorldSettings, image_rng
from medprompt.clip.text_encoder import PromptedTextEncoder
from medprompt.methods.zeroshot import cupl_class_features, fill_template

GAP_PP = 15.0
INFORMATION_PP = 5.0
NAME_TEMPLATE = "a photo of a {}."  # ZeroshotCLIP's default template


def _per_class(encoder: PromptedTextEncoder, per_class: list[list[str]]) -> torch.Tensor:
    feats = encoder.encode_texts([t for ts in per_class for t in ts])
    return cupl_class_features(list(torch.split(feats, [len(ts) for ts in per_class])))


@torch.no_grad()
def _image_features(backbone, modality_index: int, world_seed: int, n_test: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and labels of the modality's test images, as write_world draws them (not read from disk)."""
    m = MODALITIES[modality_index]
    norm = backbone.preprocess.transforms[-1]
    mean, std = torch.tensor(norm.mean)[:, None, None], torch.tensor(norm.std)[:, None, None]
    test = SPLITS.index("test")
    feats, labels = [], []
    for label, d in enumerate(diseases_of(m.key, world_seed)):
        imgs = np.stack([render(m.key, d.attributes, image_rng(world_seed, modality_index, label, test, i))
                         for i in range(n_test)])
        x = (torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255 - mean) / std
        feats.append(backbone.model.encode_image(x, normalize=True))
        labels += [label] * n_test
    return torch.cat(feats), torch.tensor(labels)


def _accuracy(image_feats: torch.Tensor, labels: torch.Tensor, class_feats: torch.Tensor) -> float:
    return round(100.0 * float(((image_feats @ class_feats.T).argmax(1) == labels).float().mean()), 2)


def measure_modality(backbone, modality_index: int, world_seed: int, n_test: int) -> dict:
    """Accuracies (%) of names, descriptions and name information on one modality's test images."""
    from medprompt.data.specs import synthetic_spec

    m = MODALITIES[modality_index]
    diseases = diseases_of(m.key, world_seed)
    prompts = synthetic_spec(m.dataset, world_seed).classnames  # the names as the methods read them
    image_feats, labels = _image_features(backbone, modality_index, world_seed, n_test)
    encoder = PromptedTextEncoder(backbone.model, backbone.tokenizer)  # no prompts: the plain text features
    names = encoder.encode_texts([fill_template(NAME_TEMPLATE, n, m.words) for n in prompts])
    descriptions = _per_class(encoder, [class_descriptions(d) for d in diseases])
    information = _per_class(encoder, [name_descriptions(m.key, d.name) for d in diseases])
    result = {
        "classes": len(diseases),
        "word_part_names": sum(bool(decode_name(d.name)) for d in diseases),
        "chance": round(100.0 / len(diseases), 2),
        "names": _accuracy(image_feats, labels, names),
        "descriptions": _accuracy(image_feats, labels, descriptions),
        "name_information": _accuracy(image_feats, labels, information),
    }
    result["gap_pp"] = round(result["descriptions"] - result["names"], 2)
    result["information_pp"] = round(result["name_information"] - result["names"], 2)
    result["passes"] = result["gap_pp"] >= GAP_PP and result["information_pp"] >= INFORMATION_PP
    return result


def measure_world(backbone, world_seed: int, n_test: int = WorldSettings.n_test, modalities=None) -> dict:
    """Every modality's measures and whether the world passes (every modality passes)."""
    keys = modalities or [m.key for m in MODALITIES]
    per = {MODALITIES[i].dataset: measure_modality(backbone, i, world_seed, n_test)
           for i, m in enumerate(MODALITIES) if m.key in keys}
    mean = {k: round(float(np.mean([r[k] for r in per.values()])), 2)
            for k in ("names", "descriptions", "name_information", "gap_pp", "information_pp")}
    return {"world_seed": world_seed, "n_test": n_test, "modalities": per, "mean": mean,
            "passes": all(r["passes"] for r in per.values())}


def markdown(results: list[dict], backbone_name: str) -> str:
    lines = [f"Preconditions of the synthetic world (backbone {backbone_name}; accuracy % on each modality's "
             f"test images; thresholds: descriptions - names >= {GAP_PP:g} pp, name information - names >= "
             f"{INFORMATION_PP:g} pp, in every modality)", "",
             "| world seed | dataset | word-part names | names | descriptions | name information | gap pp | "
             "information pp | passes |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for ds, m in r["modalities"].items():
            lines.append(f"| {r['world_seed']} | {ds} | {m['word_part_names']}/{m['classes']} | {m['names']:.1f} | "
                         f"{m['descriptions']:.1f} | {m['name_information']:.1f} | {m['gap_pp']:+.1f} | "
                         f"{m['information_pp']:+.1f} | {'yes' if m['passes'] else 'NO'} |")
        mean = r["mean"]
        lines.append(f"| {r['world_seed']} | **mean** | | {mean['names']:.1f} | {mean['descriptions']:.1f} | "
                     f"{mean['name_information']:.1f} | {mean['gap_pp']:+.1f} | {mean['information_pp']:+.1f} | "
                     f"**{'passes' if r['passes'] else 'FAILS'}** |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from medprompt.clip.backbones import load_backbone

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="world seeds")
    p.add_argument("--n-test", type=int, default=WorldSettings.n_test, help="test images per class")
    p.add_argument("--backbone", default="synth-clip")
    p.add_argument("--out", default="", help="write <out>.json and <out>.md")
    p.add_argument("--identity-text-head", action="store_true",
                   help="control: replace the trained text head by the identity (MiniLM's own space, no corpus)")
    args = p.parse_args(argv)
    torch.manual_seed(0)
    backbone = load_backbone(args.backbone)
    if args.identity_text_head:
        head = backbone.model.text.proj
        with torch.no_grad():
            head.weight.copy_(torch.eye(head.weight.shape[0], head.weight.shape[1]))
    started = time.time()
    results = [measure_world(backbone, s, args.n_test) for s in args.seeds]
    text = markdown(results, args.backbone + (" with an identity text head" if args.identity_text_head else ""))
    print(text)
    if args.out:
        record = {"written_by": "python -m medprompt.demo.preconditions", "backbone": args.backbone,
                  "backbone_digest": backbone.digest,
                  "identity_text_head": args.identity_text_head, "thresholds_pp": {"gap": GAP_PP, "information": INFORMATION_PP},
                  "name_template": NAME_TEMPLATE, "seconds": round(time.time() - started, 1),
                  "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": results}
        write_json(Path(args.out + ".json"), record, indent=2)
        write_text(Path(args.out + ".md"), text)
    return 0 if all(r["passes"] for r in results) else 1


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m medprompt.demo.preconditions")
