"""Tiny open_clip backbones for tests: random weights, written where the real loaders look for them.

- `write_local_dir`: a `local-dir:` folder (open_clip_config.json + weights).
- `fill_fake_hub_cache`: a Hugging Face cache entry, so real ids such as
  `hf-hub:ryanyip7777/pmc_vit_l_14` load offline (set HF_HOME to the folder's parent).
- BiomedCLIP's text side (BERT tower, MLP projection) in miniature, with a word-piece tokenizer written on
  the spot, for the HF-tower code paths.
"""

from __future__ import annotations

import json
from pathlib import Path

import open_clip
import torch

NATIVE_CFG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 3},
}

BERT_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "x", ".", ",", "a", "of", "the", "photo",
              "with", "which", "is", "has", "normal", "lung", "pneumonia", "white", "dark", "spots",
              "round", "lesion", "skin", "melanoma", "nevus", "brown", "patchy", "shadows", "clear",
              "fundus", "photograph", "chest", "ray", "-", "scan", "on", "in", "and", "irregular",
              "border", "color", "shape", "texture", "location", "tissue", "class", "disease"]


def _bert_folder(folder: Path) -> str:
    from tokenizers import BertWordPieceTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(BERT_VOCAB) + "\n")
    tok = BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=True)
    tok.save(str(folder / "tokenizer.json"))
    (folder / "config.json").write_text(json.dumps({
        "model_type": "bert", "architectures": ["BertModel"], "vocab_size": len(BERT_VOCAB),
        "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 2, "intermediate_size": 64,
        "max_position_embeddings": 64, "type_vocab_size": 2, "pad_token_id": 0,
    }))
    return str(folder)


def hf_cfg(bert_dir: str) -> dict:
    """BiomedCLIP's text side in miniature: a BERT tower with an MLP projection and CLS pooling.

    The image side is open_clip's own tiny ViT: open_clip does not pass the image size to timm, and a
    timm ViT at 224 px would slow every test down.
    """
    return {
        "embed_dim": 32,
        "vision_cfg": NATIVE_CFG["vision_cfg"],
        "text_cfg": {"hf_model_name": bert_dir, "hf_tokenizer_name": bert_dir, "hf_proj_type": "mlp",
                     "hf_pooler_type": "cls_last_hidden_state_pooler", "context_length": 32},
    }


def _write_model(folder: Path, model_cfg: dict, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "open_clip_config.json").write_text(json.dumps({
        "model_cfg": model_cfg,
        "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
    }))
    torch.manual_seed(seed)
    name = f"tiny-test-{abs(hash(json.dumps(model_cfg, sort_keys=True)))}"
    open_clip.factory._MODEL_CONFIGS[name] = model_cfg  # build from the dict without touching the package
    try:
        model = open_clip.create_model(name, pretrained=None, pretrained_text=False)
    finally:
        del open_clip.factory._MODEL_CONFIGS[name]
    torch.save(model.state_dict(), folder / "open_clip_pytorch_model.bin")
    return folder


def write_local_dir(folder: Path, kind: str = "native", seed: int = 0) -> Path:
    """A folder that `local-dir:<folder>` loads: kind 'native' (CLIP text transformer) or 'hf' (BERT)."""
    # open_clip reads a local-dir HF tokenizer from the model folder itself, so the BERT files go there
    cfg = NATIVE_CFG if kind == "native" else hf_cfg(_bert_folder(folder))
    return _write_model(folder, cfg, seed)


def fill_fake_hub_cache(hf_home: Path, repo: str, kind: str = "native", seed: int = 0) -> Path:
    """Put a tiny model under the real repo id in a Hugging Face cache rooted at hf_home."""
    snapshot = hf_home / "hub" / f"models--{repo.replace('/', '--')}" / "snapshots" / ("0" * 40)
    refs = snapshot.parent.parent / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / "main").write_text("0" * 40)
    cfg = NATIVE_CFG if kind == "native" else hf_cfg(_bert_folder(hf_home / f"bert-{repo.replace('/', '-')}"))
    return _write_model(snapshot, cfg, seed)
