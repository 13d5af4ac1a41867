"""UniMed-CLIP (mbzuai-oryx/UniMed-CLIP): one training checkpoint, e.g. ``unimed-clip-vit-b16.pt`` from the
Hugging Face repo ``UzairK/unimed-clip-vit-b16`` (app.py @6f09177; the README calls the download
``unimed_clip_vit_b16.pt``).

Its layout (src/open_clip/model.py @6f09177, class CLIP): ``visual.*`` is OpenAI's ViT (QuickGELU,
``force_quick_gelu=True``); ``text_encoder.*`` an open_clip-style HF text tower on BiomedBERT
(``microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract``, BERT without its pooler layer) with CLS
last-hidden-state pooling and an MLP projection (``proj.0``, GELU, ``proj.2``, no biases); ``logit_scale``.
It may sit in ``{"state_dict": ...}`` with DistributedDataParallel's ``module.`` prefix (src/training/main.py).

That is open_clip's `CustomTextCLIP` with ``text_encoder.`` renamed ``text.``: the text tower is open_clip's
`HFTextEncoder` (deep prompts reach each BERT layer), the image tower open_clip's ViT. Tokenizer: BiomedBERT's,
256 tokens (``HFTokenizer(text_encoder_name, context_length=256)``, app.py). Preprocessing: 224 px (the
ViT-L/14 variant 336), bicubic resize and centre crop, OpenAI mean/std (app.py, src/open_clip/transform.py).
"""

from __future__ import annotations

from medprompt.clip.formats import FolderFormat, Loaded
from medprompt.clip.formats.bert_text import (
    build_bert_clip,
    is_bert_buffer,
    text_folder,
)
from medprompt.clip.formats.openai_layout import vision_cfg_from_state
from medprompt.clip.formats.state_dicts import drop, first_file, read_state_dict, rename
from medprompt.clip.package_tower import BackboneNotFoundError

WEIGHTS_FILES = ("unimed-clip-vit-b16.pt", "unimed_clip_vit_b16.pt", "unimed_clip_vit_l14_base_text_encoder.pt",
                 "unimed_clip_vit_l14_large_text_encoder.pt")
#: the BiomedBERT each checkpoint was trained from, by text width (UniMed-CLIP README.md, model table)
TEXT_REPOS = {768: "microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract",
              1024: "microsoft/BiomedNLP-BiomedBERT-large-uncased-abstract"}
CONTEXT_LENGTH = 256
WORDS = "text.transformer.embeddings.word_embeddings.weight"


def detect(folder: str) -> bool:
    return first_file(folder, WEIGHTS_FILES) is not None


def load(folder: str, random: bool) -> Loaded:
    path = first_file(folder, WEIGHTS_FILES)
    state = drop(rename(read_state_dict(path), [("text_encoder.", "text.")]), is_bert_buffer)
    if WORDS not in state or "visual.proj" not in state:
        raise BackboneNotFoundError(f"{path} is not a UniMed-CLIP checkpoint: it lacks text_encoder.transformer.* "
                                    "or visual.proj")
    width = state[WORDS].shape[1]
    bert = text_folder(folder, TEXT_REPOS.get(width, TEXT_REPOS[768]), "unimed")
    model_cfg = {
        "embed_dim": state["visual.proj"].shape[1],
        "quick_gelu": True,
        "vision_cfg": vision_cfg_from_state(state),
        "text_cfg": {"hf_model_name": bert, "hf_tokenizer_name": bert, "hf_proj_type": "mlp",
                     "hf_pooler_type": "cls_last_hidden_state_pooler", "context_length": CONTEXT_LENGTH},
    }
    return build_bert_clip(model_cfg, state, path, random)

FORMAT = FolderFormat("UniMed-CLIP checkpoint", "unimed-clip-vit-b16.pt (or unimed_clip_vit_b16.pt, "
                      "unimed_clip_vit_l14_{base,large}_text_encoder.pt), BiomedBERT's config.json and tokenizer "
                      "beside it or in the Hugging Face cache", detect, load)
