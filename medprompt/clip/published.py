"""Short names of backbones whose publishers release files that are not an open_clip hub repo.

Each entry names the Hugging Face repository (model or dataset) and the files its loader reads; the files
are taken from the local Hugging Face cache, or downloaded when the hub can be reached, into one snapshot
folder that is then loaded like a `local-dir:` folder of that format (medprompt/clip/formats/). Offline
and not cached, the name fails at once saying which files of which repository were looked for and how to
point at a local copy.

Backbones published as open_clip hub repos (BiomedCLIP, PMC-CLIP ViT-L/14, QuiltNet) are plain aliases
in medprompt/clip/backbones.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from medprompt.clip.package_tower import BackboneNotFoundError
from medprompt.utils.paths import cache_root

PUBLISHED_PREFIX = "published:"


@dataclass(frozen=True)
class Published:
    repo: str
    #: the files the loader reads; each a tuple of alternatives, the first the repository has wins
    files: tuple[tuple[str, ...], ...]
    repo_type: str = "model"
    #: where the names come from
    source: str = ""
    #: files fetched beside them when the repository has them (never required from the cache)
    optional: tuple[str, ...] = ()

    def describe(self) -> str:
        names = ", ".join(" or ".join(alts) for alts in self.files)
        kind = "dataset " if self.repo_type == "dataset" else ""
        return f"{names} from the Hugging Face {kind}repo {self.repo!r}"


HF_CLIP_FILES = (("config.json",), ("model.safetensors", "pytorch_model.bin"), ("preprocessor_config.json",))

PUBLISHED: dict[str, Published] = {
    # PathologyFoundation/plip README: CLIPModel.from_pretrained("vinid/plip")
    "plip": Published("vinid/plip", HF_CLIP_FILES, source="PathologyFoundation/plip README.md"),
    # the transformers form of PubMedCLIP ViT-B/32
    "pubmedclip-hf": Published("flaviagiammarino/pubmed-clip-vit-base-patch32", HF_CLIP_FILES,
                               source="huggingface.co/flaviagiammarino/pubmed-clip-vit-base-patch32"),
    # HealthX-Lab/BiomedCoOp main.py @7ceb5a8, pubmedclip_files
    "pubmedclip": Published("sarahESL/PubMedCLIP", (("PubMedCLIP_ViT32.pth",),),
                            source="HealthX-Lab/BiomedCoOp main.py @7ceb5a8"),
    # mbzuai-oryx/UniMed-CLIP app.py @6f09177: hf_hub_download("UzairK/unimed-clip-vit-b16", "unimed-clip-vit-b16.pt");
    # the BiomedBERT text config and tokenizer come from the folder or their own repo (formats/bert_text.py)
    "unimed": Published("UzairK/unimed-clip-vit-b16", (("unimed-clip-vit-b16.pt",),),
                        source="mbzuai-oryx/UniMed-CLIP app.py @6f09177"),
    # HealthX-Lab/BiomedCoOp main.py @7ceb5a8, pmcclip_files (a dataset repo); BiomedBERT as for unimed
    "pmc-clip-rn50": Published("axiong/pmc_oa", (("image_encoder(resnet50).pth",), ("text_encoder.pth",),
                                                 ("text_projection_layer.pth",)), repo_type="dataset",
                               source="HealthX-Lab/BiomedCoOp main.py @7ceb5a8"),
}


@dataclass(frozen=True)
class Manual:
    """Files published outside the Hugging Face hub (a zip on a storage bucket, a Google Drive file): the
    user downloads them once into `folder(short)`; nothing is fetched automatically."""

    url: str
    #: what the folder must hold once the download is unpacked
    files: str
    source: str = ""


MANUAL: dict[str, Manual] = {
    # RyanWangZf/MedCLIP medclip/medclip_vit_weight.txt @9c3396f (MedCLIP-ViT; unzip: pytorch_model.bin)
    "medclip": Manual("https://storage.googleapis.com/pytrial/medclip-vit-pretrained.zip",
                      "pytorch_model.bin (unzipped from medclip-vit-pretrained.zip)",
                      source="RyanWangZf/MedCLIP medclip/medclip_vit_weight.txt @9c3396f"),
    # jusiro/FLAIR flair/modeling/constants.py @d6652d5: Google Drive file id URL_ID_FLAIR_RESNET_V1 (weights.zip)
    "flair": Manual("https://drive.google.com/file/d/1l24_2IzwQdnaa034I0zcyDLs_zMujsbR",
                    "flair_resnet.pth (unzipped from the weights.zip behind that link)",
                    source="jusiro/FLAIR flair/modeling/constants.py @d6652d5"),
}

SHORT_NAMES = sorted([*PUBLISHED, *MANUAL])


def is_published(model_name: str) -> bool:
    return model_name.startswith(PUBLISHED_PREFIX)


def entry(model_name: str) -> Published:
    return PUBLISHED[model_name[len(PUBLISHED_PREFIX):]]


def manual_folder(short: str) -> str:
    """Where a manually downloaded backbone is looked for: <MEDPROMPT_CACHE or ~/.cache/medprompt>/backbones/<short>."""
    return str(cache_root("") / "backbones" / short)


def _cached(spec: Published) -> list[str] | None:
    """The cached path of each file (first alternative cached), or None when one is not cached."""
    from huggingface_hub import try_to_load_from_cache

    paths = []
    for alternatives in spec.files:
        found = [p for p in (try_to_load_from_cache(spec.repo, name, repo_type=spec.repo_type)
                             for name in alternatives) if isinstance(p, str)]
        if not found:
            return None
        paths.append(found[0])
    return paths


def cached_folder(model_name: str) -> str | None:
    """The snapshot folder holding every file of a published name, or None when they are not all cached."""
    short = model_name[len(PUBLISHED_PREFIX):]
    if short in MANUAL:
        folder = manual_folder(short)
        return folder if os.path.isdir(folder) and os.listdir(folder) else None
    paths = _cached(entry(model_name))
    return os.path.dirname(paths[0]) if paths else None


def _download(spec: Published) -> list[str]:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    paths = []
    for alternatives in spec.files:
        for name in alternatives:
            try:
                paths.append(hf_hub_download(spec.repo, name, repo_type=spec.repo_type))
                break
            except EntryNotFoundError:
                continue
        else:
            raise BackboneNotFoundError(f"The Hugging Face repo {spec.repo!r} has none of {alternatives}")
    for name in spec.optional:
        try:
            hf_hub_download(spec.repo, name, repo_type=spec.repo_type)
        except EntryNotFoundError:
            pass
    return paths


def local_folder(model_name: str, reachable: bool) -> str:
    """The folder of a published name's files: cached, downloaded when `reachable`, or a clear error."""
    short = model_name[len(PUBLISHED_PREFIX):]
    if short in MANUAL:
        folder, spec = manual_folder(short), MANUAL[short]
        if cached_folder(model_name) is None:
            raise BackboneNotFoundError(
                f"Backbone {short!r} is published at {spec.url} ({spec.source}) and is not downloaded "
                f"automatically: download it, and put {spec.files} in {folder} (the folder follows $MEDPROMPT_CACHE), "
                "or set MODEL.BACKBONE.NAME to 'local-dir:/path/to/folder' holding it."
            )
        return folder
    return spec_folder(entry(model_name), short, reachable)


def spec_folder(spec: Published, short: str, reachable: bool) -> str:
    """The snapshot folder of these files (cached or downloaded), or an error saying what was looked for."""
    paths = _cached(spec)
    if paths is None and reachable:
        paths = _download(spec)
    if paths is None:
        from huggingface_hub import constants

        raise BackboneNotFoundError(
            f"Backbone {short!r} needs {spec.describe()}: they are not all in the local cache "
            f"({constants.HF_HUB_CACHE}) and the hub cannot be reached. Download them on a connected machine and "
            "copy the cache folder, or put the files in one folder and set MODEL.BACKBONE.NAME to "
            "'local-dir:/path/to/folder'."
        )
    folders = {os.path.dirname(p) for p in paths}
    if len(folders) != 1:
        raise BackboneNotFoundError(f"The cached files of {spec.repo!r} lie in several snapshots {sorted(folders)}; "
                                    "download them again at one revision")
    return folders.pop()
