"""Tiny randomly initialised backbones written in each publisher's own format: the same file names,
config files and state-dict key names as the published files, at test sizes.

- `write_hf_clip`: a transformers ``CLIPModel`` folder as PLIP (vinid/plip) and PubMedCLIP
  (flaviagiammarino/pubmed-clip-vit-base-patch32) publish it, written by transformers' own save_pretrained.
- `write_pubmedclip_pth`: ``PubMedCLIP_ViT32.pth``, ``{"state_dict": OpenAI CLIP state dict}`` as BiomedCoOp
  loads it (HealthX-Lab/BiomedCoOp main.py @7ceb5a8).
- `fill_hub_cache`: put such files under a real repo id in a Hugging Face cache.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

#: 64-wide heads, as OpenAI's layout implies (open_clip's loader reads width // 64 heads)
TEXT = {"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 3, "num_attention_heads": 1,
        "max_position_embeddings": 77, "vocab_size": 49408}
VISION = {"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 1,
          "image_size": 32, "patch_size": 8}
#: PLIP's preprocessor_config.json values at a tiny crop (CLIPImageProcessor: bicubic, OpenAI mean/std)
PREPROCESS = {"crop_size": 32, "size": 32, "resample": 3, "image_mean": [0.48145466, 0.4578275, 0.40821073],
              "image_std": [0.26862954, 0.26130258, 0.27577711]}


def write_hf_clip(folder: Path, seed: int = 0, safetensors: bool = True) -> Path:
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    torch.manual_seed(seed)
    config = CLIPConfig(text_config=TEXT, vision_config=VISION, projection_dim=32)
    model = CLIPModel(config).eval()
    with torch.no_grad():  # the random init leaves zero biases and unit norms, which would hide a mix-up
        for name, p in model.named_parameters():
            if "layer_norm" in name or "layernorm" in name or name.endswith("bias"):
                p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(folder)
    if not safetensors:  # older folders (as first published) hold a torch pickle; transformers 5 writes only safetensors
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
        (folder / "model.safetensors").unlink()
    CLIPImageProcessor(size={"shortest_edge": PREPROCESS["size"]},
                       crop_size={"height": PREPROCESS["crop_size"], "width": PREPROCESS["crop_size"]},
                       resample=PREPROCESS["resample"], image_mean=PREPROCESS["image_mean"],
                       image_std=PREPROCESS["image_std"]).save_pretrained(folder)
    return folder


def openai_state_dict(seed: int = 0) -> dict:
    """A tiny OpenAI-layout CLIP state dict (open_clip's CLIP keeps OpenAI's key names)."""
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg

    torch.manual_seed(seed)
    model = CLIP(32, vision_cfg=CLIPVisionCfg(layers=2, width=64, patch_size=8, image_size=32),
                 text_cfg=CLIPTextCfg(context_length=77, vocab_size=49408, width=64, heads=1, layers=3),
                 quick_gelu=True)
    state = model.state_dict()
    with torch.no_grad():
        for key, value in state.items():
            if value.is_floating_point() and ("ln_" in key or key.endswith("bias")):
                value.add_(torch.randn_like(value) * 0.1)
    return state


def write_pubmedclip_pth(folder: Path, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"epoch": 1, "state_dict": openai_state_dict(seed)}, folder / "PubMedCLIP_ViT32.pth")
    return folder


def fill_hub_cache(hf_home: Path, repo: str, files_from: Path, repo_type: str = "model") -> Path:
    """Copy the files of a folder into a Hugging Face cache under `repo`, as a download would leave them."""
    kind = "datasets" if repo_type == "dataset" else "models"
    snapshot = hf_home / "hub" / f"{kind}--{repo.replace('/', '--')}" / "snapshots" / ("1" * 40)
    snapshot.mkdir(parents=True, exist_ok=True)
    (snapshot.parent.parent / "refs").mkdir(exist_ok=True)
    (snapshot.parent.parent / "refs" / "main").write_text("1" * 40)
    for path in files_from.iterdir():
        if path.is_file():
            shutil.copy(path, snapshot / path.name)
    return snapshot


def _tiny_vit(embed_dim: int, seed: int):
    """OpenAI's ViT layout in miniature, QuickGELU (open_clip's VisionTransformer keeps OpenAI's key names)."""
    from open_clip.model import QuickGELU
    from open_clip.transformer import VisionTransformer

    torch.manual_seed(seed)
    vit = VisionTransformer(image_size=32, patch_size=8, width=64, layers=2, heads=1, mlp_ratio=4.0,
                            output_dim=embed_dim, act_layer=QuickGELU)
    with torch.no_grad():
        for name, p in vit.named_parameters():
            if "ln_" in name or name.endswith("bias"):
                p.add_(torch.randn_like(p) * 0.1)
    return vit.eval()


def _tiny_bert(folder: Path, seed: int, pooler: bool):
    import json

    import tiny_models
    from transformers import BertConfig, BertModel

    tiny_models._bert_folder(folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "max_position_embeddings": 512}))  # BERT's own
    torch.manual_seed(seed)
    return BertModel(BertConfig.from_pretrained(folder), add_pooling_layer=pooler).eval()


UNIMED_EMBED = 32


def write_unimed(folder: Path, seed: int = 0, with_bert: bool = True) -> Path:
    """``unimed-clip-vit-b16.pt`` in miniature: UniMed-CLIP's training checkpoint ({"state_dict"} of a DDP
    model: ``module.visual.*``, ``module.text_encoder.transformer.*`` (BERT, no pooler),
    ``module.text_encoder.proj.{0,2}.weight``, ``module.logit_scale``), with the tiny BERT's config and
    tokenizer beside it (`with_bert`) or in `folder.parent / 'bert'`."""
    folder.mkdir(parents=True, exist_ok=True)
    bert = _tiny_bert(folder if with_bert else folder.parent / "bert", seed, pooler=False)
    width, hidden = bert.config.hidden_size, (bert.config.hidden_size + UNIMED_EMBED) // 2
    state = {f"visual.{k}": v for k, v in _tiny_vit(UNIMED_EMBED, seed).state_dict().items()}
    state.update({f"text_encoder.transformer.{k}": v for k, v in bert.state_dict().items()})
    state["text_encoder.transformer.embeddings.position_ids"] = torch.arange(512)[None]  # as older files hold it
    state["text_encoder.proj.0.weight"] = torch.randn(hidden, width) * width ** -0.5
    state["text_encoder.proj.2.weight"] = torch.randn(UNIMED_EMBED, hidden) * hidden ** -0.5
    state["logit_scale"] = torch.tensor(4.1)
    torch.save({"epoch": 1, "state_dict": {f"module.{k}": v for k, v in state.items()}},
               folder / "unimed-clip-vit-b16.pt")
    return folder


PMC_EMBED = 32


def write_pmc_clip_rn50(folder: Path, seed: int = 0, with_bert: bool = True) -> Path:
    """PMC-CLIP's three files in miniature (BiomedCoOp main.py): ``image_encoder(resnet50).pth`` (CLIP's
    ModifiedResNet state dict, 8 attention-pool heads), ``text_encoder.pth`` (BertModel with its pooler) and
    ``text_projection_layer.pth`` (one tensor); the tiny BERT's config and tokenizer beside them
    (`with_bert`) or in `folder.parent / 'bert'`."""
    from open_clip.modified_resnet import ModifiedResNet

    folder.mkdir(parents=True, exist_ok=True)
    bert = _tiny_bert(folder if with_bert else folder.parent / "bert", seed, pooler=True)
    torch.manual_seed(seed)
    resnet = ModifiedResNet(layers=[1, 1, 1, 1], output_dim=PMC_EMBED, heads=8, image_size=32, width=16)
    state = resnet.state_dict()
    with torch.no_grad():  # batch-norm statistics other than their initial 0 and 1
        for key, value in state.items():
            if key.endswith("running_mean"):
                value.normal_(0, 0.1)
            elif key.endswith("running_var"):
                value.uniform_(0.5, 1.5)
    torch.save(state, folder / "image_encoder(resnet50).pth")
    text = {**bert.state_dict(), "embeddings.position_ids": torch.arange(512)[None]}  # as older files hold it
    torch.save(text, folder / "text_encoder.pth")
    width = bert.config.hidden_size
    torch.save(torch.randn(width, PMC_EMBED) * width ** -0.5, folder / "text_projection_layer.pth")
    return folder


TWO_TOWER_EMBED = 16


def _perturbed(state: dict, seed: int) -> dict:
    """Non-trivial norms, biases and batch-norm statistics, so a mix-up of keys shows in the features."""
    generator = torch.Generator().manual_seed(seed)
    out = {}
    for key, value in state.items():
        if value.is_floating_point() and ("norm" in key or key.endswith(("bias", "running_mean"))):
            value = value + torch.randn(value.shape, generator=generator) * 0.1
        elif key.endswith("running_var"):
            value = value * (0.5 + torch.rand(value.shape, generator=generator))
        out[key] = value
    return out


def tiny_swin(seed: int = 0):
    """transformers' SwinModel at 224 px (MedCLIP's input) with 8-wide patches embeddings and 1 block a stage."""
    from transformers import SwinConfig, SwinModel

    torch.manual_seed(seed)
    config = SwinConfig(image_size=224, patch_size=4, embed_dim=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2],
                        window_size=7)
    return SwinModel(config).eval()


def tiny_resnet():
    """torchvision's ResNet-50 shape with one bottleneck a stage, classifier removed (FLAIR's fc = Identity)."""
    from torchvision.models.resnet import Bottleneck, ResNet

    net = ResNet(Bottleneck, [1, 1, 1, 1])
    net.fc = torch.nn.Identity()
    return net.eval()


def _two_tower_state(folder: Path, seed: int, with_bert: bool, vision_prefix: str, vision: dict, vision_proj: str,
                     text_proj: str, vision_width: int) -> dict:
    bert = _tiny_bert(folder if with_bert else folder.parent / "bert", seed, pooler=True)
    generator = torch.Generator().manual_seed(seed)
    state = {f"{vision_prefix}{k}": v for k, v in _perturbed(vision, seed).items()}
    state[vision_proj] = torch.randn(TWO_TOWER_EMBED, vision_width, generator=generator) * vision_width ** -0.5
    width = bert.config.hidden_size
    state.update({f"text_model.model.{k}": v for k, v in _perturbed(bert.state_dict(), seed).items()})
    state["text_model.model.embeddings.position_ids"] = torch.arange(512)[None]  # as older files hold it
    state[text_proj] = torch.randn(TWO_TOWER_EMBED, width, generator=generator) * width ** -0.5
    state["logit_scale"] = torch.tensor(3.9)
    return state


def write_medclip(folder: Path, seed: int = 0, with_bert: bool = True) -> Path:
    """MedCLIP-ViT's ``pytorch_model.bin`` in miniature (MedCLIPModel.state_dict(): ``vision_model.model.*`` a
    SwinModel under transformers 4's key names, ``vision_model.projection_head.weight``, ``text_model.model.*`` a BertModel with pooler,
    ``text_model.projection_head.weight``, ``logit_scale``)."""
    from transformers.core_model_loading import revert_weight_conversion

    folder.mkdir(parents=True, exist_ok=True)
    swin = tiny_swin(seed)
    # the key names of transformers 4, which wrote MedCLIP's file, by transformers' own reverse renaming, with
    # the relative_position_index buffers transformers 4 kept in state dicts
    legacy = dict(revert_weight_conversion(swin, swin.state_dict()))
    for name, buffer in swin.named_buffers():
        if name.endswith("relative_position_index"):
            legacy[name.replace("attention.relative_position_bias.", "attention.self.")] = buffer
    state = _two_tower_state(folder, seed, with_bert, "vision_model.model.", legacy,
                             "vision_model.projection_head.weight", "text_model.projection_head.weight",
                             swin.num_features)
    torch.save(state, folder / "pytorch_model.bin")
    return folder


def write_flair(folder: Path, seed: int = 0, with_bert: bool = True) -> Path:
    """FLAIR's ``flair_resnet.pth`` in miniature (FLAIRModel.state_dict(): ``vision_model.model.*`` torchvision
    ResNet without fc, ``vision_model.projection_head_vision.projection.weight``, ``text_model.model.*``,
    ``text_model.projection_head_text.projection.weight``, ``logit_scale``)."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    state = _two_tower_state(folder, seed, with_bert, "vision_model.model.", tiny_resnet().state_dict(),
                             "vision_model.projection_head_vision.projection.weight",
                             "text_model.projection_head_text.projection.weight", 2048)
    torch.save(state, folder / "flair_resnet.pth")
    return folder
