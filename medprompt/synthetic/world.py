"""Write the synthetic medical world to disk as ordinary datasets in the CoOp split format.

One dataset per modality (SynthDerm, SynthFundus, SynthXray, SynthEndo), so a held-out modality is a
held-out dataset. Layout: ``<root>/<Dataset>/<class_folder>/<split>_<i>.png``,
``<root>/<Dataset>/split_<Dataset>.json`` (``{"train"|"val"|"test": [[relative path, label, class name], ...]}``)
and ``<root>/<Dataset>/descriptions.json`` (+ provenance), the class descriptions of this world, which
the description-reading methods take before llm_descriptions/ (whose Synth* files are world seed 0's).
The seed chooses the classes (attribute rows and names, medprompt.synthetic.diseases.world_diseases)
and every image, which comes from its own random generator seeded by (seed, modality, class, split,
index), so the world is a pure function of the seed and the sizes; `world.json` records both, the class
names and a digest of everything written.

    python -m medprompt.synthetic.world --root data/synthetic --seed 0
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from medprompt.utils.atomic import write_json
from medprompt.synthetic.diseases import (
                                          ATTRIBUTE_VALUES,
                                          MODALITIES,
                                          Attributes,
                                          diseases_of,
                                          )
from medprompt.synthetic.describe import write_descriptions
from medprompt.synthetic.render import IMAGE_SIZE, render

SPLITS = ("train", "val", "test")
MARKER = "world.json"
DESCRIPTIONS = "descriptions.json"  # beside each dataset's split file


@dataclass(frozen=True)
class WorldSettings:
    """Everything the written world depends on."""

    seed: int = 0  # the world seed: classes, names and images
    n_train: int = 32  # images per class
    n_val: int = 8
    n_test: int = 40
    image_size: int = IMAGE_SIZE

    def count(self, split: str) -> int:
        return {"train": self.n_train, "val": self.n_val, "test": self.n_test}[split]


def class_folder(name: str) -> str:
    """Folder (and published) name of a class: its name with underscores."""
    return name.replace(" ", "_")


def image_rng(seed: int, *parts: int) -> np.random.Generator:
    """The generator of one image, independent of every other image's."""
    return np.random.default_rng([seed, *parts])


def dataset_images(settings: WorldSettings, modality_index: int):
    """Yield (split, relative path, label, class name, uint8 image) of one modality's dataset."""
    modality = MODALITIES[modality_index]
    for label, disease in enumerate(diseases_of(modality.key, settings.seed)):
        for split_index, split in enumerate(SPLITS):
            for i in range(settings.count(split)):
                rng = image_rng(settings.seed, modality_index, label, split_index, i)
                image = render(modality.key, disease.attributes, rng, settings.image_size)
                rel = f"{class_folder(disease.name)}/{split}_{i:04d}.png"
                yield split, rel, label, class_folder(disease.name), image


def png_bytes(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def write_dataset(root: Path, settings: WorldSettings, modality_index: int) -> str:
    """Write one modality's dataset atomically (a temporary folder renamed into place); returns its digest."""
    name = MODALITIES[modality_index].dataset
    tmp = root / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    split: dict[str, list] = {s: [] for s in SPLITS}
    h = hashlib.blake2b(digest_size=16)
    for part, rel, label, classname, image in dataset_images(settings, modality_index):
        data = png_bytes(image)
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        h.update(rel.encode())
        h.update(data)
        split[part].append([rel, label, classname])
    text = json.dumps(split, indent=1)
    h.update(text.encode())
    (tmp / f"split_{name}.json").write_text(text)
    write_descriptions(tmp / DESCRIPTIONS, name, settings.seed)
    h.update((tmp / DESCRIPTIONS).read_bytes())
    final = root / name
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    return h.hexdigest()


def read_marker(root: str | os.PathLike) -> dict | None:
    """The settings and digests of the world written in `root`, or None when there is none."""
    path = Path(root) / MARKER
    return json.loads(path.read_text()) if path.is_file() else None


def write_world(root: str | os.PathLike, settings: WorldSettings = WorldSettings(), force: bool = False) -> dict:
    """Write every modality's dataset under `root` unless the same world is already there."""
    root = Path(root)
    marker = read_marker(root)
    classes = {m.dataset: [d.name for d in diseases_of(m.key, settings.seed)] for m in MODALITIES}
    if marker and marker.get("settings") == asdict(settings) and marker.get("classes") == classes and not force:
        return marker
    root.mkdir(parents=True, exist_ok=True)
    digests = {m.dataset: write_dataset(root, settings, i) for i, m in enumerate(MODALITIES)}
    marker = {"settings": asdict(settings), "digests": digests, "classes": classes}
    write_json(root / MARKER, marker, indent=2)
    return marker


def world_seed_of(root: str | os.PathLike) -> int | None:
    """The world seed of the world written in `root`, or None when there is none."""
    marker = read_marker(root)
    return None if marker is None else int(marker["settings"]["seed"])


def descriptions_beside(root: str | os.PathLike, dataset: str) -> Path | None:
    """The description file a written world keeps beside `dataset`, or None."""
    path = Path(root).expanduser() / dataset / DESCRIPTIONS
    return path if path.is_file() else None


def random_attributes(modality_key: str, rng: np.random.Generator) -> Attributes:
    """Any attribute combination the modality can draw (used to train the tiny CLIP beyond the classes)."""
    colours = next(m.colours for m in MODALITIES if m.key == modality_key)
    values = {k: str(rng.choice(v)) for k, v in ATTRIBUTE_VALUES.items()}
    values["colour"] = str(rng.choice(colours))
    return Attributes(**values)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default="data/synthetic", help="folder the datasets are written into")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-train", type=int, default=WorldSettings.n_train, help="training images per class")
    p.add_argument("--n-val", type=int, default=WorldSettings.n_val)
    p.add_argument("--n-test", type=int, default=WorldSettings.n_test)
    p.add_argument("--force", action="store_true", help="write again even if the same world is there")
    args = p.parse_args(argv)
    settings = WorldSettings(args.seed, args.n_train, args.n_val, args.n_test)
    marker = write_world(args.root, settings, args.force)
    print(json.dumps(marker, indent=2))


if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "python -m medprompt.synthetic.world")
